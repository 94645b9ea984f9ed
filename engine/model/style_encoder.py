"""DiffPoseTalk's style encoder: a transformer encoder over a motion clip, mean-pooled over time
(Sun et al. 2024, sec. 3.1). Published checkpoints store the ``encoder`` sub-module only."""

from __future__ import annotations

import torch
from torch import nn

from posetalk.model.config import StyleEncoderConfig
from posetalk.model.positional import FIXED_TABLE_ROWS, add_fixed_encoding, sinusoidal_table


class StyleEncoder(nn.Module):
    def __init__(self, config: StyleEncoderConfig) -> None:
        super().__init__()
        self.config = config
        d = config.feature_dim
        layer = nn.TransformerEncoderLayer(
            d_model=d, nhead=config.n_heads, dim_feedforward=config.mlp_ratio * d, activation="gelu", batch_first=True
        )
        self.encoder = nn.ModuleDict(
            {
                "motion_proj": nn.Linear(config.motion_dim, d),
                "transformer": nn.TransformerEncoder(layer, num_layers=config.n_layers, enable_nested_tensor=False),
            }
        )
        self.register_buffer("position_table", sinusoidal_table(FIXED_TABLE_ROWS, d)[None], persistent=False)

    def forward(self, motion: torch.Tensor) -> torch.Tensor:
        """motion: (N, L, d_motion) normalised motion -> (N, d_style) style feature."""
        tokens = self.encoder["motion_proj"](motion)
        tokens = add_fixed_encoding(tokens, self.position_table)
        return self.encoder["transformer"](tokens).mean(dim=1)
