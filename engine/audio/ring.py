"""The audio ring buffer. Its sample count is the engine's master clock.

Producers (microphone callback, file player, network ingest) write 16 kHz mono float32 blocks; the
stream scheduler reads any range of absolute sample indices still held. Writing never blocks and
never fails: when the reader falls more than the buffer's capacity behind, the oldest samples are
overwritten and the overrun is counted.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import deque

import numpy as np

RATE = 16000
ARRIVALS_KEPT = 8192
"""Writes whose arrival time is remembered (minutes of audio at typical block sizes)."""


class AudioRingBuffer:
    """Thread-safe ring of the most recent ``capacity`` samples.

    Sample index i (absolute, since the stream began) lies at time i / rate on the audio clock.
    """

    def __init__(self, capacity_seconds: float = 30.0, rate: int = RATE) -> None:
        if capacity_seconds <= 0:
            raise ValueError("capacity must be positive")
        self.rate = rate
        self.capacity = int(capacity_seconds * rate)
        self._samples = np.zeros(self.capacity, dtype=np.float32)
        self._end = 0
        self._read_up_to = 0
        self._overruns = 0
        self._closed = False
        self._arrivals: deque[tuple[int, float]] = deque(maxlen=ARRIVALS_KEPT)
        self._arrivals_from = 0  # samples before this index belong to forgotten writes
        self._changed = threading.Condition()

    @property
    def end(self) -> int:
        """Absolute index one past the newest sample: the audio clock, in samples."""
        with self._changed:
            return self._end

    @property
    def time(self) -> float:
        """The audio clock in seconds."""
        return self.end / self.rate

    @property
    def overruns(self) -> int:
        """Samples overwritten before the reader marked them read (see :meth:`mark_read`)."""
        with self._changed:
            return self._overruns

    @property
    def closed(self) -> bool:
        """True once the producer said no more samples will come (end of a file)."""
        with self._changed:
            return self._closed

    def write(self, block: np.ndarray) -> None:
        """Append (S,) samples. Never blocks beyond a short lock; safe in an audio callback."""
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        n_written = block.size
        if n_written == 0:
            return
        if n_written > self.capacity:
            block = block[-self.capacity :]
        with self._changed:
            start = (self._end + n_written - block.size) % self.capacity
            first = min(block.size, self.capacity - start)
            self._samples[start : start + first] = block[:first]
            self._samples[: block.size - first] = block[first:]
            already_lost = max(self._read_up_to, self._end - self.capacity)
            self._end += n_written
            self._overruns += max(0, self._end - self.capacity - already_lost)
            if len(self._arrivals) == self._arrivals.maxlen:
                self._arrivals_from = self._arrivals[0][0]
            self._arrivals.append((self._end, time.monotonic()))
            self._changed.notify_all()

    def write_silence(self, n_samples: int) -> None:
        """Advance the clock by ``n_samples`` of silence (a source that has nothing to say)."""
        self.write(np.zeros(n_samples, dtype=np.float32))

    def close(self) -> None:
        """Mark the end of the stream; waiting readers wake up."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) by absolute index, as a new (stop - start,) array.

        Indices before 0 or at/after :attr:`end` read as silence (the stream's lead-in and the
        not-yet-heard future); indices already overwritten raise ``LookupError``.
        """
        out = np.zeros(max(0, stop - start), dtype=np.float32)
        with self._changed:
            lo, hi = max(start, 0), min(stop, self._end)
            if lo < hi and lo < self._end - self.capacity:
                raise LookupError(f"samples from {lo} were overwritten (oldest held: {self._end - self.capacity})")
            for index in range(lo, hi, self.capacity):
                chunk_stop = min(hi, index + self.capacity)
                first = index % self.capacity
                n = chunk_stop - index
                part = min(n, self.capacity - first)
                out[index - start : index - start + part] = self._samples[first : first + part]
                out[index - start + part : chunk_stop - start] = self._samples[: n - part]
        return out

    def mark_read(self, up_to: int) -> None:
        """Tell the buffer the reader is done with samples before ``up_to``; samples a writer
        overwrites after that point before they were read count as overruns."""
        with self._changed:
            self._read_up_to = max(self._read_up_to, up_to)

    def arrival_time(self, sample: int) -> float | None:
        """``time.monotonic()`` of the write that brought sample ``sample``; None if not (yet)
        written or too old to be remembered. Latency is measured from this moment."""
        with self._changed:
            if sample < self._arrivals_from:
                return None
            index = bisect.bisect_right(self._arrivals, sample, key=lambda arrival: arrival[0])
            if index == len(self._arrivals):
                return None
            return self._arrivals[index][1]

    def wait_for(self, sample: int, timeout: float | None = None) -> bool:
        """Block until ``end >= sample`` or the stream is closed; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._end >= sample or self._closed, timeout)
