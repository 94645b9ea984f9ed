"""The head as a binary glTF asset that a browser poses on the GPU (``GET /mesh.glb``).

FLAME (Li et al., SIGGRAPH Asia 2017, eqs. 1-5; see :mod:`posetalk.rig.lbs`) poses a head as

    T_P = T̄ + B_S(β) + B_E(ψ) + B_P(θ),   J = 𝒥 (T̄ + B_S(β) + B_E(ψ)),   M = W(T_P, J, θ, 𝒲).

Every blend shape is linear in its coefficients, so each direction becomes a glTF morph target
(glTF 2.0, "Morph Targets": the attributes plus the weighted sum of the targets' deltas, applied
before skinning) and W becomes glTF skinning over one node per joint ("Skins"). What glTF cannot
say lives in ``mesh.extras.posetalk`` (docs/protocol.md, "GET /mesh.glb"):

- ``targets``: what drives each target's weight: ``["shape", k]`` is β_k, ``["exp", k]`` is ψ_k,
  ``[joint, e]`` is entry e (row-major) of R - I for that joint's rotation R (pose correctives;
  only for the non-root joints the stream rotates, i.e. the jaw, and only when non-zero);
- ``joints`` and ``joint_deltas``: the joints move with β and ψ (they are regressed from the
  shaped mesh), J = J̄ + Σ_t w_t ΔJ_t with ΔJ_t = 𝒥 D_t (zero for pose correctives), and the skin
  then poses with inverse bind matrices T(-J) instead of the stored T(-J̄).

glTF and three.js bind at most four joints to a vertex (one ``JOINTS_0``/``WEIGHTS_0`` set): a
vertex bound to more keeps its four largest weights, renormalised. Displacements under
``POSITION_EPSILON`` and normal changes under ``NORMAL_EPSILON`` are stored as zeros (sparse
accessors), which keeps the built-in head's asset to a few megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk import __version__
from posetalk.render.geometry import DEFAULT_SKIN
from posetalk.rig.flame import JOINT_NAMES, N_EXP, N_SHAPE, POSE_JOINTS, FlameModel
from posetalk.rig.mesh import vertex_normals
from posetalk.server.glb import ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER, GlbWriter

POSITION_EPSILON = 1e-7  # metres per unit weight
NORMAL_EPSILON = 1e-4  # change of a unit normal per unit weight
ROUGHNESS = 0.7
JSON_DECIMALS = 9  # joints in metres: 1 nm


@dataclass(frozen=True, eq=False)
class MorphTargets:
    """A head's blend shapes as morph targets.

    Attributes:
        dirs: (V, 3, T) displacement per unit weight of each target, metres.
        drivers: (kind, index) per target, as in ``extras.posetalk.targets``.
    """

    dirs: np.ndarray
    drivers: list[tuple[str, int]]

    @property
    def names(self) -> list[str]:
        return [f"{kind}_{index}" for kind, index in self.drivers]


def morph_targets(model: FlameModel) -> MorphTargets:
    """The non-zero identity components, all expression components, then the pose correctives of
    the rotated non-root joints (when non-zero)."""
    shape = [k for k in range(N_SHAPE) if np.any(model.shapedirs[:, :, k])]
    drivers = [("shape", k) for k in shape] + [("exp", k) for k in range(N_EXP)]
    dirs = [model.shapedirs[:, :, shape], model.exprdirs]
    for joint in (j for j in POSE_JOINTS if model.parents[j] >= 0):
        block = model.posedirs[:, :, (joint - 1) * 9 : joint * 9]  # lbs.pose_features' layout
        if np.any(block):
            drivers += [(JOINT_NAMES[joint], entry) for entry in range(9)]
            dirs.append(block)
    return MorphTargets(np.concatenate(dirs, axis=2), drivers)


def four_largest(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(V, J) skinning weights -> (V, 4) uint8 joints and (V, 4) float32 weights summing to 1.

    Unused slots have weight 0 and joint 0."""
    order = np.argsort(-weights, axis=1, kind="stable")[:, :4]
    picked = np.take_along_axis(weights, order, axis=1)
    picked = picked / picked.sum(axis=1, keepdims=True)
    joints = np.where(picked > 0, order, 0)
    return joints.astype(np.uint8), picked.astype(np.float32)


