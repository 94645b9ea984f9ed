"""The ARKit map of the built-in head, read from its authored expression components.

The built-in head's 50 expression components are named displacement fields
(``posetalk.rig.head.blendshapes.EXPRESSIONS``, docs/built_in_head.md), most of them the same
muscle actions ARKit names. A coefficient of 1 is the component at its authored extent, taken as
ARKit weight 1. Symmetric components drive both ARKit sides; ``_left`` / ``_right`` components
(the face's own sides, like ARKit's) drive one side, and centre-line names by half. Components without an ARKit counterpart
(``cheek_suck``, ``nostril_flare``) map to nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from posetalk.mapping.linear import ArkitMap
from posetalk.mapping.names import ARKIT_INDEX, ARKIT_NAMES

# Component -> ARKit names it drives, for the symmetric components. "{side}" expands to Left/Right.
SYMMETRIC_TARGETS: dict[str, tuple[str, ...]] = {
    "mouth_open": ("jawOpen",),
    "smile": ("mouthSmile{side}",),
    "lip_pucker": ("mouthPucker",),
    "lip_spread": ("mouthStretch{side}",),
    "lip_press": ("mouthPress{side}",),
    "frown": ("mouthFrown{side}",),
    "brow_raise": ("browInnerUp", "browOuterUp{side}"),
    "brow_furrow": ("browDown{side}",),
    "cheek_puff": ("cheekPuff",),
    "upper_lip_raise": ("mouthUpperUp{side}",),
    "lower_lip_depress": ("mouthLowerDown{side}",),
    "lip_funnel": ("mouthFunnel",),
    "squint": ("eyeSquint{side}",),
    "blink": ("eyeBlink{side}",),
    "sneer": ("noseSneer{side}",),
    "mouth_left": ("mouthLeft",),
    "mouth_right": ("mouthRight",),
    "chin_raise": ("mouthShrugLower",),
    "dimple": ("mouthDimple{side}",),
    "upper_lip_roll_in": ("mouthRollUpper",),
    "lower_lip_roll_in": ("mouthRollLower",),
    "brow_inner_raise": ("browInnerUp",),
    "brow_outer_raise": ("browOuterUp{side}",),
    "lip_stretch_down": ("mouthLowerDown{side}",),
}


def _targets(component: str) -> list[tuple[str, float]]:
    """(ARKit name, weight) pairs driven by one component (``smile_left`` → mouthSmileLeft, 1).

    A one-sided component drives its side's names fully and centre-line names (cheekPuff,
    browInnerUp) by half.
    """
    if component in SYMMETRIC_TARGETS:  # also mouth_left / mouth_right, which are not one-sided
        names = SYMMETRIC_TARGETS[component]
        return [(n.format(side=s), 1.0) for n in names for s in (("Left", "Right") if "{side}" in n else ("",))]
    for suffix, side in (("_left", "Left"), ("_right", "Right")):
        if component.endswith(suffix):
            names = SYMMETRIC_TARGETS.get(component.removesuffix(suffix), ())
            return [(n.format(side=side), 1.0 if "{side}" in n else 0.5) for n in names]
    return []


def built_in_arkit_map(components: Sequence[str]) -> ArkitMap:
    """The (52, 50) map of a head whose expression components are named ``components``."""
    matrix = np.zeros((len(ARKIT_NAMES), len(components)), dtype=np.float32)
    for column, component in enumerate(components):
        for name, weight in _targets(component):
            matrix[ARKIT_INDEX[name], column] = weight
    return ArkitMap(matrix=matrix, source="built-in head components")
