"""Resampling FLAME motion in time: offline to a video's frame rate, live to the display clock.

Expression and pose coefficients are interpolated linearly. For the axis-angle pose this is the
usual approximation for the small frame-to-frame rotations of talking heads (a 25 fps step is a few
degrees at most), and it is what DiffPoseTalk's own data preparation does when changing rates.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from posetalk.stream.frame import Frame


def resample(values: np.ndarray, source_fps: float, target_fps: float) -> np.ndarray:
    """Resample a sequence to another frame rate, keeping its duration.

    Args:
        values: (L, D) frames at ``source_fps``; frame k belongs to time k / source_fps.
        source_fps, target_fps: frames per second.
    Returns:
        (M, D) frames at ``target_fps``, M = floor(L * target_fps / source_fps) (at least 1).
    """
    length = len(values)
    count = max(1, math.floor(length * target_fps / source_fps + 1e-9))
    position = np.arange(count) * (source_fps / target_fps)
    lower = np.minimum(np.floor(position).astype(np.int64), length - 1)
    upper = np.minimum(lower + 1, length - 1)
    weight = (position - lower)[:, None]
    return values[lower] * (1.0 - weight) + values[upper] * weight


class FrameInterpolator:
    """Motion at any audio time from the latest frames of a live stream.

    Frames arrive at the motion rate (25 fps) and are pushed in order; :meth:`sample` blends the
    two frames around a display time (clamping at the newest one, so a late stream holds still).
    """

    def __init__(self, capacity: int = 8) -> None:
        self._frames: deque[Frame] = deque(maxlen=capacity)

    def push(self, frame: Frame) -> None:
        if self._frames and frame.audio_time <= self._frames[-1].audio_time:
            self._frames.clear()  # a new stream (or a clock reset) starts over
        self._frames.append(frame)

    @property
    def latest(self) -> Frame | None:
        return self._frames[-1] if self._frames else None

    def sample(self, audio_time: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(exp (50,), pose (6,), shape (100,)) at ``audio_time``, or None before any frame."""
        if not self._frames:
            return None
        before = self._frames[0]
        for frame in self._frames:
            if frame.audio_time > audio_time:
                span = frame.audio_time - before.audio_time
                t = 0.0 if span <= 0 else min(max((audio_time - before.audio_time) / span, 0.0), 1.0)
                exp = before.exp * (1.0 - t) + frame.exp * t
                pose = before.pose * (1.0 - t) + frame.pose * t
                return exp, pose, frame.shape
            before = frame
        return before.exp, before.pose, before.shape


class PlaybackClock:
    """The audio time to show at a wall-clock time, locked to the arrival of live frames.

    Each frame's (audio time - arrival time) is an estimate of the offset between the two clocks;
    the clock follows it with a slew (so bursty arrival does not make motion stutter) and jumps
    when it is off by more than ``resync`` seconds (a new stream, a stall). Display runs ``delay``
    seconds behind, so there is usually a frame on each side of the time shown.
    """

    def __init__(self, delay: float = 0.08, slew: float = 0.05, resync: float = 0.25) -> None:
        self.delay = delay
        self.slew = slew
        self.resync = resync
        self._offset: float | None = None

    def observe(self, audio_time: float, wall_time: float) -> None:
        target = audio_time - wall_time
        if self._offset is None or abs(target - self._offset) > self.resync:
            self._offset = target
        else:
            self._offset += self.slew * (target - self._offset)

    def audio_time(self, wall_time: float) -> float | None:
        """Audio time to display now, or None before the first frame."""
        return None if self._offset is None else wall_time + self._offset - self.delay