def srgb_to_linear(color: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] to linear ones (IEC 61966-2-1), as glTF colours are."""
    color = np.asarray(color, dtype=np.float64)
    return np.where(color <= 0.04045, color / 12.92, ((color + 0.055) / 1.055) ** 2.4)


def joint_nodes(joints: np.ndarray, parents: np.ndarray) -> list[dict[str, object]]:
    """glTF nodes of the kinematic tree at rest: (J, 3) joint locations, (J,) parents (-1: root).

    A node's translation is its joint's offset from the parent joint (the root's: its location)."""
    nodes: list[dict[str, object]] = []
    for joint, parent in enumerate(parents):
        offset = joints[joint] - (joints[parent] if parent >= 0 else 0.0)
        node: dict[str, object] = {"name": JOINT_NAMES[joint], "translation": offset.tolist()}
        children = np.flatnonzero(parents == joint).tolist()
        if children:
            node["children"] = children
        nodes.append(node)
    return nodes


def head_glb(model: FlameModel, name: str, colors: np.ndarray | None = None) -> bytes:
    """The GLB asset of ``model``: a skinned mesh with morph targets, one node per joint.

    Args:
        model: the head.
        name: the mesh's name.
        colors: optional (V, 3) sRGB vertex colours in [0, 1]; a uniform skin tone otherwise.
    """
    f32 = np.float32
    targets = morph_targets(model)
    rest_normals = vertex_normals(model.v_template, model.faces)
    shaped = model.v_template[None] + np.moveaxis(targets.dirs, 2, 0)  # (T, V, 3)
    normal_deltas = vertex_normals(shaped, model.faces) - rest_normals
    joints = model.j_regressor @ model.v_template  # (J, 3) J̄
    joint_deltas = np.einsum("jv,vct->tjc", model.j_regressor, targets.dirs)
    joint_deltas[[kind not in ("shape", "exp") for kind, _ in targets.drivers]] = 0.0
    skin_joints, skin_weights = four_largest(model.lbs_weights)

    writer = GlbWriter()
    attributes = {
        "POSITION": writer.accessor(model.v_template.astype(f32), ARRAY_BUFFER, bounds=True),
        "NORMAL": writer.accessor(rest_normals.astype(f32), ARRAY_BUFFER),
        "JOINTS_0": writer.accessor(skin_joints, ARRAY_BUFFER),
        "WEIGHTS_0": writer.accessor(skin_weights, ARRAY_BUFFER),
    }
    base_color = [*srgb_to_linear(DEFAULT_SKIN).tolist(), 1.0]
    if colors is not None:
        attributes["COLOR_0"] = writer.accessor(srgb_to_linear(colors).astype(f32), ARRAY_BUFFER)
        base_color = [1.0, 1.0, 1.0, 1.0]
    morphs = [
        {
            "POSITION": writer.sparse_accessor(targets.dirs[:, :, t].astype(f32), POSITION_EPSILON),
            "NORMAL": writer.sparse_accessor(normal_deltas[t].astype(f32), NORMAL_EPSILON),
        }
        for t in range(len(targets.drivers))
    ]
    faces = writer.accessor(model.faces.reshape(-1).astype(np.uint32), ELEMENT_ARRAY_BUFFER)
    inverse_bind = np.tile(np.eye(4), (len(joints), 1, 1))
    inverse_bind[:, :3, 3] = -joints
    n_joints = len(joints)
    document = {
        "asset": {"version": "2.0", "generator": f"posetalk {__version__}"},
        "scene": 0,
        "scenes": [{"nodes": [n_joints, *(j for j in range(n_joints) if model.parents[j] < 0)]}],
        "nodes": [*joint_nodes(joints, model.parents), {"name": name, "mesh": 0, "skin": 0}],
        "skins": [{"joints": list(range(n_joints)), "inverseBindMatrices": writer.accessor(inverse_bind.astype(f32))}],
        "materials": [
            {
                "pbrMetallicRoughness": {
                    "baseColorFactor": base_color,
                    "metallicFactor": 0.0,
                    "roughnessFactor": ROUGHNESS,
                },
                "doubleSided": True,
            }
        ],
        "meshes": [
            {
                "name": name,
                "primitives": [{"attributes": attributes, "indices": faces, "material": 0, "targets": morphs}],
                "extras": {
                    "targetNames": targets.names,
                    "posetalk": {
                        "targets": [list(driver) for driver in targets.drivers],
                        "pose_joints": [JOINT_NAMES[j] for j in POSE_JOINTS],
                        "joints": np.round(joints, JSON_DECIMALS).tolist(),
                        "joint_deltas": np.round(joint_deltas, JSON_DECIMALS).tolist(),
                    },
                },
            }
        ],
    }
    return writer.glb(document)
