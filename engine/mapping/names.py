"""Names and orders of the output parameter sets.

ARKit: the 52 ``ARFaceAnchor.BlendShapeLocation`` names in Apple's documented order; "Left" is the
face's own left (FLAME's +x). VRM: the VRM 1.0 preset expressions (``VRMC_vrm`` expressions), and
their VRM 0.x blend-shape-clip names, which VMC receivers expect.
"""

from __future__ import annotations

ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)  # fmt: skip

ARKIT_INDEX: dict[str, int] = {name: index for index, name in enumerate(ARKIT_NAMES)}

VRM_NAMES: tuple[str, ...] = (
    "aa", "ih", "ou", "ee", "oh",
    "blink", "blinkLeft", "blinkRight",
    "happy", "angry", "sad", "relaxed", "surprised",
    "lookUp", "lookDown", "lookLeft", "lookRight",
    "neutral",
)  # fmt: skip

VRM_INDEX: dict[str, int] = {name: index for index, name in enumerate(VRM_NAMES)}

# VRM 1.0 preset name -> VRM 0.x BlendShapePreset clip name (VRM 0.x specification, blendShapeMaster).
VRM0_NAMES: dict[str, str] = {
    "aa": "A", "ih": "I", "ou": "U", "ee": "E", "oh": "O",
    "blink": "Blink", "blinkLeft": "Blink_L", "blinkRight": "Blink_R",
    "happy": "Joy", "angry": "Angry", "sad": "Sorrow", "relaxed": "Fun", "surprised": "Surprised",
    "lookUp": "LookUp", "lookDown": "LookDown", "lookLeft": "LookLeft", "lookRight": "LookRight",
    "neutral": "Neutral",
}  # fmt: skip

HEAD_FIELDS: tuple[str, ...] = ("qx", "qy", "qz", "qw", "pitch", "yaw", "roll")
