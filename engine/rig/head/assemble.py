"""Assemble the built-in head: skin and parts into one FLAME-layout model with vertex colours."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.rig.flame import FlameModel
from engine.rig.head import parts as P
from engine.rig.head.blendshapes import expression_dirs, shape_dirs
from engine.rig.head.labels import Labels
from engine.rig.head.rigging import (
    JAW,
    LEFT_EYE,
    NECK,
    RIGHT_EYE,
    cavity_weights,
    mirrored_pair_regressor,
    ring_regressor,
    rigid_weights,
    skin_weights,
)
from engine.rig.head.skin import MOUTH_Y, build_skin, lower_lip_height, upper_lip_height
from engine.rig.mesh import smoothstep

EYE_CENTERS = np.array([[0.0330, 0.0215, 0.0], [-0.0330, 0.0215, 0.0]])
JAW_HINGE = np.array([0.068, -0.012, 0.004])
PARENTS = np.array([-1, 0, 1, 1, 1])


@dataclass(frozen=True, eq=False)
class BuiltInHead:
    """The project's own head: a FLAME-layout model plus (V, 3) sRGB vertex colours."""

    model: FlameModel
    colors: np.ndarray


def _skin_colors(skin, hair: np.ndarray) -> np.ndarray:
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
    nostrils = np.exp(-0.5 * (((ax - 0.0068) / 0.0032) ** 2 + ((y + 0.0245) / 0.0022) ** 2))
    colors = P.SKIN[None] * (1.0 - 0.4 * nostrils[:, None])
    colors = colors * (1 - lips[:, None]) + P.LIPS * lips[:, None]
    colors = colors * (1.0 - 0.45 * crease[:, None])
    colors = colors * (1 - brows[:, None]) + P.BROWS * brows[:, None]
    return colors * (1 - hair[:, None]) + P.HAIR * hair[:, None]


@lru_cache(maxsize=1)
def built_in_head() -> BuiltInHead:
    """Build (once per process) the built-in head."""
    skin, hair = build_skin()
    front = skin.vertices[skin.vertices[:, 2] > 0.0]

    def skin_z(point: np.ndarray) -> float:
        """Depth of the face at (x, y) (nearest front skin vertex)."""
        return front[np.argmin(np.linalg.norm(front[:, :2] - point[:2], axis=1)), 2]

    eye_centers = EYE_CENTERS.copy()
    for center in eye_centers:
        center[2] = skin_z(center) + 0.0040 - P.EYE_RADIUS
    lip_front = skin_z(np.array([0.0, MOUTH_Y]))
    cavity_center = np.array([0.0, MOUTH_Y - 0.004, lip_front - 0.040])
    pieces = [
        (P.Part(skin.vertices, skin.faces, _skin_colors(skin, hair)), skin_weights(skin), "skin"),
        (P.eyeball(eye_centers[0]), None, "left_eye"),
        (P.eyeball(eye_centers[1]), None, "right_eye"),
        (P.tooth_row(MOUTH_Y + 0.0008, 0.0095, lip_front - 0.0075, upper=True), None, "upper_teeth"),
        (P.tooth_row(MOUTH_Y - 0.0008, 0.0085, lip_front - 0.0090, upper=False), None, "lower_teeth"),
        (P.mouth_cavity(cavity_center, np.array([0.033, 0.023, 0.034])), None, "cavity"),
        (P.tongue(cavity_center + np.array([0.0, -0.009, 0.001])), None, "tongue"),
        (P.ear(np.array([0.0775, 0.002, -0.016]), 1.0), None, "left_ear"),
        (P.ear(np.array([-0.0775, 0.002, -0.016]), -1.0), None, "right_ear"),
    ]
    joint_of = {"left_eye": LEFT_EYE, "right_eye": RIGHT_EYE, "upper_teeth": NECK,
                "lower_teeth": JAW, "tongue": JAW, "left_ear": NECK, "right_ear": NECK}
    vertices, faces, colors, weights, part_ids = [], [], [], [], []
    offset = 0
    for index, (part, part_weights, name) in enumerate(pieces):
        if part_weights is None:
            part_weights = (
                cavity_weights(part.vertices)
                if name == "cavity"
                else rigid_weights(len(part.vertices), joint_of[name])
            )
        vertices.append(part.vertices)
        faces.append(part.faces + offset)
        colors.append(part.colors)
        weights.append(part_weights)
        part_ids.append(np.full(len(part.vertices), index))
        offset += len(part.vertices)
    v_template = np.concatenate(vertices)
    names = [name for _, _, name in pieces]
    labels = Labels(skin=skin, part=np.concatenate(part_ids), part_names=names)

    n_vertices = len(v_template)
    regressor = np.zeros((5, n_vertices))
    neck_rings = np.flatnonzero(labels.is_part("skin"))
    ring_y = v_template[neck_rings, 1]
    for joint, height in ((0, -0.150), (1, -0.085)):
        ring = neck_rings[np.abs(ring_y - ring_y[np.argmin(np.abs(ring_y - height))]) < 1e-9]
        regressor[joint] = ring_regressor(v_template, ring)
    n_skin = len(skin.vertices)
    regressor[JAW, :n_skin] = mirrored_pair_regressor(skin.vertices, JAW_HINGE)
    for joint, name in ((LEFT_EYE, "left_eye"), (RIGHT_EYE, "right_eye")):
        regressor[joint] = ring_regressor(v_template, np.flatnonzero(labels.is_part(name)))

    model = FlameModel(
        v_template=v_template,
        shapedirs=shape_dirs(v_template, labels),
        exprdirs=expression_dirs(v_template, labels),
        posedirs=np.zeros((n_vertices, 3, 36)),
        j_regressor=regressor,
        parents=PARENTS.copy(),
        lbs_weights=np.concatenate(weights),
        faces=np.concatenate(faces).astype(np.int32),
    )
    model.validate("built-in head")
    return BuiltInHead(model=model, colors=np.concatenate(colors).astype(np.float32))
