"""A source of silence: the audio clock runs in real time with nothing to hear."""

from __future__ import annotations

from dataclasses import dataclass

from posetalk.audio.ring import AudioRingBuffer
from posetalk.audio.sources.base import StatusCallback, ThreadedSource, WallClock, pad_with_silence


@dataclass(frozen=True)
class SilenceConfig:
    """Attributes:
    block_seconds: how often the clock advances, in seconds (its granularity).
    """

    block_seconds: float = 0.01


class SilenceSource(ThreadedSource):
    """Writes zeros so that the ring's end tracks wall time from :meth:`start` on."""

    def __init__(self, config: SilenceConfig = SilenceConfig(), on_status: StatusCallback | None = None) -> None:
        super().__init__(on_status)
        if config.block_seconds <= 0:
            raise ValueError(f"block_seconds must be positive, got {config.block_seconds}")
        self.config = config

    def _run(self, ring: AudioRingBuffer) -> None:
        clock = WallClock(ring.rate, ring.end)
        while not self._stopping.wait(self.config.block_seconds):
            pad_with_silence(ring, clock.due())
