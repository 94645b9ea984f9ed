"""Audio normalisation that works on a stream.

The published pipeline normalises a clip by its own mean and (unbiased) standard deviation, which
a stream cannot know in advance. :class:`RunningNormaliser` uses the statistics of everything
heard so far (Welford's algorithm, exact in float64), with a floor on the standard deviation so
the silence before the first word is not amplified into noise. docs/streaming.md measures how far
this deviates from whole-clip normalisation.
"""

from __future__ import annotations

import numpy as np

STD_FLOOR = 0.01
"""Smallest std used: roughly -40 dBFS, quieter than any speech the model was trained on."""


class RunningNormaliser:
    """Mean and unbiased std over all samples seen, updated block by block."""

    def __init__(self, std_floor: float = STD_FLOOR) -> None:
        self.count = 0
        self._mean = 0.0
        self._m2 = 0.0
        self.std_floor = std_floor

    def update(self, block: np.ndarray) -> None:
        """Fold (S,) new samples into the statistics (Chan et al.'s parallel Welford update)."""
        n = block.size
        if n == 0:
            return
        block = block.astype(np.float64)
        mean = float(block.mean())
        m2 = float(((block - mean) ** 2).sum())
        total = self.count + n
        delta = mean - self._mean
        self._mean += delta * n / total
        self._m2 += m2 + delta * delta * self.count * n / total
        self.count = total

    @property
    def mean(self) -> float:
        return self._mean

    @property
    def std(self) -> float:
        variance = self._m2 / (self.count - 1) if self.count > 1 else 0.0
        return max(float(np.sqrt(variance)), self.std_floor)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """(S,) samples -> (x - mean) / (std + 1e-5), as the published pipeline normalises."""
        return ((samples - self.mean) / (self.std + 1e-5)).astype(np.float32)


class FixedNormaliser:
    """Normalisation by given statistics (e.g. measured on a calibration recording)."""

    def __init__(self, mean: float, std: float) -> None:
        self.mean, self.std = mean, std

    def update(self, block: np.ndarray) -> None:
        """Fixed statistics ignore new audio."""

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        return ((samples - self.mean) / (self.std + 1e-5)).astype(np.float32)
