"""A source of silence: the audio clock runs in real time with nothing to hear."""

from __future__ import annotations

from dataclasses import dataclass

from posetalk.audio.ring import AudioRingBuffer
from posetalk.audio.sources.base import StatusCallback, ThreadedSource, WallClock, pad_with_silence
from posetalk.clock import SYSTEM_CLOCK, Clock


@dataclass(frozen=True)
class SilenceConfig:
    """Attributes:
    block_seconds: how often the clock advances, in seconds (its granularity).
    """

    block_seconds: float = 0.01


class SilenceSource(ThreadedSource):
    """Writes zeros so that the ring's end tracks wall time from :meth:`start` on."""

    def __init__(
        self,
        config: SilenceConfig = SilenceConfig(),
        on_status: StatusCallback | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(on_status, clock)
        if config.block_seconds <= 0:
            raise ValueError(f"block_seconds must be positive, got {config.block_seconds}")
        self.config = config

    def _run(self, ring: AudioRingBuffer) -> None:
        real_time = WallClock(ring.rate, ring.end, self._clock.now())
        while not self._sleep(self.config.block_seconds):
            pad_with_silence(ring, real_time.due(self._clock.now()))
