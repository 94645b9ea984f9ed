"""Feeding a saved coefficient sequence into a frame queue in real time, as a live stream would."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np

from posetalk.render.offline import ClipMotion
from posetalk.stream.frame import Frame


def play_into(
    motion: ClipMotion, frames: queue.Queue[Frame], stop: threading.Event, loop: bool = False
) -> None:
    """Publish one :class:`Frame` per motion frame at the motion's rate until done or ``stop``.

    A full queue drops the frame (a slow consumer loses frames; the producer never waits).
    """
    period = 1.0 / motion.fps
    start = time.time()
    seq = 0
    while not stop.is_set():
        index = seq % len(motion.exp)
        if index == 0 and seq > 0 and not loop:
            return
        frame = Frame(
            seq=seq,
            audio_time=seq * period,
            wall_time=time.time(),
            exp=np.asarray(motion.exp[index], dtype=np.float32),
            pose=np.asarray(motion.pose[index], dtype=np.float32),
            shape=np.asarray(motion.shape[index], dtype=np.float32),
        )
        try:
            frames.put_nowait(frame)
        except queue.Full:
            pass
        seq += 1
        stop.wait(max(0.0, start + seq * period - time.time()))
