"""What a speaking style does to the motion, and whether each preset does what its name says.

:func:`style_stats` measures motion of the built-in head (:class:`~posetalk.animator.animate.Animation`,
pooled over clips); :data:`PRESET_RULES` says how each preset of
:data:`posetalk.animator.style.PRESETS` must move those statistics away from ``neutral``, and
:func:`check_preset` applies a rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from posetalk.animator.animate import EXPRESSION_INDEX, Animation
from posetalk.evaluation.mouth import mouth_measures

BROW = EXPRESSION_INDEX["brow_raise"]  # exp[6]
SWAY = slice(1, 3)  # yaw and roll of the global rotation


@dataclass(frozen=True)
class StyleStats:
    """Statistics of motion pooled over all frames of a set of clips.

    Attributes:
        mean_opening_mm: mean mouth opening (:func:`~posetalk.evaluation.mouth.mouth_measures`), mm.
        opening_std_mm: standard deviation of the opening over all frames, mm.
        corner_lift_mm: mean height of the mouth corners above rest (positive in a smile), mm.
        head_rotation_std_deg: RMS over frames of the angle between the head's rotation vector
            (global axis-angle, pose[:, :3]) and its mean over the clip, degrees.
        head_frequency_hz: RMS frequency of the head's turn and tilt (yaw and roll, pose[:, 1:3]):
            their RMS angular speed (frame differences × fps) over 2π × their RMS deviation from
            the clip's mean, Hz (a sinusoid of f Hz gives f). Pitch is left out: nods follow the
            stressed syllables, not the speaker's tempo, and would swamp the slow sway.
        brow_std: standard deviation of the brow-raise coefficient (exp[6]) over all frames.
    """

    mean_opening_mm: float
    opening_std_mm: float
    corner_lift_mm: float
    head_rotation_std_deg: float
    head_frequency_hz: float
    brow_std: float


def _about_mean(angles: np.ndarray) -> np.ndarray:
    """(L, C) angles minus their mean over the clip, float64."""
    angles = np.asarray(angles, np.float64)
    return angles - angles.mean(axis=0)


def _mean_square(vectors: Sequence[np.ndarray]) -> float:
    """Mean over all rows of (L, C) arrays of the squared norm of a row."""
    return float(np.mean(np.concatenate([np.sum(v * v, axis=1) for v in vectors])))


def style_stats(motions: Sequence[Animation]) -> StyleStats:
    """:class:`StyleStats` of motions, each measured on its own identity and frame rate."""
    if not motions or any(len(m.exp) < 2 for m in motions):
        raise ValueError("style statistics need at least one clip, each of two frames or more")
    measures = [mouth_measures(m.exp, m.pose, m.shape) for m in motions]
    opening = np.concatenate([m.opening for m in measures])
    deviation = [_about_mean(m.pose[:, :3]) for m in motions]
    sway = [_about_mean(m.pose[:, SWAY]) for m in motions]
    speed = [np.diff(d, axis=0) * m.fps for d, m in zip(sway, motions)]
    square_angle = _mean_square(deviation)
    square_sway = _mean_square(sway)
    return StyleStats(
        mean_opening_mm=float(opening.mean()),
        opening_std_mm=float(opening.std()),
        corner_lift_mm=float(np.concatenate([m.corner_lift for m in measures]).mean()),
        head_rotation_std_deg=float(np.degrees(np.sqrt(square_angle))),
        head_frequency_hz=float(np.sqrt(_mean_square(speed) / square_sway) / (2 * np.pi)) if square_sway > 0 else float("nan"),
        brow_std=float(np.concatenate([m.exp[:, BROW] for m in motions]).std()),
    )


@dataclass(frozen=True)
class Expectation:
    """A preset must move ``statistic`` (a :class:`StyleStats` field) ``up`` or down from neutral
    by more than ``min_change``: a fraction of |neutral| (``relative``) or an amount in the
    statistic's units."""

    statistic: str
    up: bool
    min_change: float
    relative: bool = True

    def describe(self) -> str:
        size = f"{self.min_change:.0%}" if self.relative else f"{self.min_change:g}"
        return f"{self.statistic} {'+' if self.up else '-'}{size}"


RELATIVE_CHANGE = 0.10
"""A preset that scales a motion must move its statistic by more than 10 % of neutral's."""
SMILE_LIFT_MM = 0.5
"""A smiling preset must lift the corners by more than 0.5 mm over neutral (neutral is near 0, so
a relative rule would be meaningless)."""
PRESET_RULES: dict[str, tuple[Expectation, ...]] = {
    "expressive": (
        Expectation("opening_std_mm", True, RELATIVE_CHANGE),
        Expectation("head_rotation_std_deg", True, RELATIVE_CHANGE),
        Expectation("brow_std", True, RELATIVE_CHANGE),
    ),
    "subtle": (
        Expectation("opening_std_mm", False, RELATIVE_CHANGE),
        Expectation("head_rotation_std_deg", False, RELATIVE_CHANGE),
        Expectation("brow_std", False, RELATIVE_CHANGE),
    ),
    "smiling": (Expectation("corner_lift_mm", True, SMILE_LIFT_MM, relative=False),),
    "lively_head": (
        Expectation("head_rotation_std_deg", True, RELATIVE_CHANGE),
        Expectation("head_frequency_hz", True, RELATIVE_CHANGE),
    ),
    "calm_head": (
        Expectation("head_rotation_std_deg", False, RELATIVE_CHANGE),
        Expectation("head_frequency_hz", False, RELATIVE_CHANGE),
    ),
}
"""What each non-neutral preset of the animator (:data:`posetalk.animator.style.PRESETS`) changes:
expressive scales mouth, head and brows up, subtle down, smiling adds a resting smile,
lively_head and calm_head scale the head's amplitude and tempo up and down."""


@dataclass(frozen=True)
class Check:
    """One expectation of a preset, measured: ``change`` is preset − neutral, in % of |neutral|
    when ``relative``, else in the statistic's units."""

    preset: str
    rule: str
    neutral: float
    value: float
    change: float
    relative: bool
    passed: bool


def check_preset(preset: str, stats: StyleStats, neutral: StyleStats) -> list[Check]:
    """Every expectation of :data:`PRESET_RULES` for ``preset`` (none for an unknown name)."""
    checks = []
    for expectation in PRESET_RULES.get(preset, ()):
        base = asdict(neutral)[expectation.statistic]
        value = asdict(stats)[expectation.statistic]
        difference = value - base
        scale = abs(base) if expectation.relative else 1.0
        moved = difference if expectation.up else -difference
        passed = bool(np.isfinite(moved) and moved > expectation.min_change * scale)
        if not expectation.relative:
            change = difference
        else:
            change = 100.0 * difference / scale if scale > 0 else float("nan")
        checks.append(Check(preset, expectation.describe(), base, value, float(change), expectation.relative, passed))
    return checks
