"""The FLAME head model: its arrays, reading and writing them, and posing it.

FLAME (Li et al., SIGGRAPH Asia 2017) has 5 joints (global, neck, jaw, left eye, right eye).
posetalk drives it with 100 identity-shape components, 50 expression components and a (6,) pose
(global axis-angle, jaw axis-angle); neck and eye rotations stay at zero.

Files: the published pickles (read by :mod:`posetalk.rig.pickle_compat`) or the plain ``.npz`` that
``posetalk flame convert`` writes (only the arrays used here, no pickle).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse

from posetalk.errors import UNREADABLE_ARRAY_FILE, PosetalkError
from posetalk.files import atomic_write
from posetalk.rig.lbs import lbs
from posetalk.rig.pickle_compat import load_flame_pickle

N_SHAPE = 100
N_EXP = 50
N_JOINTS = 5
JAW_JOINT = 2
JOINT_NAMES = ("global", "neck", "jaw", "left_eye", "right_eye")
POSE_JOINTS = (0, JAW_JOINT)  # the joints the (6,) pose rotates, three axis-angle values each
# Expression components follow the 300 shape components in the published shapedirs.
EXP_OFFSET = 300


@dataclass(frozen=True, eq=False)
class FlameModel:
    """The arrays of a FLAME-layout head (float64, metres).

    Attributes:
        v_template: (V, 3) rest template, y up, face looking +z.
        shapedirs: (V, 3, 100) identity-shape directions.
        exprdirs: (V, 3, 50) expression directions.
        posedirs: (V, 3, 36) pose-corrective directions (9 entries of R - I per non-root joint).
        j_regressor: (5, V) joint regressor.
        parents: (5,) parent of each joint, -1 for the root.
        lbs_weights: (V, 5) skinning weights.
        faces: (F, 3) int32 triangles, counter-clockwise seen from outside.
    """

    v_template: np.ndarray
    shapedirs: np.ndarray
    exprdirs: np.ndarray
    posedirs: np.ndarray
    j_regressor: np.ndarray
    parents: np.ndarray
    lbs_weights: np.ndarray
    faces: np.ndarray

    @property
    def n_vertices(self) -> int:
        return self.v_template.shape[0]

    def validate(self, source: str) -> None:
        """Raise :class:`PosetalkError` naming ``source`` if any array has the wrong shape."""
        n_vertices = self.n_vertices
        expected = {
            "v_template": (n_vertices, 3),
            "shapedirs": (n_vertices, 3, N_SHAPE),
            "exprdirs": (n_vertices, 3, N_EXP),
            "posedirs": (n_vertices, 3, (N_JOINTS - 1) * 9),
            "j_regressor": (N_JOINTS, n_vertices),
            "parents": (N_JOINTS,),
            "lbs_weights": (n_vertices, N_JOINTS),
        }
        for name, shape in expected.items():
            actual = getattr(self, name).shape
            if actual != shape:
                raise PosetalkError(f"{source}: {name} has shape {actual}, expected {shape}")
        if self.faces.ndim != 2 or self.faces.shape[1] != 3:
            raise PosetalkError(f"{source}: faces has shape {self.faces.shape}, expected (F, 3)")
        if self.faces.size and (self.faces.min() < 0 or self.faces.max() >= n_vertices):
            raise PosetalkError(f"{source}: faces index vertices outside 0..{n_vertices - 1}")
        if self.parents[0] != -1 or np.any(self.parents[1:] >= np.arange(1, N_JOINTS)):
            raise PosetalkError(f"{source}: kinematic tree must list parents before children")


def _from_published(data: dict[str, object], source: str) -> FlameModel:
    """Build a model from the dict of a published pickle (300 shape + 100 expression dirs)."""
    required = ("v_template", "shapedirs", "posedirs", "J_regressor", "kintree_table", "weights", "f")
    missing = [key for key in required if key not in data]
    if missing:
        raise PosetalkError(f"{source}: not a FLAME model, missing {', '.join(missing)}")
    shapedirs = np.asarray(data["shapedirs"], dtype=np.float64)
    if shapedirs.ndim != 3 or shapedirs.shape[2] < EXP_OFFSET + N_EXP:
        raise PosetalkError(
            f"{source}: shapedirs has shape {shapedirs.shape}, expected (V, 3, >= {EXP_OFFSET + N_EXP})"
        )
    regressor = data["J_regressor"]
    if scipy.sparse.issparse(regressor):
        regressor = regressor.toarray()
    kintree = np.asarray(data["kintree_table"]).astype(np.int64)
    parents = kintree[0].copy()
    parents[0] = -1  # published files store the root's parent as 2**32 - 1
    return FlameModel(
        v_template=np.asarray(data["v_template"], dtype=np.float64),
        shapedirs=shapedirs[:, :, :N_SHAPE].copy(),
        exprdirs=shapedirs[:, :, EXP_OFFSET : EXP_OFFSET + N_EXP].copy(),
        posedirs=np.asarray(data["posedirs"], dtype=np.float64),
        j_regressor=np.asarray(regressor, dtype=np.float64),
        parents=parents,
        lbs_weights=np.asarray(data["weights"], dtype=np.float64),
        faces=np.asarray(data["f"]).astype(np.int32),
    )


def load_flame(path: str | Path) -> FlameModel:
    """Read a FLAME model from a published pickle or a ``posetalk flame convert`` ``.npz``."""
    path = Path(path)
    if not path.is_file():
        raise PosetalkError(f"{path}: FLAME file not found")
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as arrays:
                fields = {name: arrays[name] for name in FlameModel.__dataclass_fields__}
        except KeyError as error:
            raise PosetalkError(f"{path}: not a posetalk FLAME .npz, missing {error}") from None
        except UNREADABLE_ARRAY_FILE as error:
            raise PosetalkError(f"{path}: not a readable .npz ({error})") from None
        model = FlameModel(**fields)
    else:
        model = _from_published(load_flame_pickle(path), str(path))
    model.validate(str(path))
    return model


def save_flame_npz(model: FlameModel, path: str | Path) -> None:
    """Write the arrays of ``model`` to a plain ``.npz`` at ``path`` (no pickled objects), atomically."""
    with atomic_write(path) as stream:
        np.savez(stream, **{name: getattr(model, name) for name in FlameModel.__dataclass_fields__})


def full_pose(pose: np.ndarray) -> np.ndarray:
    """(B, 6) global + jaw axis-angle -> (B, 5, 3) per-joint axis-angle, neck and eyes at zero."""
    pose = np.asarray(pose, dtype=np.float64)
    joints = np.zeros((pose.shape[0], N_JOINTS, 3))
    for k, joint in enumerate(POSE_JOINTS):
        joints[:, joint] = pose[:, 3 * k : 3 * k + 3]
    return joints


def flame_vertices(
    model: FlameModel, shape: np.ndarray, exp: np.ndarray, pose: np.ndarray
) -> np.ndarray:
    """Posed FLAME vertices.

    Args:
        model: the head.
        shape: (B, 100) identity coefficients β.
        exp: (B, 50) expression coefficients ψ.
        pose: (B, 6) global axis-angle then jaw axis-angle, radians.
    Returns:
        (B, V, 3) float64 vertices, metres.
    """
    coeffs = np.concatenate([shape, exp], axis=1).astype(np.float64)
    dirs = np.concatenate([model.shapedirs, model.exprdirs], axis=2)
    vertices, _ = lbs(
        coeffs,
        full_pose(pose),
        model.v_template,
        dirs,
        model.posedirs,
        model.j_regressor,
        model.parents,
        model.lbs_weights,
    )
    return vertices
