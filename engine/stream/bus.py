"""Fan-out of published frames to any number of consumers, each with a bounded queue.

A slow consumer loses its oldest frames; it never stalls the producer or grows memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from posetalk.stream.frame import Frame


class Subscription:
    """A consumer's bounded queue of frames; iterate it or call :meth:`get`."""

    def __init__(self, bus: FrameBus, maxsize: int) -> None:
        self._bus = bus
        self._queue: queue.Queue[Frame | None] = queue.Queue(maxsize)
        self.dropped = 0
        self.ended = False

    def _offer(self, frame: Frame | None) -> None:
        while True:
            try:
                self._queue.put_nowait(frame)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def get(self, timeout: float | None = None) -> Frame | None:
        """The next frame; None once the stream has ended. Raises queue.Empty on timeout."""
        frame = self._queue.get(timeout=timeout)
        self.ended = self.ended or frame is None
        return frame

    def get_nowait(self) -> Frame:
        """The next frame if one is waiting, else queue.Empty (also after the end; see ``ended``).

        With this a subscription stands in for a ``queue.Queue[Frame]`` (the viewer window's input).
        """
        frame = self.get(timeout=0) if not self.ended else None
        if frame is None:
            raise queue.Empty
        return frame

    def close(self) -> None:
        """Stop receiving frames."""
        self._bus.unsubscribe(self)

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.get()) is not None:
            yield frame


class FrameBus:
    """Publishes each frame to every subscription, without blocking."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self, maxsize: int = 50) -> Subscription:
        subscription = Subscription(self, maxsize)
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)

    def publish(self, frame: Frame) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription._offer(frame)

    def end(self) -> None:
        """Tell every consumer the stream is over."""
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription._offer(None)
