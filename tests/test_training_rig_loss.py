"""The vertex loss's mouth vertices follow the built-in head's own LBS."""

import numpy as np
import torch

from posetalk.evaluation.mouth import mouth_opening
from posetalk.rig.flame import flame_vertices
from posetalk.rig.head.assemble import built_in_head
from posetalk.rig.head.skin import build_skin
from posetalk.training.rig_loss import MouthVertices, built_in_mouth_vertices


def test_mouth_vertices_match_the_rig() -> None:
    head = built_in_head().model
    mouth = MouthVertices(head, build_skin()[0].midline_lips())
    rng = np.random.default_rng(1)
    exp = rng.normal(0, 1, (4, 50))
    pose = np.zeros((4, 6))
    pose[:, 3] = [0.0, 0.1, 0.25, -0.05]
    expected = flame_vertices(head, np.zeros((4, 100)), exp, pose)[:, mouth.indices.numpy()]
    posed = mouth(torch.tensor(exp, dtype=torch.float32), torch.tensor(pose[:, 3], dtype=torch.float32))
    # joints are regressed from the rest pose here, from the expressed mesh by the rig: sub-mm apart
    assert np.abs(posed.numpy() - expected).max() < 5e-4
    open_jaw = mouth(torch.zeros(1, 50), torch.tensor([0.25]))
    closed = mouth(torch.zeros(1, 50), torch.tensor([0.0]))
    assert (open_jaw - closed).norm(dim=-1).max() > 0.005


def test_lip_gap_is_the_evaluated_mouth_opening() -> None:
    mouth = built_in_mouth_vertices()
    rng = np.random.default_rng(2)
    exp = rng.normal(0, 0.5, (6, 50))
    pose = np.zeros((6, 6))
    pose[:, 3] = np.linspace(0.0, 0.3, 6)
    posed = mouth(torch.tensor(exp, dtype=torch.float32), torch.tensor(pose[:, 3], dtype=torch.float32))
    gap = mouth.lip_gap(posed).numpy() * 1000.0
    opening = mouth_opening(exp, pose, np.zeros(100))
    upward = gap[:, 1] > 0
    assert np.allclose(np.linalg.norm(gap, axis=1)[upward], opening[upward], atol=0.5)
    assert opening[-1] > 5.0  # the widest jaw opens the lips by millimetres, not by rounding
