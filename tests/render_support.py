"""Shared helpers of the rendering tests: a headless scene, projection, image comparison."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posetalk.render.camera import Camera, framing_camera
from posetalk.render.geometry import HeadGeometry, head_geometry
from posetalk.render.headless import Offscreen, create_headless_context, render_image
from posetalk.render.renderer import Renderer
from posetalk.render.video import save_png
from posetalk.rig.head import built_in_head

GOLDEN_DIR = Path(__file__).parent / "golden"


@dataclass
class Scene:
    """A headless renderer of one head at one size, with a front camera."""

    renderer: Renderer
    target: Offscreen
    camera: Camera

    @classmethod
    def open(cls, geometry: HeadGeometry, size: tuple[int, int] = (160, 160)) -> Scene:
        ctx = create_headless_context()
        renderer = Renderer(ctx, geometry)
        return cls(renderer, Offscreen(ctx, size, 4), framing_camera(geometry.center, geometry.radius))

    @classmethod
    def built_in(cls, size: tuple[int, int]) -> Scene:
        """The built-in head with its vertex colours."""
        head = built_in_head()
        return cls.open(head_geometry(head.model, head.colors), size)

    def image(self, exp: np.ndarray | None = None, pose: np.ndarray | None = None) -> np.ndarray:
        exp = np.zeros(50) if exp is None else exp
        pose = np.zeros(6) if pose is None else pose
        return render_image(self.renderer, self.target, exp, pose, self.camera)

    def pixel(self, point: np.ndarray) -> tuple[int, int]:
        """(row, column) where a world point lands in the image."""
        width, height = self.target.size
        clip = self.camera.projection(width / height) @ self.camera.view() @ np.append(point, 1.0)
        ndc = clip[:3] / clip[3]
        return int(round((1 - ndc[1]) / 2 * height)), int(round((ndc[0] + 1) / 2 * width))

    def close(self) -> None:
        ctx = self.renderer.ctx
        self.target.release()
        self.renderer.release()
        ctx.release()


def box_around(pixel: tuple[int, int], half: int) -> tuple[slice, slice]:
    row, col = pixel
    return slice(max(row - half, 0), row + half + 1), slice(max(col - half, 0), col + half + 1)


def mean_change(a: np.ndarray, b: np.ndarray, box: tuple[slice, slice] | None = None) -> float:
    """Mean absolute difference (0-255 scale) over a box of two images."""
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return float(diff[box].mean() if box is not None else diff.mean())


def save_diff(folder: Path, name: str, actual: np.ndarray, expected: np.ndarray) -> Path:
    """Save actual | expected | amplified difference side by side; return the path."""
    diff = np.clip(np.abs(actual.astype(np.int16) - expected.astype(np.int16)) * 4, 0, 255)
    path = folder / f"{name}_diff.png"
    save_png(path, np.concatenate([actual, expected, diff.astype(np.uint8)], axis=1))
    return path


def assert_matches_golden(
    actual: np.ndarray, name: str, diff_dir: Path, mean_tolerance: float = 2.0,
    pixel_tolerance: int = 48, max_outliers: float = 0.01,
) -> None:
    """Compare with tests/golden/<name>.png: mean error and the share of strongly differing pixels.

    Set POSETALK_UPDATE_GOLDEN=1 to (re)write the golden image instead.
    """
    import av

    path = GOLDEN_DIR / f"{name}.png"
    if os.environ.get("POSETALK_UPDATE_GOLDEN") == "1":
        save_png(path, actual)
    with av.open(str(path)) as container:
        expected = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert expected.shape == actual.shape, f"{path}: golden size {expected.shape}"
    diff = np.abs(actual.astype(np.int16) - expected.astype(np.int16))
    outliers = float((diff.max(axis=2) > pixel_tolerance).mean())
    if diff.mean() > mean_tolerance or outliers > max_outliers:
        saved = save_diff(diff_dir, name, actual, expected)
        raise AssertionError(
            f"{name}: mean error {diff.mean():.2f} (<= {mean_tolerance}), "
            f"outliers {outliers:.3%} (<= {max_outliers:.0%}); see {saved}"
        )
