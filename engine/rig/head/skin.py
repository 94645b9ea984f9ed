"""The skin of the built-in head: one surface from the neck to the crown, with a mouth slit.

The surface is swept along a side profile: each ring is a superellipse cross-section whose
half-width and front/back depths are interpolated from a table of key sections (below), with rings
spaced evenly along the profile's arc length so that the under-chin and the crown get as many rings
as the face. Facial features are then carved as smooth z-displacements of the front. The mouth is a
slit: one ring is split along the lips, so the lower lip can leave the upper one when the jaw opens.

Units: metres; y up, the face looks along +z, the subject's left is +x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk.rig.mesh import pole_fan, ring_faces, smoothstep

# Key sections from the neck (first) to the crown (last): y, half-width, front depth, back depth,
# superellipse exponent of the front (2 = ellipse, larger = squarer).
SECTIONS = np.array(
    [
        (-0.200, 0.054, 0.038, -0.062, 2.4),
        (-0.130, 0.050, 0.040, -0.060, 2.4),
        (-0.104, 0.050, 0.044, -0.064, 2.2),
        (-0.099, 0.050, 0.058, -0.068, 2.0),
        (-0.093, 0.052, 0.070, -0.074, 1.9),
        (-0.080, 0.058, 0.078, -0.082, 2.0),
        (-0.064, 0.064, 0.077, -0.088, 2.2),
        (-0.050, 0.068, 0.083, -0.093, 2.4),
        (-0.038, 0.070, 0.085, -0.098, 2.5),
        (-0.024, 0.072, 0.083, -0.102, 2.6),
        (0.000, 0.074, 0.080, -0.106, 2.6),
        (0.022, 0.075, 0.079, -0.108, 2.6),
        (0.045, 0.075, 0.083, -0.110, 2.6),
        (0.075, 0.074, 0.080, -0.110, 2.5),
        (0.105, 0.068, 0.066, -0.100, 2.4),
        (0.124, 0.056, 0.046, -0.080, 2.3),
        (0.136, 0.036, 0.024, -0.048, 2.2),
        (0.141, 0.012, 0.008, -0.016, 2.2),
    ]
)
CROWN = np.array([0.0, 0.1425, -0.004])
MOUTH_Y = -0.0445
MOUTH_HALF_WIDTH = 0.0245
BACK_EXPONENT = 2.2


@dataclass(frozen=True, eq=False)
class Skin:
    """The skin surface and the labels the rig needs.

    Attributes:
        vertices: (V, 3) rest positions.
        faces: (F, 3) outward triangles.
        lip_side: (V,) +1 above the mouth line (upper-lip copies included), -1 below (lower-lip
            copies included), 0 at the two mouth corners.
        upper_slit, lower_slit: (S,) indices of the two copies of the split lip line, same order.
        corners: (2,) indices of the mouth corners (right, left).
    """

    vertices: np.ndarray
    faces: np.ndarray
    lip_side: np.ndarray
    upper_slit: np.ndarray
    lower_slit: np.ndarray
    corners: np.ndarray

    def midline_lips(self) -> tuple[int, int]:
        """Indices of the upper and lower lip's inner mid-points: the two copies of the split lip
        line in the mid-line column (x = 0), which coincide at rest."""
        mid = int(np.argmin(np.abs(self.vertices[self.upper_slit, 0])))
        return int(self.upper_slit[mid]), int(self.lower_slit[mid])


def _superellipse(cosine: np.ndarray, exponent: np.ndarray | float) -> np.ndarray:
    return np.sign(cosine) * np.abs(cosine) ** (2.0 / exponent)


def _rings(n_rings: int, n_columns: int) -> np.ndarray:
    """(n_rings, n_columns, 3) rest positions of the swept surface, before features."""
    profile = SECTIONS[:, [0, 2]]
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(profile, axis=0), axis=1))])
    t = np.linspace(0.0, arc[-1], n_rings)
    y, width, front, back, exponent = (np.interp(t, arc, SECTIONS[:, k]) for k in range(5))
    # Odd warp of the azimuth: columns twice as dense on the face as on the back of the head.
    s = np.linspace(-1.0, 1.0, n_columns, endpoint=False)
    azimuth = np.pi * s * (0.45 + 0.55 * s * s)
    sin, cos = np.sin(azimuth), np.cos(azimuth)
    x = width[:, None] * _superellipse(sin[None], exponent[:, None])
    z_front = front[:, None] * np.abs(_superellipse(cos[None], exponent[:, None]))
    z_back = back[:, None] * np.abs(_superellipse(cos, BACK_EXPONENT))[None]
    z = np.where(cos[None] >= 0.0, z_front, z_back)
    return np.stack([x, np.broadcast_to(y[:, None], x.shape), z], axis=-1)


def _gauss(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
    return np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def upper_lip_height(x: np.ndarray) -> np.ndarray:
    """Height of the upper lip's red above the mouth line at ``x``, with a Cupid's bow."""
    across = np.clip(1.0 - (x / MOUTH_HALF_WIDTH) ** 2, 0.0, 1.0)
    bow = 0.0006 * np.exp(-(((np.abs(x) - 0.0065) / 0.004) ** 2)) - 0.0008 * np.exp(-((x / 0.003) ** 2))
    return 0.0072 * across**0.6 + bow * across


def lower_lip_height(x: np.ndarray) -> np.ndarray:
    """Height of the lower lip's red below the mouth line at ``x``."""
    return 0.0105 * np.clip(1.0 - (x / MOUTH_HALF_WIDTH) ** 2, 0.0, 1.0) ** 0.7


