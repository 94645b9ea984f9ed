"""GPU skinning (transform feedback read-back) against the CPU reference."""

from __future__ import annotations

import numpy as np
import pytest

from posetalk.render.geometry import head_geometry
from posetalk.render.headless import create_headless_context
from posetalk.render.renderer import Renderer
from posetalk.rig.flame import flame_vertices, load_flame
from posetalk.rig.head import built_in_head
from posetalk.rig.mesh import vertex_normals
from tests.conftest import require_fixture
from tests.flame_fixtures import FIXTURES, expected_arrays

ATOL = 1e-5  # metres; float32 on the GPU against float64 on the CPU


@pytest.fixture(scope="module")
def ctx():
    context = create_headless_context()
    yield context
    context.release()


def _gpu_vertices(renderer: Renderer, shape, exp, pose) -> tuple[np.ndarray, np.ndarray]:
    renderer.set_shape(shape)
    renderer.pose(exp, pose)
    return renderer.read_positions(), renderer.read_normals()


def test_gpu_skinning_matches_cpu_on_built_in_head(ctx):
    head = built_in_head()
    renderer = Renderer(ctx, head_geometry(head.model, head.colors))
    rng = np.random.default_rng(3)
    try:
        for _ in range(3):
            shape = np.zeros(100)
            shape[:12] = rng.normal(size=12)
            exp = rng.normal(size=50) * 1.5
            pose = rng.normal(size=6) * 0.2
            pose[3] = abs(pose[3])
            positions, normals = _gpu_vertices(renderer, shape, exp, pose)
            cpu = flame_vertices(head.model, shape[None], exp[None], pose[None])[0]
            np.testing.assert_allclose(positions, cpu, rtol=0, atol=ATOL)
            cpu_normals = vertex_normals(cpu, head.model.faces)
            used = np.linalg.norm(cpu_normals, axis=1) > 0
            np.testing.assert_allclose(normals[used], cpu_normals[used], rtol=0, atol=5e-3)
    finally:
        renderer.release()


@pytest.mark.parametrize("folder", FIXTURES, ids=lambda folder: folder.name)
def test_gpu_skinning_matches_flame_fixture(ctx, folder):
    """Pose correctives and the joint chain of a FLAME-format file, frame by frame."""
    expected = expected_arrays(folder)
    model = load_flame(require_fixture(folder / "flame_synthetic.pkl"))
    renderer = Renderer(ctx, head_geometry(model))
    try:
        for shape, exp, pose, vertices in zip(
            expected["shape"], expected["exp"], expected["pose"], expected["vertices"], strict=True
        ):
            positions, _ = _gpu_vertices(renderer, shape, exp, pose)
            np.testing.assert_allclose(positions, vertices, rtol=0, atol=ATOL)
    finally:
        renderer.release()


def test_shape_change_reaches_the_gpu(ctx):
    head = built_in_head()
    renderer = Renderer(ctx, head_geometry(head.model, head.colors))
    try:
        rest, _ = _gpu_vertices(renderer, np.zeros(100), np.zeros(50), np.zeros(6))
        shape = np.zeros(100)
        shape[0] = 2.0  # head_scale
        scaled, _ = _gpu_vertices(renderer, shape, np.zeros(50), np.zeros(6))
        assert np.ptp(scaled[:, 1]) > np.ptp(rest[:, 1]) * 1.04
        back, _ = _gpu_vertices(renderer, np.zeros(100), np.zeros(50), np.zeros(6))
        np.testing.assert_array_equal(back, rest)
    finally:
        renderer.release()
