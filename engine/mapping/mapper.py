"""Per-stream mapping of frames to ARKit, VRM and head outputs, with procedural eye motion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk.mapping.eyes import EyeAnimator, EyeMotion, EyeState
from posetalk.mapping.head import head_rotation
from posetalk.mapping.linear import ArkitMap
from posetalk.mapping.names import ARKIT_INDEX
from posetalk.mapping.visemes import vrm_from_arkit
from posetalk.stream.frame import Frame


@dataclass(frozen=True, eq=False)
class FaceOutputs:
    """The mapped parameters of one frame.

    Attributes:
        arkit: (52,) float32 ARKit weights in [0, 1], :data:`~posetalk.mapping.names.ARKIT_NAMES` order.
        vrm: (18,) float32 VRM 1.0 expression weights in [0, 1], ``VRM_NAMES`` order.
        quaternion: (4,) float32 head rotation (x, y, z, w).
        euler: (3,) float32 head (pitch, yaw, roll), degrees.
    """

    arkit: np.ndarray
    vrm: np.ndarray
    quaternion: np.ndarray
    euler: np.ndarray


def _add_eyes(arkit: np.ndarray, eyes: EyeState) -> None:
    """Blend the procedural eye state into ``arkit`` in place (blink by max, gaze by replacement)."""
    for side in ("Left", "Right"):
        index = ARKIT_INDEX[f"eyeBlink{side}"]
        arkit[index] = max(arkit[index], eyes.blink)
    right, up = float(eyes.gaze[0]), float(eyes.gaze[1])
    # Gazing toward the face's right turns the right eye outward and the left eye inward.
    arkit[ARKIT_INDEX["eyeLookOutRight"]] = max(right, 0.0)
    arkit[ARKIT_INDEX["eyeLookInLeft"]] = max(right, 0.0)
    arkit[ARKIT_INDEX["eyeLookOutLeft"]] = max(-right, 0.0)
    arkit[ARKIT_INDEX["eyeLookInRight"]] = max(-right, 0.0)
    for side in ("Left", "Right"):
        arkit[ARKIT_INDEX[f"eyeLookUp{side}"]] = max(up, 0.0)
        arkit[ARKIT_INDEX[f"eyeLookDown{side}"]] = max(-up, 0.0)


class FaceMapper:
    """Maps the frames of one stream, in order (the eye motion keeps state between frames)."""

    def __init__(self, arkit_map: ArkitMap, eyes: EyeMotion) -> None:
        self.arkit_map = arkit_map
        self._eyes = EyeAnimator(eyes)

    def map(self, frame: Frame) -> FaceOutputs:
        arkit = self.arkit_map.apply(frame.exp, frame.pose)
        _add_eyes(arkit, self._eyes.at(frame.audio_time))
        quaternion, euler = head_rotation(frame.pose[:3])
        return FaceOutputs(arkit=arkit, vrm=vrm_from_arkit(arkit), quaternion=quaternion, euler=euler)
