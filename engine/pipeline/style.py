"""Extracting a style feature from a motion clip with the style encoder (DiffPoseTalk, sec. 3.1)."""

from __future__ import annotations

import numpy as np
import torch

from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.model.motion import coefficients_to_motion
from posetalk.model.style_encoder import StyleEncoder


@torch.no_grad()
def extract_style(
    encoder: StyleEncoder, stats: CoefficientStats, exp: np.ndarray, pose: np.ndarray, start: int = 0
) -> np.ndarray:
    """Style feature of frames ``start .. start + n_motions`` of a clip.

    Args:
        exp: (L, 50) expression coefficients.
        pose: (L, 6) global then jaw axis-angle.
    Returns:
        (d_style,) float32 style feature.
    """
    if exp.ndim != 2 or exp.shape[1] != 50 or pose.ndim != 2 or pose.shape[1] != 6 or len(exp) != len(pose):
        raise ValueError(f"motion clip needs exp (L, 50) and pose (L, 6), got {exp.shape} and {pose.shape}")
    end = start + encoder.config.n_motions
    if not 0 <= start < len(exp):
        raise ValueError(f"start frame {start} is outside the clip's {len(exp)} frames")
    device = encoder.position_table.device
    clip_exp = torch.as_tensor(exp[start:end], dtype=torch.float32, device=device)
    clip_pose = torch.as_tensor(pose[start:end], dtype=torch.float32, device=device)
    if not (torch.isfinite(clip_exp).all() and torch.isfinite(clip_pose).all()):
        raise ValueError("motion clip holds NaN or infinite values")
    motion = coefficients_to_motion(clip_exp, clip_pose, stats, encoder.config.predict_head_pose)
    return encoder(motion[None])[0].cpu().numpy()
