"""A clock whose time moves only when a test says so, for components that pace themselves."""

from __future__ import annotations

import threading
import time

POLL_SECONDS = 0.005
"""How often a sleeper looks at its stop event, which does not notify the clock (real seconds)."""
SETTLE_SECONDS = 10.0
"""How long :meth:`ManualClock.advance` waits for woken threads before failing (real seconds)."""


class ManualClock:
    """A :class:`posetalk.clock.Clock` that stands still until :meth:`advance`.

    Threads sleeping in :meth:`wait` wake when the time reaches their deadline. :meth:`advance`
    moves from deadline to deadline and returns once every thread it woke sleeps again or has
    ended, so when it returns the components have done exactly what the new time asks of them.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._changed = threading.Condition()
        self._deadlines: dict[threading.Thread, float] = {}
        self._woken: set[threading.Thread] = set()

    def now(self) -> float:
        with self._changed:
            return self._now

    def wait(self, event: threading.Event, seconds: float) -> bool:
        thread = threading.current_thread()
        with self._changed:
            self._woken.discard(thread)
            deadline = self._now + seconds
            self._deadlines[thread] = deadline
            self._changed.notify_all()
            while not event.is_set() and self._now < deadline:
                self._changed.wait(POLL_SECONDS)
            del self._deadlines[thread]
            self._woken.add(thread)
            return event.is_set()

    def wait_for_sleepers(self, count: int = 1) -> None:
        """Block until ``count`` threads sleep on this clock (a started component is waiting)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._deadlines) >= count, SETTLE_SECONDS):
                raise AssertionError(f"{len(self._deadlines)} of {count} threads went to sleep on the clock")

    def advance(self, seconds: float) -> None:
        """Move the time ``seconds`` on, waking each sleeper at its deadline in turn."""
        with self._changed:
            target = self._now + seconds
            while True:
                self._settle()
                due = [deadline for deadline in self._deadlines.values() if deadline <= target]
                if not due:
                    break
                self._now = min(due)
                self._changed.notify_all()
            self._now = target

    def _settle(self) -> None:
        """Wait (holding the lock between looks) until no thread is due or still busy after waking."""
        give_up = time.monotonic() + SETTLE_SECONDS

        def settled() -> bool:
            due = any(deadline <= self._now for deadline in self._deadlines.values())
            return not due and not any(thread.is_alive() for thread in self._woken)

        while not settled():
            if time.monotonic() > give_up:
                raise AssertionError("a thread woken by the manual clock did not sleep again or end")
            self._changed.wait(POLL_SECONDS)
