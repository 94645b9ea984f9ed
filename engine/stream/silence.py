"""Closing the mouth while the speaker is silent.

The model is conditioned on speech; on silence a trained model closes the mouth by itself, but
breath noise and room tone can leave it mumbling. The gate measures each frame's level on the raw
audio, and after ``hold`` seconds below ``threshold_db`` eases the expression and jaw towards the
rest face (zero expression, jaw closed: the closed-mouth neutral of FLAME and of the built-in head)
with a time constant of ``release`` seconds, and back as soon as speech returns. (The training mean
would not do: it averages speech, a half-open mouth.) Head rotation is left to the model, so the
head stays alive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SilenceGateConfig:
    threshold_db: float = -45.0
    hold: float = 0.12
    release: float = 0.08
    attack: float = 0.03


class SilenceGate:
    """Per-stream gate state; :meth:`apply` processes frames in order."""

    def __init__(self, fps: int, config: SilenceGateConfig = SilenceGateConfig()) -> None:
        self.config, self.fps = config, fps
        self.silent_for = 0.0
        self.closed = 0.0  # 0: model motion, 1: fully neutral mouth

    def apply(self, exp: np.ndarray, pose: np.ndarray, frame_audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """exp (K, 50), pose (K, 6), frame_audio (K, S) raw samples of each frame -> gated copies."""
        exp, pose = exp.copy(), pose.copy()
        dt = 1.0 / self.fps
        for i, samples in enumerate(frame_audio):
            level_db = 20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2)) + 1e-9)
            self.silent_for = self.silent_for + dt if level_db < self.config.threshold_db else 0.0
            target = 1.0 if self.silent_for >= self.config.hold else 0.0
            tau = self.config.release if target > self.closed else self.config.attack
            self.closed += (target - self.closed) * (1 - np.exp(-dt / tau))
            exp[i] *= 1.0 - self.closed
            pose[i, 3:] *= 1.0 - self.closed
        return exp, pose
