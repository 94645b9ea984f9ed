"""Reference architectures with random weights, for measuring speed without trained weights.

``published`` is DiffPoseTalk as released (HuBERT-base, an 8 x 512 decoder, windows of 100 frames
after 10 previous ones, 500 diffusion steps); ``small`` is a streaming-sized variant (a light
HuBERT-shaped encoder, a 4 x 256 decoder, 25 + 10 frames). Random weights make their output
meaningless, but their cost is that of a trained model of the same shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import HubertConfig, HubertModel

from posetalk.diffusion.schedules import make_schedule
from posetalk.model.config import denoiser_config_from_args
from posetalk.model.sizes import MODEL_SIZES, ModelSize
from posetalk.model.talking_head import DiffPoseTalk

PUBLISHED_ARGS: dict[str, Any] = dict(
    target="sample", guiding_conditions="audio,style", cfg_mode="incremental", n_diff_steps=500,
    diff_schedule="cosine", rot_repr="aa", no_head_pose=False, style_enc_ckpt=Path("style_encoder.pt"),
    d_style=128, audio_model="hubert", architecture="decoder", align_mask_width=1, no_use_learnable_pe=False,
    use_indicator=True, feature_dim=512, n_heads=8, n_layers=8, mlp_ratio=4, n_motions=100, n_prev_motions=10,
    fps=25, pad_mode="zero",
)
SMALL_ARGS: dict[str, Any] = {**PUBLISHED_ARGS, "feature_dim": 256, "n_heads": 4, "n_layers": 4,
                              "n_motions": 25, "n_prev_motions": 10}

HUBERT_BASE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                   conv_dim=(512,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2),
                   num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16)
HUBERT_LIGHT = dict(hidden_size=256, num_hidden_layers=3, num_attention_heads=4, intermediate_size=1024,
                    conv_dim=(128,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2),
                    num_conv_pos_embeddings=32, num_conv_pos_embedding_groups=8)


def random_model(args: dict[str, Any], hubert: dict[str, Any], seed: int = 0) -> DiffPoseTalk:
    """A DiffPoseTalk with the given checkpoint options and encoder shape, randomly initialised
    (learned embeddings that default to zero drawn from N(0, 0.5^2)), in eval mode."""
    torch.manual_seed(seed)
    config = denoiser_config_from_args(args)
    model = DiffPoseTalk(config, HubertModel(HubertConfig(**hubert)), make_schedule(config.diff_schedule, config.n_diff_steps))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            if not parameter.any():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    return model.eval()


def reference_model(size: ModelSize, seed: int = 0) -> DiffPoseTalk:
    """The ``published`` or ``small`` architecture with random weights."""
    if size == "published":
        return random_model(PUBLISHED_ARGS, HUBERT_BASE, seed)
    if size == "small":
        return random_model(SMALL_ARGS, HUBERT_LIGHT, seed)
    raise ValueError(f"unknown model size {size!r}; expected one of {MODEL_SIZES}")
