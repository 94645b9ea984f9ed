"""The live window in a process of its own, fed by the process that runs the model.

moderngl holds Python's GIL through every GL call, and with software OpenGL (Mesa's llvmpipe) a
draw call does the rasterising itself: in the model's process, the window stalled the stream's
scheduler thread between its tensor operations (ticks of 1.6 s instead of 55 ms on the 2-core
machine; ``posetalk live`` published 228 of 750 frames in 30 s). In a child process at a lower CPU
priority (``nice``; the rasteriser's threads, started by it, inherit it) the window takes only the
CPU the model leaves, and draws at the level its governor finds (:mod:`posetalk.render.governor`).

The parent forwards each frame of a frame-bus subscription and, every :data:`HEALTH_EVERY_S`, the
stream's :class:`~posetalk.stream.health.StreamHealth` over a ``multiprocessing`` queue; ``None``
ends the stream (the window closes). The child reports back once: that the window opened, or the
one-line reason it could not.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from posetalk.errors import PosetalkError
from posetalk.stream.bus import Subscription
from posetalk.stream.frame import Frame
from posetalk.stream.health import StreamHealth

if TYPE_CHECKING:  # the child imports this module before it lowers its priority: keep it light
    from posetalk.render.window import WindowStats

HEALTH_EVERY_S = 0.25
OPEN_TIMEOUT_S = 60.0
"""How long the child may take to start Python, load the head and open the window."""
WINDOW_NICENESS = 10
"""CPU priority the window's process lowers itself by (Linux scheduler weight about a tenth)."""


@dataclass(frozen=True)
class WindowOptions:
    """What the child needs to open the window: which head (``load_head``'s arguments)."""

    flame: Path | None = None
    niceness: int = WINDOW_NICENESS


class _Feed:
    """The child's side of the queue, standing in for a frame queue in :class:`ViewerWindow`:
    frames through :meth:`get_nowait`, health kept as it arrives, ``ended`` after ``None``."""

    def __init__(self, messages: multiprocessing.Queue) -> None:
        self._messages = messages
        self.ended = False
        self.health: StreamHealth | None = None

    def get_nowait(self) -> Frame:
        while not self.ended:
            message = self._messages.get_nowait()  # queue.Empty when nothing waits
            if isinstance(message, StreamHealth):
                self.health = message
            elif message is None:
                self.ended = True
            else:
                return message
        raise queue.Empty


def _child(options: WindowOptions, messages: multiprocessing.Queue, replies: multiprocessing.Queue) -> None:
    """The window process: lower its priority, open the window, draw until closed or ended."""
    if sys.platform.startswith("linux"):
        os.nice(options.niceness)
    from posetalk.render.head_source import load_head
    from posetalk.render.window import ViewerWindow

    feed = _Feed(messages)
    try:
        geometry, _ = load_head(options.flame)
        window = ViewerWindow(geometry, feed, health=lambda: feed.health)  # type: ignore[arg-type]
        replies.put(window.run(on_open=lambda: replies.put("open")))
    except PosetalkError as error:
        replies.put(str(error))


def show_in_process(
    options: WindowOptions, frames: Subscription, health: Callable[[], StreamHealth]
) -> WindowStats | None:
    """Show the window in a child process until the user closes it or ``frames`` ends; what the
    window drew (None if its process ended without saying).

    Raises :class:`PosetalkError` (with the child's reason) when no window can open here.
    """
    from posetalk.render.window import WindowStats

    context = multiprocessing.get_context("spawn")  # no copy of this process's threads and model
    messages: multiprocessing.Queue = context.Queue()
    replies: multiprocessing.Queue = context.Queue()
    child = context.Process(target=_child, args=(options, messages, replies), name="posetalk-window", daemon=True)
    child.start()
    try:
        reply = replies.get(timeout=OPEN_TIMEOUT_S)
    except queue.Empty:
        child.kill()
        raise PosetalkError(f"the window did not open within {OPEN_TIMEOUT_S:.0f} s") from None
    if reply != "open":
        child.join(timeout=5)
        raise PosetalkError(reply)
    stop = threading.Event()
    forwarder = threading.Thread(target=_forward, args=(frames, health, messages, stop), daemon=True)
    forwarder.start()
    try:
        child.join()
    finally:
        stop.set()
        forwarder.join(timeout=5)
        frames.close()
        messages.cancel_join_thread()  # the child is gone: what it did not read may be dropped
        messages.close()
    try:
        stats = replies.get(timeout=1.0)
    except queue.Empty:
        return None
    return stats if isinstance(stats, WindowStats) else None


def _forward(frames: Subscription, health: Callable[[], StreamHealth], messages: multiprocessing.Queue,
             stop: threading.Event) -> None:
    """Frames and health to the child until the stream ends or the window has closed."""
    next_health = 0.0
    while not stop.is_set():
        now = time.monotonic()
        if now >= next_health:
            messages.put(health())
            next_health = now + HEALTH_EVERY_S
        try:
            frame = frames.get(timeout=HEALTH_EVERY_S)
        except queue.Empty:
            continue
        messages.put(frame)
        if frame is None:
            return