def _features(p: np.ndarray) -> np.ndarray:
    """(V,) forward displacement carving the face: nose, eye sockets, brows, lips, chin."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    ax = np.abs(x)
    # Nose: height and half-width along its length, bridge (y=0.03) to base (y=-0.026).
    nose_y = np.array([-0.030, -0.024, -0.017, -0.010, 0.000, 0.015, 0.030, 0.040])
    nose_h = np.array([0.000, 0.010, 0.022, 0.025, 0.019, 0.011, 0.005, 0.000])
    nose_w = np.array([0.012, 0.012, 0.0105, 0.0095, 0.0075, 0.0062, 0.0058, 0.006])
    height = np.interp(y, nose_y, nose_h)
    nose = height * np.exp(-((x / np.interp(y, nose_y, nose_w)) ** 2))
    alae = 0.0075 * _gauss(ax, y, 0.0125, -0.019, 0.0055, 0.0052)
    sockets = -0.0115 * _gauss(ax, y, 0.033, 0.021, 0.0165, 0.0095)
    brows = 0.0045 * np.exp(-0.5 * ((y - 0.040) / 0.0075) ** 2) * smoothstep(0.062, 0.035, ax)
    cheekbones = 0.0065 * _gauss(ax, y, 0.045, -0.006, 0.016, 0.014)
    across = np.clip(1.0 - (x / MOUTH_HALF_WIDTH) ** 2, 0.0, 1.0)
    upper_h, lower_h = upper_lip_height(x), lower_lip_height(x)
    upper_lip = 0.0050 * across * np.exp(-0.5 * ((y - MOUTH_Y - 0.5 * upper_h) / 0.0042) ** 2)
    lower_lip = 0.0062 * across * np.exp(-0.5 * ((y - MOUTH_Y + 0.5 * lower_h) / 0.0050) ** 2)
    philtrum = -0.0012 * _gauss(x, y, 0.0, -0.030, 0.004, 0.006)
    corners = -0.0032 * _gauss(ax, y, MOUTH_HALF_WIDTH, MOUTH_Y, 0.0045, 0.0045)
    sulcus = -0.0032 * _gauss(x, y, 0.0, -0.064, 0.015, 0.0038)
    chin = 0.0075 * _gauss(x, y, 0.0, -0.080, 0.016, 0.0095)
    front = smoothstep(0.0, 0.045, z)
    carved = (
        nose + alae + sockets + brows + cheekbones + upper_lip + lower_lip
        + philtrum + corners + sulcus + chin
    )
    return carved * front


def _hair_mask(p: np.ndarray) -> np.ndarray:
    """(V,) 1 on the scalp, 0 on the face, with a soft hairline."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    azimuth = np.arctan2(x, z)  # 0 at the front
    hairline = np.interp(np.abs(azimuth), [0.0, 0.6, 1.1, 1.45, 2.0, np.pi],
                         [0.086, 0.080, 0.062, 0.040, -0.02, -0.06])
    return smoothstep(hairline - 0.004, hairline + 0.006, y)


def build_skin(n_rings: int = 104, n_columns: int = 132) -> tuple[Skin, np.ndarray]:
    """Build the skin surface.

    Returns:
        the :class:`Skin` and (V,) hair mask in [0, 1] (for colouring).
    """
    grid = _rings(n_rings, n_columns)
    points = np.concatenate([grid.reshape(-1, 3), CROWN[None]])
    hair = _hair_mask(points)
    centre = np.array([0.0, 0.02, -0.012])
    radial = points - centre
    radial /= np.linalg.norm(radial, axis=1, keepdims=True)
    points = points + radial * (0.006 * hair)[:, None]  # hair volume
    points[:, 2] += _features(points)

    n_grid = n_rings * n_columns
    mouth_ring = int(np.argmin(np.abs(grid[:, 0, 1] - MOUTH_Y)))
    columns = np.arange(n_columns)
    front_x = grid[mouth_ring, :, 0]
    in_slit = (np.abs(front_x) < MOUTH_HALF_WIDTH) & (grid[mouth_ring, :, 2] > 0)
    slit_columns = columns[in_slit]
    corner_columns = np.array([slit_columns.min() - 1, slit_columns.max() + 1])
    upper = mouth_ring * n_columns + slit_columns
    lower = len(points) + np.arange(len(slit_columns))

    # Pull the lip line back into the mouth so the closed lips meet in a crease.
    taper = 1.0 - (np.abs(front_x[slit_columns]) / MOUTH_HALF_WIDTH) ** 4
    points[upper, 2] -= 0.0028 * taper
    points = np.concatenate([points, points[upper]])

    faces = np.concatenate(
        [
            ring_faces(n_rings, n_columns),
            pole_fan((n_rings - 1) * n_columns, n_columns, n_grid, top=True),
        ]
    )
    # Triangles of the ring strip just below the slit use the lower copies.
    below = np.zeros(len(faces), dtype=bool)
    strip = (mouth_ring - 1) * n_columns * 2
    below[strip : strip + n_columns * 2] = True
    remap = np.arange(len(points))
    remap[upper] = lower
    faces[below] = remap[faces[below]]

    lip_side = np.sign(points[:, 1] - MOUTH_Y)
    lip_side[upper] = 1.0
    lip_side[lower] = -1.0
    corners = mouth_ring * n_columns + corner_columns
    lip_side[corners] = 0.0
    hair = np.concatenate([hair, hair[upper]])
    skin = Skin(points, faces.astype(np.int64), lip_side, upper, lower, corners)
    return skin, hair
