"""Fitting the expression → ARKit map from a FLAME-layout model itself (docs/mapping.md).

Each ARKit-like target is a displacement field on the model's template: a few Gaussian regions
around landmarks, each pushed along one direction. Landmarks come from the model alone: the eye
joints (FLAME joints 3 and 4) give the eye centres and the unit length d (the interocular
distance); the mouth is 1.1 d below the eye midpoint, snapped to the front of the surface. The
expression basis ψ ↦ Δv is projected onto the targets by ridge-regularised least squares,
``M = (TᵀT + λI)⁻¹ Tᵀ D``. A target is a signed axis: its positive part drives one ARKit name and,
for antagonist pairs (blink / wide, smile / frown, brow up / down), the negative part the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from posetalk.mapping.linear import N_EXP, ArkitMap
from posetalk.mapping.names import ARKIT_INDEX, ARKIT_NAMES
from posetalk.rig.flame import FlameModel

Base = Literal["eye_left", "eye_right", "eye_mid", "mouth"]

# Displacement of a target at weight 1, in units of the interocular distance d.
TARGET_AMPLITUDE = 0.12
RIDGE = 1e-3
EYE_LEFT_JOINT, EYE_RIGHT_JOINT = 3, 4


@dataclass(frozen=True)
class Region:
    """A Gaussian region around ``base + offset · d``, moved along ``direction``.

    ``offset`` and ``radius`` are in units of d; +x is the face's left, +y up, +z forward.
    """

    base: Base
    offset: tuple[float, float, float]
    radius: float
    direction: tuple[float, float, float]

    def mirrored(self) -> Region:
        base: Base = {"eye_left": "eye_right", "eye_right": "eye_left"}.get(self.base, self.base)  # type: ignore[assignment]
        (ox, oy, oz), (dx, dy, dz) = self.offset, self.direction
        return Region(base, (-ox, oy, oz), self.radius, (-dx, dy, dz))


@dataclass(frozen=True)
class Axis:
    """A signed target: ``positive`` takes its positive part, ``negative`` (if any) the rest.

    ``mirror`` also makes the face's right-side copy (names with Left → Right).
    """

    regions: tuple[Region, ...]
    positive: str
    negative: str | None = None
    mirror: bool = False


def _r(base: Base, offset: tuple[float, float, float], radius: float, direction: tuple[float, float, float]) -> Region:
    return Region(base, offset, radius, direction)


UP, DOWN, BACK, FORWARD, LEFT = (0, 1, 0), (0, -1, 0), (0, 0, -1), (0, 0, 1), (1, 0, 0)
CORNER = (0.38, 0.0, -0.1)

AXES: tuple[Axis, ...] = (
    Axis((_r("eye_left", (0, 0.12, 0.1), 0.2, DOWN),), "eyeBlinkLeft", "eyeWideLeft", mirror=True),
    Axis((_r("eye_left", (0, -0.15, 0.1), 0.15, UP),), "eyeSquintLeft", mirror=True),
    Axis((_r("eye_left", (0.25, 0.38, 0.1), 0.2, UP),), "browOuterUpLeft", "browDownLeft", mirror=True),
    Axis((_r("eye_mid", (0, 0.38, 0.2), 0.25, UP),), "browInnerUp"),
    Axis((_r("mouth", CORNER, 0.18, UP),), "mouthSmileLeft", "mouthFrownLeft", mirror=True),
    Axis((_r("mouth", CORNER, 0.18, LEFT),), "mouthStretchLeft", mirror=True),
    Axis((_r("mouth", CORNER, 0.18, BACK),), "mouthDimpleLeft", mirror=True),
    Axis((_r("mouth", (0.18, 0.12, 0), 0.15, UP),), "mouthUpperUpLeft", mirror=True),
    Axis((_r("mouth", (0.18, -0.14, 0), 0.15, DOWN),), "mouthLowerDownLeft", mirror=True),
    Axis(
        (_r("mouth", CORNER, 0.18, (-1, 0, 0)), _r("mouth", (-0.38, 0, -0.1), 0.18, LEFT),
         _r("mouth", (0, 0, 0), 0.2, FORWARD)),
        "mouthPucker",
    ),
    Axis(
        (_r("mouth", (0, 0.12, 0), 0.15, (0, 0.7, 0.7)), _r("mouth", (0, -0.14, 0), 0.15, (0, -0.7, 0.7))),
        "mouthFunnel",
    ),
    Axis((_r("mouth", (0, 0.12, 0), 0.15, UP),), "mouthShrugUpper"),
    Axis((_r("mouth", (0, 0.1, 0), 0.12, BACK),), "mouthRollUpper"),
    Axis((_r("mouth", (0, -0.12, 0), 0.12, BACK),), "mouthRollLower"),
    Axis((_r("mouth", (0, -0.5, 0), 0.25, UP),), "mouthShrugLower", "jawOpen"),
    Axis((_r("mouth", (0, -0.5, 0), 0.25, FORWARD),), "jawForward"),
    Axis((_r("mouth", (0, 0, 0), 0.4, LEFT),), "mouthLeft", "mouthRight"),
    Axis(
        (_r("mouth", (0.55, 0.15, -0.3), 0.25, LEFT), _r("mouth", (-0.55, 0.15, -0.3), 0.25, (-1, 0, 0))),
        "cheekPuff",
    ),
    Axis((_r("eye_left", (0.05, -0.45, 0.05), 0.2, UP),), "cheekSquintLeft", mirror=True),
    Axis((_r("eye_mid", (0.15, -0.55, 0.4), 0.15, UP),), "noseSneerLeft", mirror=True),
)  # fmt: skip


def _mirror_name(name: str | None) -> str | None:
    return None if name is None else name.replace("Left", "Right")


def expanded_axes() -> list[Axis]:
    """Every axis, with the right-side copies of mirrored ones."""
    axes: list[Axis] = []
    for axis in AXES:
        axes.append(axis)
        if axis.mirror:
            regions = tuple(region.mirrored() for region in axis.regions)
            axes.append(Axis(regions, _mirror_name(axis.positive) or "", _mirror_name(axis.negative)))
    return axes


def landmarks(model: FlameModel) -> tuple[dict[Base, np.ndarray], float]:
    """Base points (metres) and the unit length d of the targets, from the model's template."""
    template = model.v_template
    joints = model.j_regressor @ template
    eye_a, eye_b = joints[EYE_LEFT_JOINT], joints[EYE_RIGHT_JOINT]
    eye_left, eye_right = (eye_a, eye_b) if eye_a[0] >= eye_b[0] else (eye_b, eye_a)
    unit = float(np.linalg.norm(eye_left - eye_right))
    eye_mid = (eye_left + eye_right) / 2
    mouth = _front_of_surface(template, eye_mid + np.array([0.0, -1.1 * unit, 0.0]), 0.3 * unit)
    return {"eye_left": eye_left, "eye_right": eye_right, "eye_mid": eye_mid, "mouth": mouth}, unit


