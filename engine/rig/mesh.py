"""Small triangle-mesh helpers shared by the built-in head and the renderer's tests."""

from __future__ import annotations

import numpy as np


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted smooth vertex normals.

    Args:
        vertices: (..., V, 3) positions.
        faces: (F, 3) counter-clockwise triangles.
    Returns:
        (..., V, 3) unit normals (zero for vertices no face uses).
    """
    a, b, c = (vertices[..., faces[:, k], :] for k in range(3))
    face_normals = np.cross(b - a, c - a)  # length = twice the area
    normals = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(normals, (..., faces[:, k], slice(None)), face_normals)
    length = np.linalg.norm(normals, axis=-1, keepdims=True)
    return normals / np.maximum(length, 1e-20)


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """Hermite step from 0 at ``edge0`` to 1 at ``edge1`` (edges may be in either order)."""
    t = np.clip((np.asarray(x, dtype=np.float64) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def ring_faces(n_rings: int, n_columns: int, first: int = 0) -> np.ndarray:
    """Quads (as two triangles) between consecutive closed rings of a lat-long grid.

    Ring r holds vertices ``first + r * n_columns + c``. Triangles face outward when the columns
    advance counter-clockwise about the axis that runs from the first ring to the last, seen from
    its tip.

    Returns:
        ((n_rings - 1) * n_columns * 2, 3) int64 triangles.
    """
    r, c = np.meshgrid(np.arange(n_rings - 1), np.arange(n_columns), indexing="ij")
    c_next = (c + 1) % n_columns
    v00 = first + r * n_columns + c
    v01 = first + r * n_columns + c_next
    v10 = v00 + n_columns
    v11 = v01 + n_columns
    quads = np.stack([v00, v01, v11, v00, v11, v10], axis=-1).reshape(-1, 3)
    return quads


def pole_fan(ring_start: int, n_columns: int, pole: int, top: bool) -> np.ndarray:
    """Triangles joining a closed ring to a pole vertex, facing outward."""
    c = np.arange(n_columns)
    a = ring_start + c
    b = ring_start + (c + 1) % n_columns
    p = np.full(n_columns, pole)
    return np.stack([a, b, p] if top else [b, a, p], axis=-1)


def ellipsoid(
    center: np.ndarray, radii: np.ndarray, n_rings: int, n_columns: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lat-long ellipsoid with its poles on the +z axis (front) and -z axis (back).

    Returns:
        vertices: (V, 3), faces: (F, 3) facing outward, polar: (V,) angle from the +z axis.
    """
    polar = np.linspace(np.pi, 0.0, n_rings + 2)[1:-1]  # back to front, rings only
    azimuth = np.linspace(0.0, 2.0 * np.pi, n_columns, endpoint=False)
    p, a = np.meshgrid(polar, azimuth, indexing="ij")
    ring = np.stack([np.sin(p) * np.cos(a), np.sin(p) * np.sin(a), np.cos(p)], axis=-1)
    unit = np.concatenate([ring.reshape(-1, 3), [[0, 0, -1.0], [0, 0, 1.0]]])
    vertices = center + unit * radii
    back, front = n_rings * n_columns, n_rings * n_columns + 1
    # With rings from back to front, counter-clockwise about +z means outward normals.
    faces = np.concatenate(
        [
            ring_faces(n_rings, n_columns),
            pole_fan(0, n_columns, back, top=False),
            pole_fan((n_rings - 1) * n_columns, n_columns, front, top=True),
        ]
    )
    polar_all = np.concatenate([p.reshape(-1), [np.pi, 0.0]])
    return vertices, faces, polar_all
