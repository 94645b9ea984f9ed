"""Monotonic time and interruptible sleeps, passed to what paces itself so tests can drive time."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Where a component reads the time and sleeps."""

    def now(self) -> float:
        """Monotonic time, in seconds."""
        ...

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Sleep ``seconds`` or until ``event`` is set, whichever comes first; True if it is set."""
        ...


class SystemClock:
    """The machine's clock: ``time.monotonic`` and ``Event.wait``."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(seconds)


SYSTEM_CLOCK = SystemClock()
