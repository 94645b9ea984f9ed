"""VTube Studio input parameters from the mapped outputs.

VTube Studio's default tracking parameters (its API README, "Feeding in data for default or custom
parameters", and the parameter list in the app): face angles in degrees, mouth open / smile in
[0, 1], brows in [0, 1] with 0.5 at rest, eyes open in [0, 1] (1 = open), eye gaze in [-1, 1].
"""

from __future__ import annotations

import numpy as np

from posetalk.mapping import ARKIT_NAMES, FaceOutputs
from posetalk.mapping.names import ARKIT_INDEX

# Prefix of the custom parameters that carry the 52 ARKit weights (VTS: 4-32 alphanumerics).
CUSTOM_PREFIX = "Posetalk"


def custom_parameter_name(arkit_name: str) -> str:
    """``mouthSmileLeft`` → ``PosetalkMouthSmileLeft``."""
    return CUSTOM_PREFIX + arkit_name[0].upper() + arkit_name[1:]


def default_parameters(outputs: FaceOutputs) -> dict[str, float]:
    """Values for VTube Studio's default input parameters."""

    def w(name: str) -> float:
        return float(outputs.arkit[ARKIT_INDEX[name]])

    def mean(*names: str) -> float:
        return sum(w(name) for name in names) / len(names)

    def brow(side: str) -> float:
        lift = w(f"browOuterUp{side}") + 0.5 * w("browInnerUp") - w(f"browDown{side}")
        return float(np.clip(0.5 + 0.5 * lift, 0.0, 1.0))

    pitch, yaw, roll = (float(v) for v in outputs.euler)
    smile = mean("mouthSmileLeft", "mouthSmileRight") - mean("mouthFrownLeft", "mouthFrownRight")
    gaze_x = w("eyeLookInLeft") - w("eyeLookOutLeft")  # toward the face's right is positive
    gaze_y = w("eyeLookUpLeft") - w("eyeLookDownLeft")
    return {
        # VTube Studio: FaceAngleX turns left/right, FaceAngleY nods (up positive), FaceAngleZ tilts.
        "FaceAngleX": yaw,
        "FaceAngleY": -pitch,
        "FaceAngleZ": roll,
        "MouthOpen": w("jawOpen"),
        "MouthSmile": float(np.clip(0.5 + 0.5 * smile, 0.0, 1.0)),
        "BrowLeftY": brow("Left"),
        "BrowRightY": brow("Right"),
        "EyeOpenLeft": 1.0 - w("eyeBlinkLeft"),
        "EyeOpenRight": 1.0 - w("eyeBlinkRight"),
        "EyeLeftX": gaze_x,
        "EyeRightX": gaze_x,
        "EyeLeftY": gaze_y,
        "EyeRightY": gaze_y,
        "CheekPuff": w("cheekPuff"),
    }


def custom_parameters(outputs: FaceOutputs) -> dict[str, float]:
    """The 52 ARKit weights as ``Posetalk…`` custom parameters."""
    return {custom_parameter_name(name): float(v) for name, v in zip(ARKIT_NAMES, outputs.arkit)}
