"""The default model's architecture, as the option namespaces its checkpoints store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STYLE_ARGS: dict[str, Any] = dict(
    no_head_pose=False, rot_repr="aa", feature_dim=128, n_heads=4, n_layers=2, mlp_ratio=4, n_motions=50, fps=25,
)
DENOISER_ARGS: dict[str, Any] = dict(
    target="sample", guiding_conditions="audio,style", cfg_mode="incremental", n_diff_steps=500,
    diff_schedule="cosine", rot_repr="aa", no_head_pose=False, style_enc_ckpt=Path("style_encoder.pt"),
    d_style=128, audio_model="whisper", architecture="decoder", align_mask_width=1, no_use_learnable_pe=False,
    use_indicator=True, feature_dim=256, n_heads=4, n_layers=3, mlp_ratio=4, n_motions=25, n_prev_motions=10,
    fps=25, pad_mode="zero", audio_context_ms=500.0, whisper="tiny.en",
)
"""The published option names (so the published loader could read them), plus
``audio_context_ms`` (the stream's left context the features were computed with)."""
