"""DiffPoseTalk's denoising network: a transformer decoder over [person token, previous frames,
noisy frames], cross-attending to audio features (Sun et al. 2024, sec. 3.2, fig. 2).

Attribute names follow the published module so that its state dicts load as they are.
"""

from __future__ import annotations

import torch
from torch import nn

from posetalk.model.cached_decoder import MemoryCache, decode, encode_memory
from posetalk.model.config import DenoiserConfig
from posetalk.model.positional import FIXED_TABLE_ROWS, add_fixed_encoding, alignment_mask, sinusoidal_table


class DenoisingNetwork(nn.Module):
    def __init__(self, config: DenoiserConfig) -> None:
        super().__init__()
        self.config = config
        d = config.feature_dim
        n_frames = config.n_prev_motions + config.n_motions
        self.register_buffer("step_table", sinusoidal_table(config.n_diff_steps + 1, d), persistent=False)
        self.diff_step_map = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, d))
        if config.learnable_pe:
            self.PE = nn.Parameter(torch.zeros(1, 1 + n_frames, d))
        else:
            self.register_buffer("position_table", sinusoidal_table(FIXED_TABLE_ROWS, d)[None], persistent=False)
        self.person_proj = nn.Linear(config.person_dim, d)
        self.feature_proj = nn.Linear(config.motion_dim + int(config.use_indicator), d)
        layer = nn.TransformerDecoderLayer(
            d_model=d,
            nhead=config.n_heads,
            dim_feedforward=config.mlp_ratio * d,
            activation="gelu",
            batch_first=True,
        )
        self.transformer = nn.TransformerDecoder(layer, num_layers=config.n_layers)
        if config.align_mask_width > 0:
            self.register_buffer("alignment_mask", alignment_mask(n_frames, config.align_mask_width))
        else:
            self.alignment_mask = None
        self.motion_dec = nn.Sequential(nn.Linear(d, d // 2), nn.GELU(), nn.Linear(d // 2, config.motion_dim))

    def embed_person(self, person: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        """person (N, 1, d_person), step (N,) int -> the person token (N, 1, d_model)."""
        return self.person_proj(person) + self.diff_step_map(self.step_table[step]).unsqueeze(1)

    def encode_memory(self, prev_audio: torch.Tensor, audio: torch.Tensor) -> MemoryCache:
        """Cross-attention keys and values of [prev_audio, audio] (N, L_p + L, d_model) for every
        layer: constant over a window's steps, so :meth:`forward` can reuse them."""
        return encode_memory(self.transformer, torch.cat([prev_audio, audio], dim=1), self.alignment_mask)

    def forward(
        self,
        motion: torch.Tensor,
        audio: torch.Tensor | None,
        person: torch.Tensor,
        prev_motion: torch.Tensor,
        prev_audio: torch.Tensor | None,
        step: torch.Tensor,
        indicator: torch.Tensor | None = None,
        memory: MemoryCache | None = None,
    ) -> torch.Tensor:
        """Predict the target for every frame of the window.

        Args:
            motion: (N, L, d_motion) noisy motion x_t.
            audio: (N, L, d_model) audio features of the window (None when ``memory`` is given).
            person: (N, 1, d_person) normalised shape, then the style feature.
            prev_motion: (N, L_p, d_motion) the previous window's last frames.
            prev_audio: (N, L_p, d_model) their audio features (None when ``memory`` is given).
            step: (N,) diffusion step t.
            indicator: (N, L) 1 for frames with real audio, 0 for padding; required when the
                checkpoint was trained with it.
            memory: cached cross-attention projections from :meth:`encode_memory`, or None to
                run PyTorch's decoder module as the published code does.
        Returns:
            (N, L_p + L, d_motion) predicted x_0 (or noise) for previous and current frames.
        """
        frames = torch.cat([prev_motion, motion], dim=1)
        if self.config.use_indicator:
            if indicator is None:
                raise ValueError("this checkpoint needs the padding indicator")
            prev_indicator = torch.zeros(indicator.shape[0], prev_motion.shape[1], dtype=frames.dtype, device=frames.device)
            frames = torch.cat([frames, torch.cat([prev_indicator, indicator.to(frames.dtype)], dim=1)[..., None]], dim=-1)
        tokens = torch.cat([self.embed_person(person, step), self.feature_proj(frames)], dim=1)
        if self.config.learnable_pe:
            tokens = tokens + self.PE
        else:
            tokens = add_fixed_encoding(tokens, self.position_table)
        if memory is None:
            hidden = self.transformer(tokens, torch.cat([prev_audio, audio], dim=1), memory_mask=self.alignment_mask)
        else:
            hidden = decode(self.transformer, tokens, memory)
        return self.motion_dec(hidden[:, 1:])
