"""Identity-shape and expression blend shapes of the built-in head.

Each component is a smooth displacement field (metres per unit coefficient) built from Gaussian
regions around facial landmarks of the rest mesh. ``EXPRESSIONS`` and ``SHAPES`` name them in
order; docs/built_in_head.md describes each one. Expression components move only the skin (teeth,
eyes and mouth cavity are bone); identity components may move every part.

The 50 expression components: 26 symmetric ones, then left/right versions of 12 of them (the field
of the symmetric component faded out across the face's mid-plane).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from posetalk.rig.head.labels import Labels
from posetalk.rig.head.skin import MOUTH_HALF_WIDTH, MOUTH_Y
from posetalk.rig.mesh import smoothstep, vertex_normals


@dataclass(frozen=True, eq=False)
class Regions:
    """Rest skin positions, normals and lip sides, and Gaussian regions over them."""

    p: np.ndarray  # (S, 3)
    n: np.ndarray  # (S, 3) unit normals
    lip_side: np.ndarray  # (S,)

    @property
    def x(self) -> np.ndarray:
        return self.p[:, 0]

    def around(self, cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
        """(S,) Gaussian bump centred at (cx, cy) on the front of the face."""
        x, y, z = self.p.T
        bump = np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))
        return bump * smoothstep(0.0, 0.03, z)

    def pair(self, cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
        """(S,) the same bump on both sides of the face (at x = +cx and x = -cx)."""
        return self.around(cx, cy, sx, sy) + self.around(-cx, cy, sx, sy)

    def upper_lip(self) -> np.ndarray:
        return (self.lip_side > 0) * self.around(0.0, MOUTH_Y + 0.004, 0.017, 0.007)

    def lower_lip(self) -> np.ndarray:
        return (self.lip_side < 0) * self.around(0.0, MOUTH_Y - 0.006, 0.017, 0.008)

    def corners(self) -> np.ndarray:
        return self.pair(MOUTH_HALF_WIDTH, MOUTH_Y, 0.010, 0.009)

    def side(self) -> np.ndarray:
        """(S,) +1 on the subject's left (x > 0), -1 on the right."""
        return np.sign(self.x)


def _vec(mask: np.ndarray, dx: np.ndarray | float, dy: np.ndarray | float,
         dz: np.ndarray | float) -> np.ndarray:
    """(S, 3) displacement ``mask * (dx, dy, dz)`` (each term a scalar or per-vertex)."""
    shape = mask.shape
    return mask[:, None] * np.stack(
        [np.broadcast_to(dx, shape), np.broadcast_to(dy, shape), np.broadcast_to(dz, shape)], axis=1
    )


def _mouth_open(r: Regions) -> np.ndarray:
    return _vec(r.upper_lip(), 0, 0.0025, 0) + _vec(r.lower_lip(), 0, -0.0035, 0.0005)


def _smile(r: Regions) -> np.ndarray:
    s = r.side()
    return _vec(r.corners(), 0.003 * s, 0.0035, -0.002) + _vec(
        r.pair(0.040, -0.020, 0.016, 0.016), 0.0008 * s, 0.002, 0.0015
    )


def _pucker(r: Regions) -> np.ndarray:
    mouth = r.around(0.0, MOUTH_Y, 0.022, 0.014)
    return _vec(mouth, -0.16 * r.x, 0, 0.0045)


def _spread(r: Regions) -> np.ndarray:
    s = r.side()
    mouth = r.around(0.0, MOUTH_Y, 0.026, 0.012)
    return _vec(r.corners(), 0.0035 * s, 0, -0.0015) + _vec(mouth, 0.06 * r.x, 0, 0)


def _press(r: Regions) -> np.ndarray:
    lips = r.around(0.0, MOUTH_Y, 0.02, 0.010)
    return _vec(lips, 0, -0.35 * (r.p[:, 1] - MOUTH_Y), -0.0018)


def _frown(r: Regions) -> np.ndarray:
    return _vec(r.corners(), 0.0008 * r.side(), -0.0035, -0.0005)


def _brow_raise(r: Regions) -> np.ndarray:
    return _vec(r.pair(0.030, 0.046, 0.020, 0.012), 0, 0.0040, 0.0004)


def _brow_furrow(r: Regions) -> np.ndarray:
    return _vec(r.pair(0.015, 0.042, 0.011, 0.010), -0.002 * r.side(), -0.0025, 0.0006)


