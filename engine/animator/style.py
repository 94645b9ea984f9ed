"""Speaking styles and identities for the procedural animator.

A :class:`StyleParams` scales the animator's behaviour (neutral = every factor 1, no smile, 17
blinks a minute); :func:`sample_style` draws a plausible random style, :data:`PRESETS` names a few.
:func:`sample_identity` draws an identity of the built-in head (its 12 named shape components).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from posetalk.rig.flame import N_SHAPE
from posetalk.rig.head.blendshapes import SHAPES

IDENTITY_SIGMA = 0.6
IDENTITY_LIMIT = 1.5
# (low, high) of each field, both for validation and for sampling.
RANGES: dict[str, tuple[float, float]] = {
    "mouth_amplitude": (0.5, 1.5),
    "crispness": (0.6, 1.6),
    "smile": (-1.0, 1.0),
    "head_amplitude": (0.0, 2.5),
    "head_tempo": (0.5, 2.0),
    "brow_activity": (0.0, 2.0),
    "blink_rate": (4.0, 40.0),
}
# Sampling stays inside the valid ranges but avoids their extremes.
SAMPLE_RANGES: dict[str, tuple[float, float]] = {
    "mouth_amplitude": (0.75, 1.3),
    "crispness": (0.8, 1.3),
    "head_amplitude": (0.4, 1.8),
    "head_tempo": (0.7, 1.5),
    "brow_activity": (0.2, 1.6),
    "blink_rate": (8.0, 28.0),
}
SMILE_MEAN = 0.1  # sampled smiles lean slightly positive, as in conversation
SMILE_SPREAD = 0.35


@dataclass(frozen=True)
class StyleParams:
    """How a speaker moves.

    Attributes:
        mouth_amplitude: scales the jaw and lip excursions (contacts stay complete).
        crispness: scales the dominance rates of coarticulation (higher: sharper transitions).
        smile: resting expression, -1 (frown) .. 0 (neutral) .. 1 (smile).
        head_amplitude: scales every head rotation.
        head_tempo: scales the speed of the head's slow drift.
        brow_activity: scales the brow raises on pitch peaks.
        blink_rate: blinks per minute.
    """

    mouth_amplitude: float = 1.0
    crispness: float = 1.0
    smile: float = 0.0
    head_amplitude: float = 1.0
    head_tempo: float = 1.0
    brow_activity: float = 1.0
    blink_rate: float = 17.0

    def __post_init__(self) -> None:
        for field in fields(self):
            low, high = RANGES[field.name]
            value = getattr(self, field.name)
            if not low <= value <= high:
                raise ValueError(f"{field.name} = {value} is outside [{low}, {high}]")


def sample_style(rng: np.random.Generator) -> StyleParams:
    """A random style: each factor uniform in :data:`SAMPLE_RANGES`, the smile normal around
    :data:`SMILE_MEAN` (clipped to [-1, 1])."""
    values = {name: float(rng.uniform(low, high)) for name, (low, high) in SAMPLE_RANGES.items()}
    values["smile"] = float(np.clip(rng.normal(SMILE_MEAN, SMILE_SPREAD), -1.0, 1.0))
    return StyleParams(**values)


NEUTRAL = StyleParams()
PRESETS: dict[str, StyleParams] = {
    "neutral": NEUTRAL,
    "expressive": replace(
        NEUTRAL, mouth_amplitude=1.3, crispness=1.2, smile=0.2, head_amplitude=1.5,
        brow_activity=1.8,
    ),
    "subtle": replace(
        NEUTRAL, mouth_amplitude=0.7, crispness=0.85, head_amplitude=0.5, brow_activity=0.4,
    ),
    "smiling": replace(NEUTRAL, smile=0.8),
    "lively_head": replace(NEUTRAL, head_amplitude=2.0, head_tempo=1.6),
    "calm_head": replace(NEUTRAL, head_amplitude=0.35, head_tempo=0.7),
}


def sample_identity(rng: np.random.Generator) -> np.ndarray:
    """(100,) float32 identity of the built-in head: its named components (``SHAPES``) normal with
    σ = :data:`IDENTITY_SIGMA`, clipped to ±:data:`IDENTITY_LIMIT`; the rest zero."""
    shape = np.zeros(N_SHAPE, np.float32)
    named = rng.normal(0.0, IDENTITY_SIGMA, len(SHAPES))
    shape[: len(SHAPES)] = np.clip(named, -IDENTITY_LIMIT, IDENTITY_LIMIT)
    return shape
