"""Mapping FLAME coefficients to the rigs of other software: ARKit 52, VRM expressions, head rotation.

The public surface: :class:`FaceMapper` turns a :class:`~posetalk.stream.frame.Frame` into
:class:`FaceOutputs`; :class:`ArkitMap` is the linear expression → ARKit map that ``posetalk map
fit`` computes from a FLAME model (:func:`fit_arkit_map`); :class:`EyeMotion` configures the
procedural blinks and saccades.
"""

from posetalk.mapping.eyes import EyeAnimator, EyeMotion
from posetalk.mapping.fit import fit_arkit_map
from posetalk.mapping.linear import ArkitMap
from posetalk.mapping.mapper import FaceMapper, FaceOutputs
from posetalk.mapping.names import ARKIT_NAMES, VRM_NAMES

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