def _cheek_puff(r: Regions) -> np.ndarray:
    return _vec(r.pair(0.040, -0.040, 0.017, 0.016), 1, 1, 1) * r.n * 0.005


def _upper_lip_raise(r: Regions) -> np.ndarray:
    sides = 0.5 + np.abs(r.x) / MOUTH_HALF_WIDTH
    return _vec(r.upper_lip() * sides, 0, 0.003, 0.0005)


def _lower_lip_depress(r: Regions) -> np.ndarray:
    sides = 0.5 + np.abs(r.x) / MOUTH_HALF_WIDTH
    return _vec(r.lower_lip() * sides, 0, -0.003, 0.0005)


def _funnel(r: Regions) -> np.ndarray:
    return (
        _vec(r.upper_lip(), 0, 0.0015, 0.003)
        + _vec(r.lower_lip(), 0, -0.0015, 0.003)
        + _vec(r.corners(), -0.001 * r.side(), 0, 0.001)
    )


def _squint(r: Regions) -> np.ndarray:
    return _vec(r.pair(0.033, 0.011, 0.014, 0.005), 0, 0.0025, 0.001) + _vec(
        r.pair(0.040, -0.008, 0.016, 0.012), 0, 0.0012, 0.0008
    )


def _blink(r: Regions) -> np.ndarray:
    # Filling the eye socket brings the lids over the eyeball, which stands 5 mm proud of it.
    return _vec(r.pair(0.033, 0.0215, 0.0165, 0.0095), 0, -0.0008, 0.0085)


def _sneer(r: Regions) -> np.ndarray:
    return _vec(r.pair(0.012, -0.006, 0.008, 0.012), 0, 0.002, 0.0003) + _vec(
        r.pair(0.0125, -0.019, 0.006, 0.006), 0, 0.0015, 0
    ) + _vec(r.upper_lip(), 0, 0.001, 0)


def _mouth_left(r: Regions) -> np.ndarray:
    return _vec(r.around(0.0, MOUTH_Y, 0.026, 0.014), 0.004, 0, 0)


def _mouth_right(r: Regions) -> np.ndarray:
    return -_mouth_left(r)


def _chin_raise(r: Regions) -> np.ndarray:
    return _vec(r.around(0.0, -0.075, 0.02, 0.013), 0, 0.002, 0.0015) + _vec(
        r.lower_lip(), 0, 0.0012, 0.001
    )


def _cheek_suck(r: Regions) -> np.ndarray:
    return -0.8 * _cheek_puff(r)


def _dimple(r: Regions) -> np.ndarray:
    return _vec(r.corners(), 0.001 * r.side(), 0, -0.003)


def _roll_in(mask: np.ndarray, toward_line: float) -> np.ndarray:
    return _vec(mask, 0, 0.0006 * toward_line, -0.003)


def _upper_lip_roll_in(r: Regions) -> np.ndarray:
    return _roll_in(r.upper_lip(), -1.0)


def _lower_lip_roll_in(r: Regions) -> np.ndarray:
    return _roll_in(r.lower_lip(), 1.0)


def _nostril_flare(r: Regions) -> np.ndarray:
    return _vec(r.pair(0.0125, -0.019, 0.006, 0.006), 0.002 * r.side(), 0, 0.0003)


def _brow_inner_raise(r: Regions) -> np.ndarray:
    return _vec(r.pair(0.013, 0.043, 0.010, 0.010), 0, 0.0035, 0)


def _brow_outer_raise(r: Regions) -> np.ndarray:
    return _vec(r.pair(0.046, 0.043, 0.011, 0.010), 0, 0.0035, 0)


def _lip_stretch_down(r: Regions) -> np.ndarray:
    return _vec(r.corners(), 0.002 * r.side(), -0.002, 0) + _vec(r.lower_lip(), 0, -0.0015, 0)


Field = Callable[[Regions], np.ndarray]

