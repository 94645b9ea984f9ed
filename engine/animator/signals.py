"""Smooth signal shapes of the animator: plateaus, pulses, Gaussian smoothing and band-limited noise.

Times and widths are seconds; every function is evaluated at given sample times (L,).
"""

from __future__ import annotations

import numpy as np


def _raised_cosine(x: np.ndarray) -> np.ndarray:
    """0 at x <= 0 rising smoothly to 1 at x >= 1 (half a cosine period)."""
    return 0.5 * (1.0 - np.cos(np.pi * np.clip(x, 0.0, 1.0)))


def plateau_weight(times: np.ndarray, start: float, end: float, ramp: float) -> np.ndarray:
    """(L,) 1 on [start, end], falling to 0 over ``ramp`` seconds on either side (raised cosine)."""
    distance = np.maximum(np.maximum(start - times, times - end), 0.0)
    return 1.0 - _raised_cosine(distance / ramp)


def pulse(times: np.ndarray, peak: float, rise: float, fall: float) -> np.ndarray:
    """(L,) a bump: 0 before ``peak − rise``, 1 at ``peak``, 0 again after ``peak + fall``."""
    up = _raised_cosine((times - (peak - rise)) / rise)
    down = 1.0 - _raised_cosine((times - peak) / fall)
    return np.where(times <= peak, up, down)


def gaussian_smooth(values: np.ndarray, sigma_frames: float) -> np.ndarray:
    """``values`` (L, ...) smoothed along axis 0 by a Gaussian of ``sigma_frames`` frames (edges
    extended with their end values)."""
    if sigma_frames <= 0 or len(values) == 0:
        return values.copy()
    radius = int(np.ceil(3.0 * sigma_frames))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_frames) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate(
        [np.repeat(values[:1], radius, axis=0), values, np.repeat(values[-1:], radius, axis=0)]
    )
    flat = padded.reshape(len(padded), -1)
    out = np.stack([np.convolve(flat[:, k], kernel, mode="valid") for k in range(flat.shape[1])], 1)
    return out.reshape(values.shape)


def smooth_noise(
    times: np.ndarray, rng: np.random.Generator, low_hz: float, high_hz: float, n_components: int
) -> np.ndarray:
    """(L,) band-limited noise of unit RMS: a sum of sinusoids of random frequencies in
    [low_hz, high_hz) and random phases, evaluated at ``times`` (which may be warped)."""
    frequencies = rng.uniform(low_hz, high_hz, n_components)
    phases = rng.uniform(0.0, 2.0 * np.pi, n_components)
    waves = np.sin(2.0 * np.pi * frequencies[None] * times[:, None] + phases[None])
    return waves.sum(axis=1) * np.sqrt(2.0 / n_components)
