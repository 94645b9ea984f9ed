"""How well a stream keeps up, as one small value that can cross threads and processes.

A viewer shows it, and a renderer that shares the CPU with the model (:mod:`posetalk.render.governor`)
adapts to it. Only numbers: building it needs no torch, so a window process can import it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamHealth:
    """Attributes:
    tick_load: recent tick compute time over the tick's budget (the audio it emits), the 90th
        percentile of the last ticks; above 1 the model cannot keep up. None before any tick.
    latency_ms: median audio-to-publication latency of the recent frames; None before any.
    frames_published, deadline_misses, skipped_frames: counts since the stream started.
    """

    tick_load: float | None
    latency_ms: float | None
    frames_published: int
    deadline_misses: int
    skipped_frames: int

    def overlay_lines(self) -> list[str]:
        """What a viewer shows of it: the model's load, frames published late, frames skipped."""
        load = "LOAD  -" if self.tick_load is None else f"LOAD {self.tick_load * 100:4.0f}%"
        return [load, f"LATE {self.deadline_misses}", f"SKIPPED {self.skipped_frames}"]