SYMMETRIC: list[tuple[str, Field]] = [
    ("mouth_open", _mouth_open),
    ("smile", _smile),
    ("lip_pucker", _pucker),
    ("lip_spread", _spread),
    ("lip_press", _press),
    ("frown", _frown),
    ("brow_raise", _brow_raise),
    ("brow_furrow", _brow_furrow),
    ("cheek_puff", _cheek_puff),
    ("upper_lip_raise", _upper_lip_raise),
    ("lower_lip_depress", _lower_lip_depress),
    ("lip_funnel", _funnel),
    ("squint", _squint),
    ("blink", _blink),
    ("sneer", _sneer),
    ("mouth_left", _mouth_left),
    ("mouth_right", _mouth_right),
    ("chin_raise", _chin_raise),
    ("cheek_suck", _cheek_suck),
    ("dimple", _dimple),
    ("upper_lip_roll_in", _upper_lip_roll_in),
    ("lower_lip_roll_in", _lower_lip_roll_in),
    ("nostril_flare", _nostril_flare),
    ("brow_inner_raise", _brow_inner_raise),
    ("brow_outer_raise", _brow_outer_raise),
    ("lip_stretch_down", _lip_stretch_down),
]
ONE_SIDED = [
    "smile", "frown", "brow_raise", "blink", "squint", "sneer",
    "cheek_puff", "dimple", "lip_spread", "upper_lip_raise", "lower_lip_depress", "brow_furrow",
]
EXPRESSIONS: list[str] = [name for name, _ in SYMMETRIC] + [
    f"{name}_{side}" for name in ONE_SIDED for side in ("left", "right")
]

SHAPES: list[str] = [
    "head_scale", "head_width", "face_length", "jaw_width", "nose_length", "nose_width",
    "chin_prominence", "cheek_fullness", "brow_ridge", "lip_fullness", "forehead_height",
    "head_depth",
]


def _regions(vertices: np.ndarray, labels: Labels) -> Regions:
    skin = labels.skin
    n_skin = len(skin.vertices)
    normals = vertex_normals(vertices[:n_skin], skin.faces)
    return Regions(p=vertices[:n_skin], n=normals, lip_side=skin.lip_side)


def expression_dirs(vertices: np.ndarray, labels: Labels) -> np.ndarray:
    """(V, 3, 50) expression directions; zero off the skin."""
    regions = _regions(vertices, labels)
    fields = dict(SYMMETRIC)
    left = smoothstep(-0.006, 0.006, regions.x)[:, None]
    columns = [field(regions) for _, field in SYMMETRIC]
    for name in ONE_SIDED:
        symmetric = fields[name](regions)
        columns += [symmetric * left, symmetric * (1.0 - left)]
    dirs = np.zeros((len(vertices), 3, len(EXPRESSIONS)))
    dirs[: len(regions.p)] = np.stack(columns, axis=2)
    return dirs


def shape_dirs(vertices: np.ndarray, labels: Labels) -> np.ndarray:
    """(V, 3, 100) identity directions: the named ones first, the rest zero."""
    regions = _regions(vertices, labels)
    n_skin = len(regions.p)
    x, y, z = vertices.T
    centre = np.array([0.0, 0.02, -0.01])
    skin_only = np.zeros(len(vertices))
    skin_only[:n_skin] = 1.0

    def on_skin(field: np.ndarray) -> np.ndarray:
        full = np.zeros((len(vertices), 3))
        full[:n_skin] = field
        return full

    nose = regions.around(0.0, -0.008, 0.011, 0.02)
    zero = np.zeros_like(x)
    columns = [
        (vertices - centre) * 0.03,
        np.stack([x * 0.04, zero, zero], axis=1),
        np.stack([zero, np.clip(y - 0.02, -0.12, 0.0) * 0.06, zero], axis=1),
        _vec(skin_only * smoothstep(-0.02, -0.08, y), x * 0.06, 0, 0),
        on_skin(_vec(nose, 0, -0.001, 0.004)),
        on_skin(_vec(nose, regions.x * 0.15, 0, 0)),
        on_skin(_vec(regions.around(0.0, -0.08, 0.02, 0.012), 0, -0.001, 0.004)),
        on_skin(_vec(regions.pair(0.042, -0.025, 0.018, 0.02), 1, 1, 1) * regions.n * 0.003),
        on_skin(_vec(regions.pair(0.030, 0.042, 0.022, 0.008), 0, 0, 0.003)),
        on_skin(
            _vec(regions.upper_lip() + regions.lower_lip(), 1, 1, 1) * regions.n * 0.0015
        ),
        np.stack([zero, np.clip(y - 0.05, 0.0, None) * 0.05, zero], axis=1),
        np.stack([zero, zero, z * 0.03], axis=1),
    ]
    dirs = np.zeros((len(vertices), 3, 100))
    dirs[:, :, : len(columns)] = np.stack(columns, axis=2)
    return dirs
