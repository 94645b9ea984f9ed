"""Telling the user, once and then at a bounded rate, that a stream cannot keep up, and why.

A machine too slow for its settings shows up as frames skipped to catch up with the audio
(``max_backlog_ms``) and as frames published late (deadline misses). Each skip or miss would be a
log line many times a second; instead the first one is reported with the diagnosis (the measured
compute per tick against its budget, and what to change), and later ones are summed and reported
at most once per interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from posetalk.clock import SYSTEM_CLOCK, Clock
from posetalk.stream.config import StreamConfig

log = logging.getLogger("posetalk.stream")


def tick_budget_ms(config: StreamConfig, fps: int) -> float:
    """Wall time one tick may take while the stream keeps up: the audio its frames cover."""
    return config.frames_per_tick / fps * 1000


def remedies(config: StreamConfig) -> str:
    """What to change when ticks take longer than their budget, in command-line terms."""
    hints = ["try"]
    if config.sampler == "ddpm":
        hints.append("a few-step sampler (--sampler dpmpp-2m)")
    elif config.steps > 1:
        hints.append(f"fewer --steps (now {config.steps})")
    hints.append(f"longer ticks (--frames-per-tick, now {config.frames_per_tick})")
    hints.append("a faster --device or backend")
    return hints[0] + " " + ", ".join(hints[1:])


@dataclass
class RateLimit:
    """Lets an event through at most once per ``interval_s`` seconds of ``clock``."""

    interval_s: float = 10.0
    clock: Clock = SYSTEM_CLOCK
    last: float | None = None

    def allow(self) -> bool:
        """True (and the interval restarts) when the last allowed event is old enough."""
        now = self.clock.now()
        if self.last is not None and now - self.last < self.interval_s:
            return False
        self.last = now
        return True


@dataclass
class OverloadReporter:
    """Reports skipped frames and deadline misses of one stream through the ``posetalk.stream`` log.

    The scheduler reports skips and the pacer misses, each from its own thread.

    Attributes:
        config: the stream's configuration (for its budget and the remedies).
        fps: frames per second of the model.
        limit: how often a report may be logged.
        reports: reports logged so far.
    """

    config: StreamConfig
    fps: int
    limit: RateLimit = field(default_factory=RateLimit)
    reports: int = 0
    _pending_skipped: int = 0
    _pending_misses: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def skipped(self, n_frames: int, recent_tick_ms: Sequence[float]) -> None:
        """``n_frames`` were dropped to catch up; ``recent_tick_ms`` are the latest tick times."""
        with self._lock:
            self._pending_skipped += n_frames
            self._report(recent_tick_ms)

    def missed(self, recent_tick_ms: Sequence[float]) -> None:
        """One frame was published after its deadline."""
        with self._lock:
            self._pending_misses += 1
            self._report(recent_tick_ms)

    def _report(self, recent_tick_ms: Sequence[float]) -> None:
        previous = self.limit.last
        if not self.limit.allow():
            return
        budget = tick_budget_ms(self.config, self.fps)
        if len(recent_tick_ms):
            p95 = float(np.percentile(recent_tick_ms, 95))
            compute = f"{np.median(recent_tick_ms):.0f} ms (p95 {p95:.0f})"
            advice = remedies(self.config) if p95 > budget else \
                "the ticks fit their budget, so other work on this machine is holding the stream up"
        else:
            compute, advice = "unknown", remedies(self.config)
        what = []
        if self._pending_skipped:
            what.append(f"skipped {_frames(self._pending_skipped)} to catch up with the audio")
        if self._pending_misses:
            what.append(f"published {_frames(self._pending_misses)} late")
        since = "" if previous is None else f" in the last {self.limit.last - previous:.0f} s"
        head = "cannot keep up" if previous is None else "still behind"
        log.warning(
            "%s: %s%s; a tick computes in %s against a budget of %.0f ms (%s at %d fps): %s",
            head, " and ".join(what), since, compute, budget, _frames(self.config.frames_per_tick), self.fps, advice,
        )
        self.reports += 1
        self._pending_skipped = self._pending_misses = 0


def _frames(n: int) -> str:
    return f"{n} frame" if n == 1 else f"{n} frames"
