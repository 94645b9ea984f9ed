"""Dynamic thresholding of network predictions (Saharia et al. 2022, "Imagen", sec. 2.3)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DynamicThreshold:
    """Clamp each sample to +-s, s the ``ratio`` quantile of its absolute values, s in [min, max]."""

    ratio: float
    min: float
    max: float

    def __post_init__(self) -> None:
        if not 0.0 < self.ratio <= 1.0 or self.min > self.max:
            raise ValueError(f"invalid dynamic threshold (ratio={self.ratio}, min={self.min}, max={self.max})")

    def __call__(self, prediction: torch.Tensor) -> torch.Tensor:
        """prediction: (N, L, D) -> (N, L, D), each of the N samples clamped by its own bound."""
        flat = prediction.reshape(prediction.shape[0], -1).abs()
        bound = torch.quantile(flat, self.ratio, dim=1).clamp(self.min, self.max)[:, None, None]
        return torch.clamp(prediction, -bound, bound)
