"""The unit of motion that every consumer (renderer, WebSocket server, bridges) receives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of FLAME motion, stamped with the audio time it belongs to.

    Attributes:
        seq: sequence number, 0 for the first frame of a stream, +1 per frame.
        audio_time: seconds on the audio sample clock (the master clock) at the frame's centre.
        wall_time: Unix time in seconds at which the frame was published.
        exp: (50,) float32 FLAME expression coefficients.
        pose: (6,) float32 global axis-angle (3) then jaw axis-angle (3), radians.
        shape: (100,) float32 identity shape coefficients.
    """

    seq: int
    audio_time: float
    wall_time: float
    exp: np.ndarray
    pose: np.ndarray
    shape: np.ndarray
