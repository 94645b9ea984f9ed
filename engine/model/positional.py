"""Positional tables and the audio-motion alignment mask."""

from __future__ import annotations

import math

import torch

FIXED_TABLE_ROWS = 600
"""Rows of the published fixed positional table (its ``max_len`` default)."""


def sinusoidal_table(length: int, dim: int) -> torch.Tensor:
    """(length, dim) sinusoidal encoding (Vaswani et al. 2017, sec. 3.5): sin on even, cos on odd
    channels, computed in float32 exactly as the published code does."""
    position = torch.arange(0, length, dtype=torch.float).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, dim, 2).float() * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


def alignment_mask(n_frames: int, width: int) -> torch.Tensor:
    """(1 + n_frames, n_frames) boolean cross-attention mask, True where attention is blocked.

    Motion frame i may attend to audio frames i - (width - 1) .. i + (width - 1); the leading row
    belongs to the person token, which attends to every audio frame (DiffPoseTalk, sec. 3.2).
    """
    expansion = width - 1
    index = torch.arange(n_frames)
    distance = (index[None, :] - index[:, None]).abs()
    blocked = distance > expansion
    return torch.cat([torch.zeros(1, n_frames, dtype=torch.bool), blocked])


def add_fixed_encoding(tokens: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Add the published fixed positional encoding to tokens (N, L, d); table is (1, rows, d).

    The published ``PositionalEncoding`` indexes ``pe[:, L]`` rather than ``pe[:, :L]``: every
    token receives the same row, the one at index L. Checkpoints trained with it depend on it,
    so it is reproduced here.
    """
    length = tokens.shape[1]
    if length >= table.shape[1]:
        raise ValueError(f"sequence of {length} tokens exceeds the {table.shape[1] - 1} the positional table allows")
    return tokens + table[:, length]
