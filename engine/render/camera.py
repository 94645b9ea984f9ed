"""An orbit camera: yaw and pitch around a target, perspective projection. Pure numpy.

Conventions: right-handed, y up; at yaw = pitch = 0 the camera sits on +z looking at the target,
so it faces a FLAME head (which looks along +z) head-on. Angles in radians, distances in metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

MAX_PITCH = 1.4


@dataclass(frozen=True)
class Camera:
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    distance: float = 0.8
    yaw: float = 0.0
    pitch: float = 0.0
    fov_y: float = math.radians(25.0)
    near: float = 0.01
    far: float = 10.0

    def view(self) -> np.ndarray:
        """(4, 4) world-to-view matrix."""
        cos_p, sin_p = math.cos(self.pitch), math.sin(self.pitch)
        cos_y, sin_y = math.cos(self.yaw), math.sin(self.yaw)
        offset = np.array([sin_y * cos_p, sin_p, cos_y * cos_p]) * self.distance
        eye = np.asarray(self.target) + offset
        forward = -offset / np.linalg.norm(offset)
        right = np.cross(forward, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        view = np.eye(4)
        view[0, :3], view[1, :3], view[2, :3] = right, up, -forward
        view[:3, 3] = -view[:3, :3] @ eye
        return view

    def projection(self, aspect: float) -> np.ndarray:
        """(4, 4) OpenGL perspective projection for a width / height ``aspect``."""
        f = 1.0 / math.tan(self.fov_y / 2.0)
        near, far = self.near, self.far
        projection = np.zeros((4, 4))
        projection[0, 0] = f / aspect
        projection[1, 1] = f
        projection[2, 2] = (far + near) / (near - far)
        projection[2, 3] = 2.0 * far * near / (near - far)
        projection[3, 2] = -1.0
        return projection

    def orbit(self, d_yaw: float, d_pitch: float) -> Camera:
        pitch = min(max(self.pitch + d_pitch, -MAX_PITCH), MAX_PITCH)
        return replace(self, yaw=self.yaw + d_yaw, pitch=pitch)

    def zoom(self, factor: float) -> Camera:
        return replace(self, distance=min(max(self.distance * factor, 0.05), 5.0))


def framing_camera(center: np.ndarray, radius: float, fov_y: float = math.radians(25.0)) -> Camera:
    """A front camera that fits a sphere of ``radius`` around ``center`` with a small margin."""
    distance = 1.08 * radius / math.sin(fov_y / 2.0)
    return Camera(target=tuple(float(c) for c in center), distance=distance, fov_y=fov_y)
