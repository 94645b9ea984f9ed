"""Assemble the built-in head: skin and parts into one FLAME-layout model with vertex colours."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from posetalk.rig.flame import FlameModel
from posetalk.rig.head import parts as P
from posetalk.rig.head.blendshapes import expression_dirs, shape_dirs
from posetalk.rig.head.labels import Labels
from posetalk.rig.head.rigging import (
    GLOBAL,
    JAW,
    LEFT_EYE,
    NECK,
    RIGHT_EYE,
    cavity_weights,
    mirrored_pair_regressor,
    rigid_weights,
    ring_regressor,
    skin_weights,
)
from posetalk.rig.head.skin import MOUTH_Y, Skin, build_skin, lower_lip_height, upper_lip_height
from posetalk.rig.mesh import smoothstep

EYE_CENTERS = np.array([[0.0330, 0.0215, 0.0], [-0.0330, 0.0215, 0.0]])  # z from the face
EYE_PROUD = 0.0052  # how far the eyeballs stand out of their sockets, metres
JAW_HINGE = np.array([0.068, -0.012, 0.004])
PARENTS = np.array([-1, 0, 1, 1, 1])


@dataclass(frozen=True, eq=False)
class BuiltInHead:
    """The project's own head: a FLAME-layout model plus (V, 3) sRGB vertex colours."""

    model: FlameModel
    colors: np.ndarray


def _skin_colors(skin: Skin, hair: np.ndarray, eyes: list[np.ndarray]) -> np.ndarray:
    """(S, 3) sRGB skin colours: skin tone, lips and their meeting line, brows, lash lines around
    the eyeballs, nostrils, hair."""
    x, y, z = skin.vertices.T
    ax = np.abs(x)
    upper_edge = MOUTH_Y + upper_lip_height(x)
    lower_edge = MOUTH_Y - lower_lip_height(x)
    lips_upper = (skin.lip_side >= 0) * smoothstep(upper_edge + 0.0008, upper_edge - 0.0008, y)
    lips_lower = (skin.lip_side <= 0) * smoothstep(lower_edge - 0.0008, lower_edge + 0.0008, y)
    lips = np.clip(lips_upper + lips_lower, 0.0, 1.0) * (z > 0.05)
    crease = np.zeros(len(y))
    crease[np.concatenate([skin.upper_slit, skin.lower_slit])] = 1.0
    brow_line = 0.0445 + 0.004 * np.cos((ax - 0.033) / 0.02)
    brows = (
        smoothstep(0.0036, 0.0018, np.abs(y - brow_line))
        * smoothstep(0.010, 0.015, ax)
        * smoothstep(0.056, 0.050, ax)
        * (z > 0.03)
    )
    lashes = np.zeros(len(y))
    for center in eyes:
        gap = np.linalg.norm(skin.vertices - center, axis=1) - P.EYE_RADIUS
        upper = smoothstep(center[1] - 0.004, center[1] + 0.001, y)
        lashes = np.maximum(lashes, smoothstep(0.0036, 0.0008, gap) * (0.4 + 0.6 * upper))
    nostrils = np.exp(-0.5 * (((ax - 0.0068) / 0.0032) ** 2 + ((y + 0.0245) / 0.0022) ** 2))
    colors = P.SKIN[None] * (1.0 - 0.4 * nostrils[:, None])
    colors = colors * (1 - lips[:, None]) + P.LIPS * lips[:, None]
    colors = colors * (1.0 - 0.45 * crease[:, None])
    colors = colors * (1 - brows[:, None]) + P.BROWS * brows[:, None]
    colors = colors * (1 - lashes[:, None]) + P.LASHES * lashes[:, None]
    return colors * (1 - hair[:, None]) + P.HAIR * hair[:, None]


