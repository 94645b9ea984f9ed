"""Skinning weights and the joint regressor of the built-in head.

Joints follow FLAME: 0 global (base of the neck), 1 neck, 2 jaw, 3 left eye, 4 right eye.
The jaw weights of the skin are harmonic: fixed to 1 on the lower lip and chin, to 0 above the
mouth, behind the ears and down the neck, and solved for everywhere else with a graph Laplacian, so
the cheeks stretch smoothly when the mouth opens.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from posetalk.rig.head.skin import MOUTH_Y, Skin
from posetalk.rig.mesh import smoothstep

GLOBAL, NECK, JAW, LEFT_EYE, RIGHT_EYE = range(5)


def _graph_laplacian(n_vertices: int, faces: np.ndarray) -> scipy.sparse.csr_matrix:
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = np.concatenate([edges, edges[:, ::-1]])
    adjacency = scipy.sparse.coo_matrix(
        (np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n_vertices, n_vertices)
    ).tocsr()
    adjacency.data[:] = 1.0
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    return (scipy.sparse.diags(degree) - adjacency).tocsr()


def harmonic_jaw_weights(skin: Skin) -> np.ndarray:
    """(V,) jaw weight of every skin vertex, in [0, 1]."""
    x, y, z = skin.vertices.T
    jaw = (skin.lip_side < 0) & (np.abs(x) < 0.032) & (y > -0.097) & (z > 0.035)
    head = (skin.lip_side > 0) | (z < -0.02) | (y < -0.122)
    head &= ~jaw
    fixed = jaw | head
    laplacian = _graph_laplacian(len(x), skin.faces)
    free = np.flatnonzero(~fixed)
    known = np.flatnonzero(fixed)
    values = jaw[known].astype(np.float64)
    system = laplacian[free][:, free].tocsc()
    rhs = -laplacian[free][:, known] @ values
    weights = np.zeros(len(x))
    weights[known] = values
    weights[free] = scipy.sparse.linalg.spsolve(system, rhs)
    return np.clip(weights, 0.0, 1.0)


def skin_weights(skin: Skin) -> np.ndarray:
    """(V, 5) skinning weights of the skin: jaw, neck (head), and global low on the neck."""
    jaw = harmonic_jaw_weights(skin)
    base = smoothstep(-0.115, -0.175, skin.vertices[:, 1]) * (1.0 - jaw)
    weights = np.zeros((len(jaw), 5))
    weights[:, JAW] = jaw
    weights[:, GLOBAL] = base
    weights[:, NECK] = 1.0 - jaw - base
    return weights


def rigid_weights(n_vertices: int, joint: int) -> np.ndarray:
    """(V, 5) weights binding every vertex to one joint."""
    weights = np.zeros((n_vertices, 5))
    weights[:, joint] = 1.0
    return weights


def cavity_weights(vertices: np.ndarray) -> np.ndarray:
    """(V, 5) mouth-cavity weights: the floor follows the jaw, the roof stays with the head."""
    jaw = smoothstep(MOUTH_Y + 0.004, MOUTH_Y - 0.010, vertices[:, 1])
    weights = np.zeros((len(vertices), 5))
    weights[:, JAW] = jaw
    weights[:, NECK] = 1.0 - jaw
    return weights


def mirrored_pair_regressor(vertices: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(V,) regressor row averaging the vertex nearest ``target`` and the one nearest its mirror.

    On a left-right symmetric mesh this puts the joint on the mid-plane at the vertex's height and
    depth.
    """
    row = np.zeros(len(vertices))
    for side in (1.0, -1.0):
        point = target * np.array([side, 1.0, 1.0])
        row[np.argmin(np.linalg.norm(vertices - point, axis=1))] += 0.5
    return row


def ring_regressor(vertices: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """(V,) regressor row averaging the given vertices (a ring's centre)."""
    row = np.zeros(len(vertices))
    row[indices] = 1.0 / len(indices)
    return row
