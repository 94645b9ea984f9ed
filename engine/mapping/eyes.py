"""Procedural blinks and saccades: the model generates no eye motion, so the outputs add their own.

Blinks follow a renewal process (gaps drawn uniformly between ``blink_interval`` bounds), each a
closing/opening ramp of ``blink_duration`` seconds. Saccades jump the gaze to a random direction
within ``saccade_range`` at intervals drawn between ``saccade_interval`` bounds, returning toward
the centre half the time. Time is the frame's audio time, so the motion follows the stream's clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EyeMotion:
    """Configuration of the procedural eye motion.

    Attributes:
        blinks: add blinks.
        saccades: add gaze saccades.
        blink_interval: (min, max) seconds between blinks.
        blink_duration: seconds for a full close-and-open.
        saccade_interval: (min, max) seconds between gaze jumps.
        saccade_range: largest gaze offset, as a blend-shape weight in [0, 1].
        seed: random seed, so a stream's eye motion is reproducible.
    """

    blinks: bool = True
    saccades: bool = True
    blink_interval: tuple[float, float] = (2.0, 6.0)
    blink_duration: float = 0.2
    saccade_interval: tuple[float, float] = (0.4, 2.5)
    saccade_range: float = 0.4
    seed: int = 0


@dataclass(frozen=True)
class EyeState:
    """The eyes at one instant.

    Attributes:
        blink: eyelid closure in [0, 1] (both eyes).
        gaze: (2,) gaze offset (right, up), each in [-1, 1] as look blend-shape weights; positive
            right means toward the face's right.
    """

    blink: float
    gaze: np.ndarray


class EyeAnimator:
    """The eye motion of one stream; call :meth:`at` with non-decreasing times."""

    def __init__(self, config: EyeMotion) -> None:
        self.config = config
        self._rng = np.random.default_rng(config.seed)
        self._next_blink = self._draw(config.blink_interval)
        self._next_saccade = self._draw(config.saccade_interval)
        self._gaze = np.zeros(2)

    def _draw(self, bounds: tuple[float, float]) -> float:
        return float(self._rng.uniform(*bounds))

    def at(self, time_s: float) -> EyeState:
        """Advance to ``time_s`` (seconds of audio time) and return the eye state there."""
        config = self.config
        blink = 0.0
        if config.blinks:
            while time_s >= self._next_blink + config.blink_duration:
                self._next_blink += config.blink_duration + self._draw(config.blink_interval)
            phase = (time_s - self._next_blink) / config.blink_duration
            if 0.0 <= phase < 1.0:
                blink = 1.0 - abs(2.0 * phase - 1.0)  # triangle: closed at mid-blink
        if config.saccades:
            while time_s >= self._next_saccade:
                if self._rng.random() < 0.5:
                    self._gaze = self._rng.uniform(-1.0, 1.0, 2) * config.saccade_range
                else:
                    self._gaze = self._gaze * 0.5
                self._next_saccade += self._draw(config.saccade_interval)
        return EyeState(blink=blink, gaze=self._gaze.copy())
