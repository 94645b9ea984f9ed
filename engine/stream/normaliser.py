"""Audio normalisation that works on a stream.

The published pipeline normalises a clip by its own mean and (unbiased) standard deviation, which
a stream cannot know in advance. :class:`RunningNormaliser` uses the statistics of everything
heard so far (Welford's algorithm, exact in float64), with a floor on the standard deviation so
the silence before the first word is not amplified into noise. docs/streaming.md measures how far
this deviates from whole-clip normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

STD_FLOOR = 0.01
"""Smallest std used: roughly -40 dBFS, quieter than any speech the model was trained on."""


@dataclass(frozen=True)
class RunningNormaliser:
    """Mean and unbiased std over all samples seen; a value, each block giving a new one."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    std_floor: float = STD_FLOOR

    def updated(self, block: np.ndarray) -> RunningNormaliser:
        """These statistics with (S,) new samples folded in (Chan et al.'s parallel Welford update)."""
        n = block.size
        if n == 0:
            return self
        block = block.astype(np.float64)
        mean = float(block.mean())
        m2 = float(((block - mean) ** 2).sum())
        total = self.count + n
        delta = mean - self.mean
        return replace(
            self, count=total, mean=self.mean + delta * n / total, m2=self.m2 + m2 + delta * delta * self.count * n / total
        )

    @property
    def std(self) -> float:
        variance = self.m2 / (self.count - 1) if self.count > 1 else 0.0
        return max(float(np.sqrt(variance)), self.std_floor)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """(S,) samples -> (x - mean) / (std + 1e-5), as the published pipeline normalises."""
        return ((samples - self.mean) / (self.std + 1e-5)).astype(np.float32)


@dataclass(frozen=True)
class FixedNormaliser:
    """Normalisation by given statistics (e.g. measured on a calibration recording)."""

    mean: float
    std: float

    def updated(self, block: np.ndarray) -> FixedNormaliser:
        """Fixed statistics ignore new audio."""
        return self

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        return ((samples - self.mean) / (self.std + 1e-5)).astype(np.float32)


AudioNormaliser = RunningNormaliser | FixedNormaliser
