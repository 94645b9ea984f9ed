"""A source that plays an audio file into the ring, in real time or as fast as possible."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from posetalk.audio.io import load_audio
from posetalk.audio.ring import AudioRingBuffer
from posetalk.audio.sources.base import StatusCallback, ThreadedSource, WallClock
from posetalk.clock import SYSTEM_CLOCK, Clock


@dataclass(frozen=True)
class FileConfig:
    """Attributes:
    path: any file :func:`posetalk.audio.io.load_audio` decodes.
    realtime: write each block when real time reaches its last sample (as a microphone would);
        False writes the whole file at once, block by block, without waiting (tests, offline runs).
        Without pacing, a file longer than the ring's capacity overwrites its own start unless the
        reader keeps up.
    loop: start again at the end instead of closing the ring.
    block_seconds: length of one write, in seconds.
    """

    path: str | Path
    realtime: bool = True
    loop: bool = False
    block_seconds: float = 0.02


class FileSource(ThreadedSource):
    """Plays a file (decoded to 16 kHz mono when constructed) and closes the ring at its end.

    Attributes:
        samples: (S,) float32, the whole file at 16 kHz mono.

    Raises:
        PosetalkError: the file is missing or cannot be decoded (from the constructor).
    """

    def __init__(
        self, config: FileConfig, on_status: StatusCallback | None = None, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        super().__init__(on_status, clock)
        if config.block_seconds <= 0:
            raise ValueError(f"block_seconds must be positive, got {config.block_seconds}")
        self.config = config
        self.samples = load_audio(config.path)

    def _run(self, ring: AudioRingBuffer) -> None:
        if self._play(ring):
            ring.close()
            self._finished = True
            self._report("finished", f"{Path(self.config.path).name}: end of file", logging.INFO)

    def _play(self, ring: AudioRingBuffer) -> bool:
        """Write the file (again and again when looping); True at its end, False when stopped."""
        block = max(1, int(self.config.block_seconds * ring.rate))
        real_time = WallClock(ring.rate, ring.end, self._clock.now())
        position = 0
        while True:
            if position == self.samples.size:
                if not self.config.loop:
                    return True
                position = 0
            chunk = self.samples[position : position + block]
            if self.config.realtime:
                delay = real_time.time_of(ring.end + chunk.size) - self._clock.now()
                if self._sleep(max(0.0, delay)):
                    return False
            elif self._stopping.is_set():
                return False
            ring.write(chunk)
            position += chunk.size
