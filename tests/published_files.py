"""Writing model folders in the published file layout, with random weights, for tests.

The files are what DiffPoseTalk's training scripts save: ``{'args': Namespace, 'model': state
dict, 'iter'}`` with the audio encoder under ``audio_encoder.``, the fixed ``TE.pe`` table and the
schedule buffers, plus stats, identity and style arrays.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import torch

from posetalk.model.architectures import random_model
from posetalk.model.config import style_encoder_config_from_args
from posetalk.model.positional import sinusoidal_table
from posetalk.model.style_encoder import StyleEncoder

BASE_ARGS: dict[str, Any] = dict(
    target="sample", guiding_conditions="audio,style", cfg_mode="incremental", n_diff_steps=8,
    diff_schedule="cosine", rot_repr="aa", no_head_pose=False, style_enc_ckpt=Path("style_encoder.pt"),
    d_style=8, audio_model="hubert", architecture="decoder", align_mask_width=1, no_use_learnable_pe=False,
    use_indicator=True, feature_dim=32, n_heads=2, n_layers=1, mlp_ratio=2, n_motions=10, n_prev_motions=3,
    fps=25, pad_mode="zero",
)


TINY_HUBERT = dict(
    hidden_size=64, num_hidden_layers=1, num_attention_heads=1, intermediate_size=32, conv_dim=(16,) * 7,
    conv_kernel=(10, 3, 3, 3, 3, 2, 2), num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=4,
)


def write_model_folder(
    folder: Path, old_weight_norm_names: bool = False, seed: int = 0, drop: tuple[str, ...] = (), **overrides: Any
) -> Path:
    """Write denoiser.pt, stats.npz, shape.npy and (for style models) style.npy, style_encoder.pt.

    ``overrides`` replace options of BASE_ARGS; options named in ``drop`` are left out, as in files
    written before those options existed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    options = {k: v for k, v in {**BASE_ARGS, **overrides}.items() if k not in drop}
    model = random_model(options, TINY_HUBERT, seed)
    config = model.config
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["denoising_net.TE.pe"] = sinusoidal_table(config.n_diff_steps + 1, config.feature_dim)[None]
    for name in ("betas", "alphas", "alpha_bars", "sigmas_flex", "sigmas_inflex"):
        state[f"diffusion_sched.{name}"] = getattr(model.schedule, name)
    if old_weight_norm_names:
        for new, old in (("original0", "weight_g"), ("original1", "weight_v")):
            key = f"audio_encoder.encoder.pos_conv_embed.conv.parametrizations.weight.{new}"
            state[f"audio_encoder.encoder.pos_conv_embed.conv.{old}"] = state.pop(key)
    torch.save({"args": argparse.Namespace(**options), "model": state, "iter": 1}, folder / "denoiser.pt")

    rng = np.random.default_rng(seed)
    np.savez(
        folder / "stats.npz",
        **{f"{k}_mean": rng.normal(0, 0.1, n).astype(np.float32) for k, n in (("exp", 50), ("pose", 6), ("shape", 100))},
        **{f"{k}_std": rng.uniform(0.5, 1.5, n).astype(np.float32) for k, n in (("exp", 50), ("pose", 6), ("shape", 100))},
    )
    np.save(folder / "shape.npy", rng.normal(0, 1, 100).astype(np.float32))
    if config.use_style:
        np.save(folder / "style.npy", rng.normal(0, 1, config.d_style).astype(np.float32))
        style_args = dict(rot_repr="aa", no_head_pose=not config.predict_head_pose, feature_dim=config.d_style, n_heads=2,
                          n_layers=1, mlp_ratio=2, n_motions=config.n_motions, fps=config.fps, stats_file=Path("stats.npz"))
        encoder = StyleEncoder(style_encoder_config_from_args(style_args))
        torch.save({"args": argparse.Namespace(**style_args), "encoder": encoder.encoder.state_dict(), "iter": 1},
                   folder / "style_encoder.pt")
    return folder


def speech_like_audio(seconds: float, seed: int = 0) -> np.ndarray:
    """(S,) 16 kHz amplitude-modulated harmonics: deterministic, voice-like enough for shapes."""
    t = np.arange(int(seconds * 16000)) / 16000
    rng = np.random.default_rng(seed)
    pitch = 120 + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / 16000
    voice = sum(np.sin(k * phase) / k for k in range(1, 6))
    envelope = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None)
    return (0.3 * voice * envelope + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
