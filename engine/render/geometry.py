"""Everything the GPU needs about a head, prepared once on the CPU.

A head is drawn as *render vertices* (corners) that each point at one skinned vertex and carry a
colour and, when an albedo texture is used, texture coordinates. Corners let a UV layout with seams
(FLAME's ``vt``/``ft``) share the skinned vertices of the mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk.errors import PosetalkError
from posetalk.rig.flame import FlameModel

DEFAULT_SKIN = (0.80, 0.62, 0.52)


@dataclass(frozen=True, eq=False)
class Albedo:
    """An albedo texture and its UV layout.

    Attributes:
        image: (H, W, 3) uint8 sRGB, row 0 at the top.
        uv: (T, 2) texture coordinates, origin bottom-left.
        uv_faces: (F, 3) indices into ``uv``, one row per mesh face.
    """

    image: np.ndarray
    uv: np.ndarray
    uv_faces: np.ndarray


@dataclass(frozen=True, eq=False)
class HeadGeometry:
    """GPU-ready arrays (float32 / int32) of one head.

    Attributes:
        template: (V, 3) rest vertices.
        deltas: (V, 186, 3) directions: 100 shape, 50 expression, 36 pose correctives.
        weights: (V, 5) skinning weights.
        joint_template: (5, 3) regressed joints of the template.
        joint_shape_dirs: (5, 3, 100) joints' response to shape coefficients.
        joint_exp_dirs: (5, 50, 3) joints' response to expression coefficients.
        parents: (5,) kinematic tree.
        faces: (F, 3) triangles over skinned vertices.
        ring_start: (V + 1,) offsets into ``ring_faces``.
        ring_faces: (3F,) faces around each vertex, vertex by vertex.
        corner_vertex: (C,) skinned vertex of each render vertex.
        corner_color: (C, 3) sRGB colour of each render vertex.
        corner_uv: (C, 2) texture coordinates (zeros without an albedo).
        draw_faces: (F, 3) triangles over render vertices.
        albedo: the texture, if any.
        has_pose_correctives: whether any pose-corrective direction is non-zero (otherwise the
            skinning shader is built without them).
        center: (3,) centre of the bounding box of the head (the template without the lower
            neck, i.e. without vertices bound mostly to the root joint), metres.
        radius: half the largest extent of that bounding box, metres.
    """

    template: np.ndarray
    deltas: np.ndarray
    weights: np.ndarray
    joint_template: np.ndarray
    joint_shape_dirs: np.ndarray
    joint_exp_dirs: np.ndarray
    parents: np.ndarray
    faces: np.ndarray
    ring_start: np.ndarray
    ring_faces: np.ndarray
    corner_vertex: np.ndarray
    corner_color: np.ndarray
    corner_uv: np.ndarray
    draw_faces: np.ndarray
    albedo: Albedo | None
    has_pose_correctives: bool
    center: np.ndarray
    radius: float

    @property
    def n_vertices(self) -> int:
        return len(self.template)

    def joint_rest(self, shape: np.ndarray) -> np.ndarray:
        """(5, 3) joints for identity ``shape`` (100,) at zero expression."""
        return self.joint_template + self.joint_shape_dirs @ shape.astype(np.float64)


def _rings(n_vertices: int, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR lists of the faces around each vertex."""
    owners = faces.reshape(-1)
    face_ids = np.repeat(np.arange(len(faces)), 3)
    order = np.argsort(owners, kind="stable")
    counts = np.bincount(owners, minlength=n_vertices)
    start = np.concatenate([[0], np.cumsum(counts)])
    return start.astype(np.int32), face_ids[order].astype(np.int32)


def _corners(
    model: FlameModel, colors: np.ndarray, albedo: Albedo | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if albedo is None:
        corner_vertex = np.arange(model.n_vertices)
        return corner_vertex, colors, np.zeros((model.n_vertices, 2)), model.faces
    if albedo.uv_faces.shape != model.faces.shape:
        raise PosetalkError(
            f"UV faces have shape {albedo.uv_faces.shape}, the mesh has {model.faces.shape}"
        )
    pairs = np.stack([model.faces.reshape(-1), albedo.uv_faces.reshape(-1)], axis=1)
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    corner_vertex = unique[:, 0]
    return (
        corner_vertex,
        colors[corner_vertex],
        albedo.uv[unique[:, 1]],
        inverse.reshape(-1, 3),
    )


def head_geometry(
    model: FlameModel, colors: np.ndarray | None = None, albedo: Albedo | None = None
) -> HeadGeometry:
    """Prepare ``model`` for the GPU.

    Args:
        model: the head.
        colors: (V, 3) sRGB vertex colours; a uniform skin tone when omitted.
        albedo: optional texture with FLAME UVs (then the texture gives the colour).
    """
    if colors is None:
        colors = np.tile(np.asarray(DEFAULT_SKIN), (model.n_vertices, 1))
    deltas = np.concatenate([model.shapedirs, model.exprdirs, model.posedirs], axis=2)
    regressor = model.j_regressor
    start, ring = _rings(model.n_vertices, model.faces)
    corner_vertex, corner_color, corner_uv, draw_faces = _corners(model, colors, albedo)
    head = model.v_template[model.lbs_weights[:, 0] < 0.5]
    head = head if len(head) else model.v_template
    low, high = head.min(axis=0), head.max(axis=0)
    f32 = np.float32
    return HeadGeometry(
        template=model.v_template.astype(f32),
        deltas=np.ascontiguousarray(deltas.transpose(0, 2, 1)).astype(f32),
        weights=model.lbs_weights.astype(f32),
        joint_template=regressor @ model.v_template,
        joint_shape_dirs=np.einsum("jv,vck->jck", regressor, model.shapedirs),
        joint_exp_dirs=np.einsum("jv,vck->jkc", regressor, model.exprdirs).astype(f32),
        parents=model.parents.astype(np.int32),
        faces=model.faces.astype(np.int32),
        ring_start=start,
        ring_faces=ring,
        corner_vertex=corner_vertex.astype(np.int32),
        corner_color=np.asarray(corner_color, dtype=f32),
        corner_uv=np.asarray(corner_uv, dtype=f32),
        draw_faces=draw_faces.astype(np.int32),
        albedo=albedo,
        has_pose_correctives=bool(np.any(model.posedirs)),
        center=(low + high) / 2.0,
        radius=float((high - low).max() / 2.0),
    )

