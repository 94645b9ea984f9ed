"""Mapping FLAME coefficients to the rigs of other software: ARKit 52, VRM expressions, head rotation.

The public surface: :class:`FaceMapper` turns a :class:`~engine.stream.frame.Frame` into
:class:`FaceOutputs`; :class:`ArkitMap` is the linear expression → ARKit map that ``posetalk map
fit`` computes from a FLAME model (:func:`fit_arkit_map`); :class:`EyeMotion` configures the
procedural blinks and saccades.
"""

from engine.mapping.eyes import EyeAnimator, EyeMotion
from engine.mapping.fit import fit_arkit_map
from engine.mapping.linear import ArkitMap
from engine.mapping.mapper import FaceMapper, FaceOutputs
from engine.mapping.names import ARKIT_NAMES, VRM_NAMES

__all__ = [
    "ARKIT_NAMES",
    "VRM_NAMES",
    "ArkitMap",
    "EyeAnimator",
    "EyeMotion",
    "FaceMapper",
    "FaceOutputs",
    "fit_arkit_map",
]
