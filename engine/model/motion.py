"""Conversions between FLAME coefficients and the model's normalised motion vectors.

A motion frame is [50 expression, (3 head rotation,) jaw pitch], normalised by the training
statistics; the jaw's rotations about y and z are not modelled (DiffPoseTalk, sec. 3).
"""

from __future__ import annotations

import torch

from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.model.config import EXP_DIM


def _stat(stats: CoefficientStats, name: str, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(getattr(stats, name), dtype=like.dtype, device=like.device)


def normalise_shape(shape: torch.Tensor, stats: CoefficientStats) -> torch.Tensor:
    """(..., 100) identity shape -> normalised."""
    return (shape - _stat(stats, "shape_mean", shape)) / _stat(stats, "shape_std", shape)


def coefficients_to_motion(
    exp: torch.Tensor, pose: torch.Tensor, stats: CoefficientStats, predict_head_pose: bool
) -> torch.Tensor:
    """exp (..., 50), pose (..., 6) -> normalised motion (..., 51 or 54)."""
    exp = (exp - _stat(stats, "exp_mean", exp)) / _stat(stats, "exp_std", exp)
    pose = (pose - _stat(stats, "pose_mean", pose)) / _stat(stats, "pose_std", pose)
    rotations = pose[..., :4] if predict_head_pose else pose[..., 3:4]
    return torch.cat([exp, rotations], dim=-1)


def motion_to_coefficients(
    motion: torch.Tensor, stats: CoefficientStats, predict_head_pose: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised motion (..., 51 or 54) -> (exp (..., 50), pose (..., 6)) FLAME coefficients.

    As published: the unmodelled jaw y/z rotations are zero *before* de-normalisation, and a model
    without head pose has its global rotation zeroed after it.
    """
    exp = motion[..., :EXP_DIM]
    zeros = torch.zeros_like(motion[..., :2])
    if predict_head_pose:
        pose = torch.cat([motion[..., EXP_DIM:], zeros], dim=-1)
    else:
        pose = torch.cat([torch.zeros_like(motion[..., :3]), motion[..., -1:], zeros], dim=-1)
    exp = exp * _stat(stats, "exp_std", exp) + _stat(stats, "exp_mean", exp)
    pose = pose * _stat(stats, "pose_std", pose) + _stat(stats, "pose_mean", pose)
    if not predict_head_pose:
        pose = torch.cat([torch.zeros_like(pose[..., :3]), pose[..., 3:]], dim=-1)
    return exp, pose
