"""Drawing at a lower resolution or without MSAA (the live window's cheaper levels) and filling
the full-size target with the result: the same head in the same place, only softer."""

from __future__ import annotations

import numpy as np
import pytest

from posetalk.render.scaled import ScaledTarget, scaled_size
from tests.render_support import Scene, mean_change, save_diff

SIZE = (200, 160)


@pytest.fixture(scope="module")
def scene():
    scene = Scene.built_in(SIZE)
    yield scene
    scene.close()


def _presented(scene: Scene, scaled: ScaledTarget, scale: float, samples: int, pose: np.ndarray) -> np.ndarray:
    """The head drawn at ``scale`` with ``samples``, presented into a full-size framebuffer, read back."""
    ctx = scene.renderer.ctx
    screen = ctx.framebuffer(color_attachments=[ctx.renderbuffer(SIZE, 4)])
    try:
        scene.renderer.pose(np.zeros(50), pose)
        small = scaled_size(SIZE, scale)
        scene.renderer.head_pass(scaled.framebuffer(small, samples), scene.camera, small)
        scaled.present(screen, SIZE)
        data = screen.read(components=3, alignment=1)
    finally:
        screen.color_attachments[0].release()
        screen.release()
    return np.frombuffer(data, np.uint8).reshape(SIZE[1], SIZE[0], 3)[::-1].copy()


def _head_mask(image: np.ndarray, background: np.ndarray) -> np.ndarray:
    return np.abs(image.astype(np.int16) - background).sum(-1) > 30


def test_scaled_size_keeps_at_least_a_pixel() -> None:
    assert scaled_size((720, 720), 0.5) == (360, 360)
    assert scaled_size((3, 1), 0.1) == (1, 1)


@pytest.mark.parametrize(("scale", "samples", "tolerance"), [(1.0, 4, 0.5), (1.0, 0, 1.0), (0.5, 0, 3.0)])
def test_a_cheaper_drawing_fills_the_target_with_the_same_head(scene, tmp_path, scale, samples, tolerance) -> None:
    pose = np.array([0.0, 0.3, 0.0, 0.2, 0.0, 0.0])  # turned, mouth open: edges everywhere
    reference = scene.image(pose=pose)  # full size, 4x MSAA, the headless path
    scaled = ScaledTarget(scene.renderer.ctx)
    try:
        image = _presented(scene, scaled, scale, samples, pose)
    finally:
        scaled.release()
    background = reference[0, 0].astype(np.int16)
    corner = image[:4, :4].reshape(-1, 3).astype(np.int16)
    assert np.abs(corner - reference[:4, :4].reshape(-1, 3)).max() <= 2  # the background fills it all
    overlap = (_head_mask(image, background) == _head_mask(reference, background)).mean()
    change = mean_change(image, reference)
    if change > tolerance or overlap < 0.97:
        save_diff(tmp_path, f"scaled_{scale}_{samples}", image, reference)
    assert overlap >= 0.97, "the head is not where the full-size drawing has it"
    assert change <= tolerance
    if scale < 1:
        assert change > 0.2, "a half-size drawing cannot be identical to the full-size one"
