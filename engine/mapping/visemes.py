"""VRM expressions from ARKit weights: a fixed, documented blend (docs/mapping.md).

VRM's five mouth presets are vowels (aa, ih, ou, ee, oh); ARKit describes mouth shapes. The vowels
are read from the opening, the rounding and the spreading of the mouth:

- opening ``o = jawOpen``, rounding ``r = max(mouthPucker, mouthFunnel)``,
  spreading ``s = mean(mouthStretch, mouthSmile)`` over both sides;
- aa = o·(1 − r), oh = o·r, ou = r·(1 − o), ee = s·(1 − o), ih = s·o·0.5 + (1 − r)·o·0.3.

Emotions: happy = mean smile, sad = mean frown, angry = mean browDown, surprised = browInnerUp ·
mean eyeWide, relaxed = 0; blinks and gaze copy eyeBlink and eyeLook.
"""

from __future__ import annotations

import numpy as np

from posetalk.mapping.names import ARKIT_INDEX, VRM_NAMES


def _mean(weights: np.ndarray, *names: str) -> float:
    return float(np.mean([weights[ARKIT_INDEX[name]] for name in names]))


def vrm_from_arkit(arkit: np.ndarray) -> np.ndarray:
    """(52,) ARKit weights → (18,) float32 VRM weights in :data:`VRM_NAMES` order, in [0, 1]."""
    a = arkit
    opening = float(a[ARKIT_INDEX["jawOpen"]])
    rounding = max(float(a[ARKIT_INDEX["mouthPucker"]]), float(a[ARKIT_INDEX["mouthFunnel"]]))
    spreading = _mean(a, "mouthStretchLeft", "mouthStretchRight", "mouthSmileLeft", "mouthSmileRight")
    blink_left, blink_right = float(a[ARKIT_INDEX["eyeBlinkLeft"]]), float(a[ARKIT_INDEX["eyeBlinkRight"]])
    values = {
        "aa": opening * (1 - rounding),
        "ih": spreading * opening * 0.5 + (1 - rounding) * opening * 0.3,
        "ou": rounding * (1 - opening),
        "ee": spreading * (1 - opening),
        "oh": opening * rounding,
        "blink": min(blink_left, blink_right),
        "blinkLeft": blink_left,
        "blinkRight": blink_right,
        "happy": _mean(a, "mouthSmileLeft", "mouthSmileRight"),
        "angry": _mean(a, "browDownLeft", "browDownRight"),
        "sad": _mean(a, "mouthFrownLeft", "mouthFrownRight"),
        "relaxed": 0.0,
        "surprised": float(a[ARKIT_INDEX["browInnerUp"]]) * _mean(a, "eyeWideLeft", "eyeWideRight"),
        "lookUp": _mean(a, "eyeLookUpLeft", "eyeLookUpRight"),
        "lookDown": _mean(a, "eyeLookDownLeft", "eyeLookDownRight"),
        "lookLeft": _mean(a, "eyeLookOutLeft", "eyeLookInRight"),
        "lookRight": _mean(a, "eyeLookInLeft", "eyeLookOutRight"),
        "neutral": 0.0,
    }
    return np.clip(np.array([values[name] for name in VRM_NAMES], dtype=np.float32), 0.0, 1.0)
