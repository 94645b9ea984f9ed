"""The rigid parts of the built-in head: eyeballs, teeth, mouth cavity, tongue and ears.

Each part is a closed or open triangle mesh with sRGB vertex colours. Units: metres, y up, +z front.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk.rig.mesh import ellipsoid, ring_faces, smoothstep

EYE_RADIUS = 0.0122
SKIN = np.array([0.86, 0.64, 0.52])
LIPS = np.array([0.74, 0.38, 0.36])
HAIR = np.array([0.20, 0.13, 0.09])
BROWS = np.array([0.26, 0.17, 0.12])
LASHES = np.array([0.16, 0.10, 0.08])
TEETH = np.array([0.93, 0.91, 0.84])
CAVITY = np.array([0.32, 0.07, 0.08])
TONGUE = np.array([0.72, 0.33, 0.34])
SCLERA = np.array([0.94, 0.93, 0.90])
IRIS = np.array([0.28, 0.42, 0.55])
PUPIL = np.array([0.03, 0.03, 0.04])


@dataclass(frozen=True, eq=False)
class Part:
    """A mesh piece: (V, 3) vertices, (F, 3) outward faces, (V, 3) sRGB colours."""

    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray


def eyeball(center: np.ndarray) -> Part:
    """An eyeball looking along +z: sclera, iris and pupil as rings around the front pole."""
    vertices, faces, polar = ellipsoid(center, np.full(3, EYE_RADIUS), 24, 32)
    iris = smoothstep(0.41, 0.37, polar)[:, None]
    pupil = smoothstep(0.19, 0.15, polar)[:, None]
    colors = SCLERA * (1 - iris) + IRIS * iris
    colors = colors * (1 - pupil) + PUPIL * pupil
    return Part(vertices, faces, colors)


def tooth_row(y_edge: float, height: float, z_front: float, upper: bool) -> Part:
    """A horseshoe band of teeth: a rounded-box section swept along an elliptic arc.

    Args:
        y_edge: height of the biting edge.
        height: crown height, extending up (lower row) or down (upper row) from the gums.
        z_front: z of the front of the arc.
        upper: upper row (crowns point down) or lower row (crowns point up).
    """
    n_arc, half_angle = 64, 1.25
    radius_x, radius_z, thickness = 0.0235, 0.027, 0.0055
    angle = np.linspace(-half_angle, half_angle, n_arc)
    # Section corners (radial offset outward, vertical offset away from the biting edge).
    section = np.array(
        [(0.0, 0.15), (0.25, 0.0), (0.75, 0.0), (1.0, 0.15), (1.0, 1.0), (0.0, 1.0)]
    )
    direction = 1.0 if upper else -1.0
    sin, cos = np.sin(angle), np.cos(angle)
    centre_z = z_front - radius_z
    rings = []
    for radial, vertical in section:
        r_scale = 1.0 - thickness * (1.0 - radial) / radius_x
        x = radius_x * r_scale * sin
        z = centre_z + radius_z * r_scale * cos
        y = np.full(n_arc, y_edge + direction * vertical * height)
        rings.append(np.stack([x, y, z], axis=-1))
    vertices = np.stack(rings, axis=1).reshape(-1, 3)  # arc-major, section-minor
    faces = ring_faces(n_arc, len(section))
    if not upper:
        faces = faces[:, ::-1]
    gaps = np.abs(np.cos(angle * 6.5 / half_angle * np.pi / 2.0)) ** 8
    shade = 1.0 - 0.35 * np.repeat(gaps, len(section))[:, None]
    colors = TEETH * shade
    return Part(vertices, faces.astype(np.int64), colors)


def mouth_cavity(center: np.ndarray, radii: np.ndarray) -> Part:
    """The inside of the mouth: an ellipsoid whose triangles face inward."""
    vertices, faces, polar = ellipsoid(center, radii, 16, 28)
    depth = smoothstep(0.0, np.pi, polar)[:, None]  # darker towards the throat
    colors = CAVITY * (1.0 - 0.6 * depth)
    return Part(vertices, faces[:, ::-1].copy(), colors)


def tongue(center: np.ndarray) -> Part:
    vertices, faces, _ = ellipsoid(center, np.array([0.0185, 0.0065, 0.026]), 12, 24)
    return Part(vertices, faces, np.tile(TONGUE, (len(vertices), 1)))


def ear(center: np.ndarray, side: float) -> Part:
    """A stylised ear: a flattened, cupped ellipsoid standing out from the side of the head."""
    vertices, faces, _ = ellipsoid(np.zeros(3), np.array([0.016, 0.027, 0.0055]), 14, 24)
    # The ellipsoid's thin axis is z; turn it to face sideways (+x for the left ear).
    vertices = vertices[:, [2, 1, 0]] * np.array([side, 1.0, 1.0])
    faces = faces if side < 0 else faces[:, ::-1]
    outer = vertices[:, 0] * side > 0
    bowl = np.exp(-0.5 * ((vertices[:, 1] / 0.014) ** 2 + (vertices[:, 2] / 0.008) ** 2))
    vertices[:, 0] -= side * 0.0075 * bowl * outer  # cup the outer face
    tilt = 0.22  # lean back
    y, z = vertices[:, 1].copy(), vertices[:, 2].copy()
    vertices[:, 1] = np.cos(tilt) * y + np.sin(tilt) * z
    vertices[:, 2] = -np.sin(tilt) * y + np.cos(tilt) * z
    colors = SKIN * (1.0 - 0.25 * (bowl * outer)[:, None])
    return Part(vertices + center, faces.copy(), colors)
