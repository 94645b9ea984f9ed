"""Headless (EGL) images of the built-in head: framing, lighting, jaw and expressions."""

from __future__ import annotations

import numpy as np
import pytest

from posetalk.render.geometry import Albedo, head_geometry
from posetalk.render.overlay import Overlay
from posetalk.rig.flame import load_flame
from posetalk.rig.head import built_in_head
from posetalk.rig.head.blendshapes import EXPRESSIONS
from posetalk.rig.head.skin import MOUTH_Y
from tests.conftest import require_fixture
from tests.flame_fixtures import SHARED_FLAME
from tests.render_support import (
    Scene,
    assert_matches_golden,
    box_around,
    mean_change,
    save_diff,
)

SIZE = (160, 160)


@pytest.fixture(scope="module")
def scene():
    scene = Scene.built_in(SIZE)
    yield scene
    scene.close()


@pytest.fixture(scope="module")
def rest(scene):
    return scene.image()


def landmark(x: float, y: float) -> np.ndarray:
    """The front skin point of the built-in head at (x, y)."""
    vertices = built_in_head().model.v_template
    front = vertices[vertices[:, 2] > 0.0]
    return front[np.argmin(np.linalg.norm(front[:, :2] - [x, y], axis=1))]


REGIONS = {
    "mouth": (0.0, MOUTH_Y),
    "left_eye": (0.033, 0.0215),
    "right_eye": (-0.033, 0.0215),
    "left_brow": (0.030, 0.046),
    "left_cheek": (0.042, -0.040),
    "forehead": (0.0, 0.075),
}


def region(scene: Scene, name: str, half: int = 6) -> tuple[slice, slice]:
    return box_around(scene.pixel(landmark(*REGIONS[name])), half)


def luminance(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])


def test_render_rest_matches_golden(rest, tmp_path):
    assert_matches_golden(rest, "built_in_head_rest_160", tmp_path)


def test_render_head_is_centred_and_lit(scene, rest):
    background = np.array(scene.renderer.config.background) * 255
    foreground = np.abs(rest.astype(np.float64) - background).max(axis=2) > 12
    rows, cols = np.nonzero(foreground)
    height, width = SIZE[1], SIZE[0]
    assert abs(cols.mean() - width / 2) < 0.06 * width
    assert abs(rows.mean() - height / 2) < 0.12 * height
    assert np.ptp(rows) > 0.75 * height and np.ptp(cols) > 0.4 * width
    light = luminance(rest)[foreground]
    assert 70 < light.mean() < 210, "the face is neither black nor blown out"
    assert light.std() > 12, "shading varies across the face"
    # The key light comes from the viewer's upper left: that cheek is the brighter one.
    cheek_left = luminance(rest[box_around(scene.pixel(landmark(-0.045, -0.01)), 5)]).mean()
    cheek_right = luminance(rest[box_around(scene.pixel(landmark(0.045, -0.01)), 5)]).mean()
    assert cheek_left > cheek_right + 5


def test_render_jaw_opens_the_mouth(scene, rest, tmp_path):
    pose = np.zeros(6)
    pose[3] = 0.3
    opened = scene.image(pose=pose)
    mouth = box_around(scene.pixel(landmark(0.0, MOUTH_Y - 0.008)), 8)
    try:
        assert mean_change(rest, opened, mouth) > 25
        assert mean_change(rest, opened, region(scene, "forehead")) < 1.0
        assert mean_change(rest, opened, region(scene, "left_eye")) < 1.0
        # The opening shows the dark mouth interior.
        assert luminance(opened[mouth]).min() < luminance(rest[mouth]).min() - 30
    except AssertionError:
        print(save_diff(tmp_path, "jaw", opened, rest))
        raise


@pytest.mark.parametrize(
    ("component", "moves", "still"),
    [
        ("smile", "mouth", "forehead"),
        ("lip_pucker", "mouth", "left_eye"),
        ("mouth_open", "mouth", "left_brow"),
        ("brow_raise", "left_brow", "mouth"),
        ("blink", "left_eye", "mouth"),
        ("cheek_puff", "left_cheek", "forehead"),
        ("blink_left", "left_eye", "right_eye"),
        ("smile_right", "mouth", "left_cheek"),
    ],
)
def test_render_expression_moves_its_region(scene, rest, tmp_path, component, moves, still):
    exp = np.zeros(50)
    exp[EXPRESSIONS.index(component)] = 2.5
    image = scene.image(exp=exp)
    try:
        assert mean_change(rest, image, region(scene, moves)) > 4.0
        assert mean_change(rest, image, region(scene, still)) < 0.5
    except AssertionError:
        print(save_diff(tmp_path, component, image, rest))
        raise


def test_render_overlay_draws_text_panel(scene, rest):
    overlay = Overlay(scene.renderer.ctx, scale=1)
    try:
        scene.renderer.pose(np.zeros(50), np.zeros(6))
        scene.renderer.head_pass(scene.target.framebuffer, scene.camera)
        overlay.draw(scene.target.framebuffer, ["FPS 60.0", "LATENCY 120 MS"])
        image = scene.target.read()
    finally:
        overlay.release()
    panel = image[10:26, 10:90]
    assert luminance(panel).max() > 200, "glyphs are drawn bright"
    assert np.median(luminance(panel)) < np.median(luminance(rest[10:26, 10:90])), "panel darkens"
    np.testing.assert_array_equal(image[100:, :], rest[100:, :])


def test_render_flame_albedo_texture(tmp_path):
    """A FLAME file with a user albedo: the texture's colours show through the UV layout."""
    model = load_flame(require_fixture(SHARED_FLAME / "flame_synthetic_plain.pkl"))
    # One UV per vertex from its height: the top half samples red, the bottom half blue.
    height = model.v_template[:, 1]
    v = (height - height.min()) / np.ptp(height)
    uv = np.stack([np.full_like(v, 0.5), v], axis=1).astype(np.float32)
    texture = np.zeros((8, 8, 3), dtype=np.uint8)
    texture[:4] = (230, 30, 30)  # image rows at the top = v near 1
    texture[4:] = (30, 30, 230)
    albedo = Albedo(image=texture, uv=uv, uv_faces=model.faces.astype(np.int64))
    scene = Scene.open(head_geometry(model, albedo=albedo), (96, 96))
    try:
        image = scene.image().astype(np.int16)
    finally:
        scene.close()
    reddish = (image[..., 0] > image[..., 2] + 40).sum()
    bluish = (image[..., 2] > image[..., 0] + 40).sum()
    assert reddish > 50 and bluish > 50