def _front_of_surface(template: np.ndarray, point: np.ndarray, reach: float) -> np.ndarray:
    """``point`` moved in z onto the frontmost template vertex within ``reach`` of it in x, y."""
    near = np.linalg.norm(template[:, :2] - point[:2], axis=1) < reach
    if not near.any():
        return point
    return np.array([point[0], point[1], template[near, 2].max()])


def target_field(axis: Axis, template: np.ndarray, bases: dict[Base, np.ndarray], unit: float) -> np.ndarray:
    """(V, 3) displacement of ``axis`` at weight 1, metres."""
    field = np.zeros_like(template)
    for region in axis.regions:
        centre = bases[region.base] + np.asarray(region.offset) * unit
        if region.base != "mouth":
            centre = _front_of_surface(template, centre, region.radius * unit)
        distance2 = np.sum((template - centre) ** 2, axis=1)
        falloff = np.exp(-distance2 / (2 * (region.radius * unit) ** 2))
        direction = np.asarray(region.direction, dtype=np.float64)
        field += falloff[:, None] * (direction / np.linalg.norm(direction)) * TARGET_AMPLITUDE * unit
    return field


def fit_arkit_map(model: FlameModel, source: str, ridge: float = RIDGE) -> ArkitMap:
    """Fit the (52, 50) expression → ARKit matrix of ``model`` (see the module docstring).

    Args:
        model: a FLAME-layout head (template, expression directions, joint regressor).
        source: recorded in the map (a file name).
        ridge: λ, relative to the mean diagonal of TᵀT.
    """
    axes = expanded_axes()
    bases, unit = landmarks(model)
    targets = np.stack([target_field(axis, model.v_template, bases, unit).ravel() for axis in axes], axis=1)
    basis = model.exprdirs.reshape(-1, N_EXP)  # (3V, 50)
    gram = targets.T @ targets
    gram += ridge * np.trace(gram) / len(axes) * np.eye(len(axes))
    signed = np.linalg.solve(gram, targets.T @ basis)  # (K, 50)
    matrix = np.zeros((len(ARKIT_NAMES), N_EXP))
    for axis, row in zip(axes, signed):
        matrix[ARKIT_INDEX[axis.positive]] += row
        if axis.negative is not None:
            matrix[ARKIT_INDEX[axis.negative]] -= row
    return ArkitMap(matrix=matrix.astype(np.float32), source=source)
