"""Face vertices of the built-in head as a differentiable function of the motion, for the
denoiser's vertex loss (DiffPoseTalk, sec. 3.3: the loss on FLAME vertices).

Only the parts a mouth motion moves are posed: expression blend shapes (linear) and the jaw's
rotation about its joint, on a fixed random subset of the face's vertices near the mouth plus the
two inner lip mid-points (for the lip-gap loss). The global head rotation has its own loss terms,
so it is left out here.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from posetalk.rig.flame import JAW_JOINT, FlameModel
from posetalk.rig.head.assemble import built_in_head
from posetalk.rig.head.skin import MOUTH_Y, build_skin

MOUTH_RADIUS = 0.05
"""Vertices within this distance (metres) of the mouth centre take part in the loss."""


def _rotation_about_x(angle: torch.Tensor) -> torch.Tensor:
    """(...,) radians -> (..., 3, 3) rotation matrices about the x axis (the jaw's pitch)."""
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    return torch.stack([one, zero, zero, zero, c, -s, zero, s, c], dim=-1).reshape(*angle.shape, 3, 3)


class MouthVertices(nn.Module):
    """exp (..., 50) and jaw pitch (...,) -> (..., V_m, 3) vertices around the mouth, metres.

    Args:
        head: the FLAME-layout model.
        lips: vertex indices of the upper and lower lip's inner mid-points (always included).
        n_vertices: how many other vertices near the mouth to draw.
    """

    def __init__(self, head: FlameModel, lips: tuple[int, int], n_vertices: int = 600, seed: int = 0) -> None:
        super().__init__()
        rest = head.v_template
        near = np.linalg.norm(rest - np.array([0.0, MOUTH_Y, rest[:, 2].max()]), axis=1) < MOUTH_RADIUS * 2
        moving = (np.abs(head.exprdirs).sum(axis=(1, 2)) > 1e-6) | (head.lbs_weights[:, JAW_JOINT] > 0.01)
        candidates = np.setdiff1d(np.flatnonzero(near & moving), lips)
        drawn = np.random.default_rng(seed).choice(candidates, min(n_vertices, len(candidates)), replace=False)
        chosen = np.sort(np.concatenate([drawn, lips]))
        joints = head.j_regressor @ rest
        self.register_buffer("indices", torch.from_numpy(chosen))
        self.register_buffer("lip_rows", torch.from_numpy(np.searchsorted(chosen, lips)))
        self.register_buffer("rest", torch.tensor(rest[chosen], dtype=torch.float32))
        self.register_buffer("dirs", torch.tensor(head.exprdirs[chosen], dtype=torch.float32))
        self.register_buffer("jaw_weight", torch.tensor(head.lbs_weights[chosen, JAW_JOINT], dtype=torch.float32))
        self.register_buffer("jaw_centre", torch.tensor(joints[JAW_JOINT], dtype=torch.float32))

    def forward(self, exp: torch.Tensor, jaw_pitch: torch.Tensor) -> torch.Tensor:
        shaped = self.rest + torch.einsum("...e,vce->...vc", exp, self.dirs)
        relative = shaped - self.jaw_centre
        rotated = torch.einsum("...ij,...vj->...vi", _rotation_about_x(jaw_pitch), relative) + self.jaw_centre
        w = self.jaw_weight[:, None]
        return shaped * (1 - w) + rotated * w

    def lip_gap(self, vertices: torch.Tensor) -> torch.Tensor:
        """(..., V_m, 3) posed vertices -> (..., 3) upper minus lower inner lip mid-point."""
        return vertices[..., self.lip_rows[0], :] - vertices[..., self.lip_rows[1], :]


def built_in_mouth_vertices(n_vertices: int = 600) -> MouthVertices:
    """:class:`MouthVertices` of the built-in head, lips located on its skin."""
    return MouthVertices(built_in_head().model, build_skin()[0].midline_lips(), n_vertices)