def _parts(skin: Skin, hair: np.ndarray) -> list[tuple[str, P.Part, np.ndarray]]:
    """(name, mesh, (V, 5) skinning weights) of every part, the skin first."""
    front = skin.vertices[skin.vertices[:, 2] > 0.0]

    def face_depth(x: float, y: float) -> float:
        """z of the front skin vertex nearest (x, y)."""
        return float(front[np.argmin(np.linalg.norm(front[:, :2] - [x, y], axis=1)), 2])

    eyes = [
        np.array([x, y, face_depth(x, y) + EYE_PROUD - P.EYE_RADIUS]) for x, y, _ in EYE_CENTERS
    ]
    lip_front = face_depth(0.0, MOUTH_Y)
    cavity = np.array([0.0, MOUTH_Y - 0.004, lip_front - 0.040])
    rigid = [
        ("left_eye", P.eyeball(eyes[0]), LEFT_EYE),
        ("right_eye", P.eyeball(eyes[1]), RIGHT_EYE),
        ("upper_teeth", P.tooth_row(MOUTH_Y + 0.0008, 0.0095, lip_front - 0.0075, True), NECK),
        ("lower_teeth", P.tooth_row(MOUTH_Y - 0.0008, 0.0085, lip_front - 0.0090, False), JAW),
        ("tongue", P.tongue(cavity + np.array([0.0, -0.009, 0.001])), JAW),
        ("left_ear", P.ear(np.array([0.0775, 0.002, -0.016]), 1.0), NECK),
        ("right_ear", P.ear(np.array([-0.0775, 0.002, -0.016]), -1.0), NECK),
    ]
    mouth = P.mouth_cavity(cavity, np.array([0.033, 0.023, 0.034]))
    skin_part = P.Part(skin.vertices, skin.faces, _skin_colors(skin, hair, eyes))
    return [
        ("skin", skin_part, skin_weights(skin)),
        ("cavity", mouth, cavity_weights(mouth.vertices)),
        *((name, part, rigid_weights(len(part.vertices), joint)) for name, part, joint in rigid),
    ]


def _joint_regressor(v_template: np.ndarray, labels: Labels) -> np.ndarray:
    """(5, V): global and neck joints at the centres of neck rings, the jaw hinge between two
    skin vertices in front of the ears, each eye at the centre of its eyeball."""
    regressor = np.zeros((5, len(v_template)))
    skin = np.flatnonzero(labels.is_part("skin"))
    ring_height = v_template[skin, 1]
    for joint, height in ((GLOBAL, -0.150), (NECK, -0.085)):
        nearest = ring_height[np.argmin(np.abs(ring_height - height))]
        regressor[joint] = ring_regressor(v_template, skin[ring_height == nearest])
    regressor[JAW, skin] = mirrored_pair_regressor(v_template[skin], JAW_HINGE)
    for joint, name in ((LEFT_EYE, "left_eye"), (RIGHT_EYE, "right_eye")):
        regressor[joint] = ring_regressor(v_template, np.flatnonzero(labels.is_part(name)))
    return regressor


@lru_cache(maxsize=1)
def built_in_head() -> BuiltInHead:
    """Build (once per process, about half a second) the built-in head."""
    skin, hair = build_skin()
    parts = _parts(skin, hair)
    sizes = [len(part.vertices) for _, part, _ in parts]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    v_template = np.concatenate([part.vertices for _, part, _ in parts])
    labels = Labels(
        skin=skin,
        part=np.repeat(np.arange(len(parts)), sizes),
        part_names=[name for name, _, _ in parts],
    )
    model = FlameModel(
        v_template=v_template,
        shapedirs=shape_dirs(v_template, labels),
        exprdirs=expression_dirs(v_template, labels),
        posedirs=np.zeros((len(v_template), 3, 36)),
        j_regressor=_joint_regressor(v_template, labels),
        parents=PARENTS.copy(),
        lbs_weights=np.concatenate([weights for _, _, weights in parts]),
        faces=np.concatenate(
            [part.faces + offset for (_, part, _), offset in zip(parts, offsets, strict=True)]
        ).astype(np.int32),
    )
    model.validate("built-in head")
    colors = np.concatenate([part.colors for _, part, _ in parts]).astype(np.float32)
    return BuiltInHead(model=model, colors=colors)
