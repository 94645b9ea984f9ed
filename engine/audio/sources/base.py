"""What every audio source shares: the interface, status reports, wall-clock pacing, a worker thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from posetalk.audio.ring import AudioRingBuffer
from posetalk.clock import SYSTEM_CLOCK, Clock

logger = logging.getLogger("posetalk.audio")

StatusKind = Literal["device_lost", "device_back", "overflow", "finished"]


@dataclass(frozen=True)
class SourceStatus:
    """Something a source wants the application to know.

    Attributes:
        kind: what happened.
        message: one line for a person.
        clock: the ring's end (samples at 16 kHz) when it happened.
    """

    kind: StatusKind
    message: str
    clock: int


StatusCallback = Callable[[SourceStatus], None]


@runtime_checkable
class AudioSource(Protocol):
    """Something that writes 16 kHz mono float32 audio into an :class:`AudioRingBuffer`."""

    def start(self, ring: AudioRingBuffer) -> None:
        """Start producing into ``ring`` on the source's own thread or callback; return at once."""
        ...

    def stop(self) -> None:
        """Stop producing and join the source's threads. Idempotent."""
        ...

    @property
    def finished(self) -> bool:
        """True once the source has nothing more to say and has closed the ring (end of a file)."""
        ...


class WallClock:
    """Where a ring's end should be if samples arrived in real time since an anchor.

    Sample counts are computed from the anchor every time, never accumulated, so pacing does not
    drift however long it runs.
    """

    def __init__(self, rate: int, sample: int, at: float) -> None:
        self.rate = rate
        self.sample = sample
        self.at = at

    def due(self, now: float) -> int:
        """Samples that real time has reached by monotonic time ``now``."""
        return self.sample + int((now - self.at) * self.rate)

    def time_of(self, sample: int) -> float:
        """The monotonic time at which real time reaches ``sample``."""
        return self.at + (sample - self.sample) / self.rate


def pad_with_silence(ring: AudioRingBuffer, up_to: int) -> int:
    """Write silence until ``ring.end == up_to``; return the samples written (0 if already there)."""
    missing = max(0, up_to - ring.end)
    if missing:
        ring.write_silence(missing)
    return missing


class ThreadedSource:
    """Base of the sources that produce on one worker thread: start/stop, status reports.

    Subclasses implement :meth:`_run` (and :meth:`_prepare` when starting can fail). ``_run`` loops
    until :attr:`_stopping` is set, reading the time with ``self._clock.now()`` and sleeping with
    :meth:`_sleep`, which :meth:`stop` interrupts. A source runs once: it cannot start again after a
    stop.
    """

    def __init__(self, on_status: StatusCallback | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._on_status = on_status
        self._clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._ring: AudioRingBuffer | None = None
        self._finished = False

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def ring(self) -> AudioRingBuffer:
        """The ring given to :meth:`start`.

        Raises:
            RuntimeError: the source has not been started.
        """
        if self._ring is None:
            raise RuntimeError(f"{type(self).__name__} used before start")
        return self._ring

    def start(self, ring: AudioRingBuffer) -> None:
        if self._thread is not None or self._stopping.is_set():
            raise RuntimeError(f"{type(self).__name__} already started or stopped")
        self._ring = ring
        self._prepare(ring)
        self._thread = threading.Thread(target=self._run, args=(ring,), name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _sleep(self, seconds: float) -> bool:
        """Sleep ``seconds`` on the source's clock; True when :meth:`stop` cut it short."""
        return self._clock.wait(self._stopping, seconds)

    def _prepare(self, ring: AudioRingBuffer) -> None:
        """Called by :meth:`start` before the thread starts; an exception here aborts the start."""

    def _run(self, ring: AudioRingBuffer) -> None:
        raise NotImplementedError

    def _report(self, kind: StatusKind, message: str, level: int = logging.WARNING) -> None:
        """Log ``message`` on the ``posetalk.audio`` logger and pass it to the status callback."""
        clock = self._ring.end if self._ring is not None else 0
        logger.log(level, "%s: %s", type(self).__name__, message)
        if self._on_status is not None:
            self._on_status(SourceStatus(kind, message, clock))
