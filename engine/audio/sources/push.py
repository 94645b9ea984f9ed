"""A source fed by other threads (the WebSocket server's audio ingest).

The clock must run in real time even when nobody pushes, yet audio that arrives a little late (the
network delivers it in bursts, with jitter) must not be pushed back by silence written in the
meantime. Let *lag* be how far the ring's end is behind wall time. Each tick, the pacing thread:

- while idle (nothing pushed for ``jitter_seconds``), pads silence up to wall time, so the lag
  stays under one tick and a new utterance starts with the whole allowance ahead of it;
- while a producer is active, writes nothing as long as the lag is within ``jitter_seconds``:
  audio pushed in real time, in chunks shorter than the allowance with arrival jitter within the
  rest of it, is appended back to back with no silence in between;
- when an active producer falls more than ``jitter_seconds`` behind, pads silence up to wall time:
  the gap is filled once and the producer's later audio again has the whole allowance.

A producer faster than real time moves the clock ahead of wall time; no silence is written until
wall time has caught up. The lag therefore never exceeds ``jitter_seconds`` plus one tick. Before
padding, the pacer flushes the resampler, whose last output samples belong before the silence.

Where pushed audio lands: between flushes the ring receives nothing but one resampler's output,
and its output sample k lies at its input time k / 16000 s (:class:`StreamingResampler`), so input
sample j of that stretch lies at ``anchor / 16000 + j / rate`` seconds on the audio clock, the
anchor being the ring's end when the stretch began. :meth:`PushSource.push` returns that time for
a block's first sample, and :meth:`PushSource.begin` says where the next push will land.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from posetalk.audio.io import to_mono
from posetalk.audio.resampler import StreamingResampler
from posetalk.audio.ring import AudioRingBuffer
from posetalk.audio.sources.base import StatusCallback, ThreadedSource, WallClock, pad_with_silence
from posetalk.clock import SYSTEM_CLOCK, Clock


@dataclass(frozen=True)
class PushConfig:
    """Attributes:
    jitter_seconds: how late pushed audio may arrive (how far an active producer may let the
        ring's end lag wall time) before silence is written, in seconds.
    tick_seconds: how often the pacing thread checks, in seconds.
    """

    jitter_seconds: float = 0.1
    tick_seconds: float = 0.01


class PushSource(ThreadedSource):
    """Audio pushed by producers through :meth:`push` or :meth:`push_pcm16`, any rate and channels.

    Pushing is thread-safe. Pushes before :meth:`start` raise RuntimeError; pushes after
    :meth:`stop` are dropped (a producer may race the shutdown).
    """

    def __init__(
        self,
        config: PushConfig = PushConfig(),
        on_status: StatusCallback | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(on_status, clock)
        if config.jitter_seconds < 0 or config.tick_seconds <= 0:
            raise ValueError(f"bad push source timing: {config}")
        self.config = config
        self._lock = threading.Lock()
        self._resampler: StreamingResampler | None = None
        self._last_push = -math.inf  # monotonic time of the latest push (or begin)
        self._anchor: int | None = None  # ring index of the resampler's first output since a flush
        self._pushed = 0  # input samples pushed into the resampler since the anchor

    def push(self, samples: np.ndarray, rate: int) -> float | None:
        """Append (S,) or (S, C) float samples in [-1, 1] at ``rate`` Hz to the stream.

        Returns:
            The audio-clock time, in seconds, at which the block's first sample lies (once
            resampled to the ring's rate); None if the source has stopped and the block was dropped.

        Raises:
            ValueError: a rate that is not a positive integer, samples that are not a float array
                of 1 or 2 dimensions, or samples holding NaN or infinity.
            RuntimeError: the source has not been started.
        """
        samples = np.asarray(samples)
        if not isinstance(rate, (int, np.integer)) or isinstance(rate, bool) or rate <= 0:
            raise ValueError(f"sample rate must be a positive integer, got {rate!r}")
        if samples.dtype.kind != "f":
            raise ValueError(f"samples must be floating point, got {samples.dtype} (use push_pcm16 for 16-bit PCM)")
        if samples.ndim not in (1, 2):
            raise ValueError(f"samples must have shape (S,) or (S, C), got {samples.shape}")
        if not np.all(np.isfinite(samples)):
            raise ValueError("samples hold NaN or infinite values")
        ring = self.ring
        mono = to_mono(samples).astype(np.float32, copy=False)
        with self._lock:
            if self._stopping.is_set():
                return None
            if self._resampler is None or self._resampler.rate != rate:
                self._flush_resampler(ring)
                self._resampler = StreamingResampler(int(rate), ring.rate)
            if self._anchor is None:
                self._anchor, self._pushed = ring.end, 0
            lands_at = self._anchor / ring.rate + self._pushed / rate
            ring.write(self._resampler.process(mono))
            self._pushed += mono.shape[0]
            self._last_push = self._clock.now()
        return lands_at

    def begin(self) -> float:
        """Prepare for a new stretch of audio (an utterance) and say where it will start.

        The resampler's tail of the audio before is written out, so the next push starts afresh at
        the ring's end; and this counts as a push, so the pacer holds the clock for the next one
        for ``jitter_seconds`` (less the current lag) before it pads silence.

        Returns:
            The audio-clock time, in seconds, at which the next pushed sample will lie if it comes
            within that allowance: the ring's end, ahead of wall time when earlier audio was pushed
            faster than real time (the new audio is queued after it).

        Raises:
            RuntimeError: the source has not been started.
        """
        ring = self.ring
        with self._lock:
            self._flush_resampler(ring)
            self._last_push = self._clock.now()
            return ring.time

    def push_pcm16(self, data: bytes, rate: int, channels: int = 1) -> float | None:
        """Append interleaved signed 16-bit little-endian PCM (``channels`` per frame) at ``rate`` Hz;
        returns what :meth:`push` returns.

        Raises:
            ValueError: ``channels`` below 1 or a byte count that is not a whole number of frames.
        """
        if channels < 1:
            raise ValueError(f"channels must be at least 1, got {channels}")
        frame_bytes = 2 * channels
        if len(data) % frame_bytes:
            raise ValueError(
                f"{len(data)} bytes of 16-bit PCM is not a whole number of {channels}-channel frames"
                f" ({frame_bytes} bytes each)"
            )
        samples = np.frombuffer(data, dtype="<i2").reshape(-1, channels).astype(np.float32) / 32768.0
        return self.push(samples, rate)

    def _flush_resampler(self, ring: AudioRingBuffer) -> None:
        """Write what the resampler still holds back (the audio before a gap or a rate change);
        the next push anchors a new stretch at the ring's end."""
        if self._resampler is not None:
            ring.write(self._resampler.flush())
        self._anchor = None

    def _run(self, ring: AudioRingBuffer) -> None:
        real_time = WallClock(ring.rate, ring.end, self._clock.now())
        allowance = int(self.config.jitter_seconds * ring.rate)
        while not self._sleep(self.config.tick_seconds):
            now = self._clock.now()
            with self._lock:
                due = real_time.due(now)
                idle = now - self._last_push > self.config.jitter_seconds
                if due - ring.end > (0 if idle else allowance):
                    self._flush_resampler(ring)
                    pad_with_silence(ring, due)
