"""Linear blend skinning with blend shapes, as small pure batched numpy functions.

The model is FLAME's (Li et al., "Learning a model of facial shape and expression from 4D scans",
SIGGRAPH Asia 2017, eqs. 1-5), which reuses SMPL's formulation (Loper et al., SIGGRAPH Asia 2015):

    T_P(β, θ, ψ) = T̄ + B_S(β) + B_E(ψ) + B_P(θ)          (template plus blend shapes)
    J(β, ψ)      = 𝒥 (T̄ + B_S(β) + B_E(ψ))                 (joints regressed from the shaped mesh)
    M(β, θ, ψ)   = W(T_P, J, θ, 𝒲)                          (standard linear blend skinning)

Shapes: B batch, V vertices, K blend-shape components, J joints. Units: metres and radians.
Computations run in float64 whatever the input precision.
"""

from __future__ import annotations

import numpy as np


def blend_shapes(coeffs: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Linear combination of blend-shape directions.

    Args:
        coeffs: (B, K) coefficients.
        dirs: (V, 3, K) directions.
    Returns:
        (B, V, 3) vertex offsets.
    """
    return np.einsum("bk,vck->bvc", coeffs, dirs)


def batch_rodrigues(axis_angle: np.ndarray) -> np.ndarray:
    """Rotation matrices from axis-angle vectors (Rodrigues' formula).

    Args:
        axis_angle: (N, 3) rotation axis times angle, radians.
    Returns:
        (N, 3, 3) rotation matrices.
    """
    axis_angle = np.asarray(axis_angle, dtype=np.float64)
    angle = np.linalg.norm(axis_angle, axis=1, keepdims=True)  # (N, 1)
    axis = axis_angle / np.maximum(angle, 1e-12)
    x, y, z = axis[:, 0], axis[:, 1], axis[:, 2]
    zero = np.zeros_like(x)
    skew = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], axis=1).reshape(-1, 3, 3)
    sin = np.sin(angle)[:, :, None]
    cos = np.cos(angle)[:, :, None]
    return np.eye(3) + sin * skew + (1.0 - cos) * (skew @ skew)


def batch_rigid_transform(
    rot_mats: np.ndarray, joints: np.ndarray, parents: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pose a kinematic tree: world transforms of each joint, relative to its rest position.

    Args:
        rot_mats: (B, J, 3, 3) local joint rotations.
        joints: (B, J, 3) rest joint locations.
        parents: (J,) parent index of each joint, -1 for the root; parents precede children.
    Returns:
        posed_joints: (B, J, 3) joint locations after posing.
        rel_transforms: (B, J, 4, 4) transforms that carry a rest-pose point attached to each
            joint to its posed location (the rest joint location is factored out).
    """
    batch, n_joints = joints.shape[:2]
    rel_joints = joints.copy()
    rel_joints[:, 1:] -= joints[:, parents[1:]]
    local = np.zeros((batch, n_joints, 4, 4))
    local[:, :, :3, :3] = rot_mats
    local[:, :, :3, 3] = rel_joints
    local[:, :, 3, 3] = 1.0
    world = [local[:, 0]]
    for joint in range(1, n_joints):
        world.append(world[parents[joint]] @ local[:, joint])
    transforms = np.stack(world, axis=1)  # (B, J, 4, 4)
    posed_joints = transforms[:, :, :3, 3].copy()
    rest_offset = np.einsum("bjrc,bjc->bjr", transforms[:, :, :3, :3], joints)
    rel_transforms = transforms.copy()
    rel_transforms[:, :, :3, 3] -= rest_offset
    return posed_joints, rel_transforms


def pose_features(rot_mats: np.ndarray) -> np.ndarray:
    """Inputs of the pose-corrective blend shapes: (R - I) of every non-root joint.

    Args:
        rot_mats: (B, J, 3, 3) local joint rotations.
    Returns:
        (B, (J - 1) * 9) row-major entries of R_j - I for j = 1..J-1.
    """
    batch = rot_mats.shape[0]
    return (rot_mats[:, 1:] - np.eye(3)).reshape(batch, -1)


def lbs(
    coeffs: np.ndarray,
    pose: np.ndarray,
    v_template: np.ndarray,
    dirs: np.ndarray,
    posedirs: np.ndarray,
    j_regressor: np.ndarray,
    parents: np.ndarray,
    lbs_weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Blend shapes, pose correctives and linear blend skinning.

    Args:
        coeffs: (B, K) blend-shape coefficients (FLAME: shape β then expression ψ).
        pose: (B, J, 3) axis-angle rotation of each joint, radians.
        v_template: (V, 3) rest template T̄.
        dirs: (V, 3, K) blend-shape directions matching ``coeffs``.
        posedirs: (V, 3, (J - 1) * 9) pose-corrective directions.
        j_regressor: (J, V) joint regressor 𝒥.
        parents: (J,) kinematic tree, -1 for the root.
        lbs_weights: (V, J) skinning weights 𝒲.
    Returns:
        vertices: (B, V, 3) posed vertices.
        joints: (B, J, 3) posed joints.
    """
    batch, n_joints = pose.shape[:2]
    v_shaped = v_template[None] + blend_shapes(coeffs, dirs)
    joints = np.einsum("jv,bvc->bjc", j_regressor, v_shaped)
    rot_mats = batch_rodrigues(pose.reshape(-1, 3)).reshape(batch, n_joints, 3, 3)
    v_posed = v_shaped + blend_shapes(pose_features(rot_mats), posedirs)
    posed_joints, rel_transforms = batch_rigid_transform(rot_mats, joints, parents)
    per_vertex = np.einsum("vj,bjrc->bvrc", lbs_weights, rel_transforms)  # (B, V, 4, 4)
    vertices = np.einsum("bvrc,bvc->bvr", per_vertex[:, :, :3, :3], v_posed)
    vertices += per_vertex[:, :, :3, 3]
    return vertices, posed_joints
