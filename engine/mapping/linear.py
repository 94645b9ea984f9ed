"""The linear map from FLAME coefficients to ARKit blend-shape weights, and its file format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posetalk.errors import UNREADABLE_ARRAY_FILE, PosetalkError
from posetalk.files import atomic_write
from posetalk.mapping.names import ARKIT_INDEX, ARKIT_NAMES

N_EXP = 50
# Jaw pitch (radians) at which jawOpen reaches 1; FLAME's jaw opens with positive rotation about x.
JAW_OPEN_FULL_RAD = 0.35
# Jaw yaw (radians) at which jawLeft / jawRight reach 1.
JAW_SIDE_FULL_RAD = 0.15


@dataclass(frozen=True, eq=False)
class ArkitMap:
    """ARKit weights as a clipped linear function of the expression and the jaw pose.

    ``weights = clip(matrix @ exp + jaw terms, 0, 1)``, the jaw terms adding jaw pitch / 0.35 rad
    to ``jawOpen`` and ±jaw yaw / 0.15 rad to ``jawLeft`` / ``jawRight``.

    Attributes:
        matrix: (52, 50) float32, rows in :data:`ARKIT_NAMES` order.
        source: what the map was fitted from (a file name or "built-in head").
    """

    matrix: np.ndarray
    source: str = ""

    def apply(self, exp: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """(50,) expression and (6,) pose → (52,) float32 ARKit weights in [0, 1]."""
        weights = self.matrix @ np.asarray(exp, dtype=np.float32)
        weights[ARKIT_INDEX["jawOpen"]] += pose[3] / JAW_OPEN_FULL_RAD
        weights[ARKIT_INDEX["jawLeft"]] += pose[4] / JAW_SIDE_FULL_RAD
        weights[ARKIT_INDEX["jawRight"]] -= pose[4] / JAW_SIDE_FULL_RAD
        return np.clip(weights, 0.0, 1.0).astype(np.float32)

    def save(self, path: str | Path) -> None:
        """Write ``matrix``, the row names and the source to an ``.npz`` at ``path`` (no pickled
        objects), atomically."""
        with atomic_write(path) as stream:
            np.savez(
                stream,
                matrix=self.matrix.astype(np.float32),
                names=np.array(ARKIT_NAMES),
                source=np.array(self.source),
            )

    @classmethod
    def load(cls, path: str | Path) -> ArkitMap:
        """Read a map written by :meth:`save`; raise :class:`PosetalkError` if it is not one."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                matrix, names, source = data["matrix"], data["names"], str(data["source"])
        except (*UNREADABLE_ARRAY_FILE, KeyError) as error:
            raise PosetalkError(f"{path}: not a posetalk ARKit map ({error})") from None
        if matrix.shape != (len(ARKIT_NAMES), N_EXP) or tuple(names) != ARKIT_NAMES:
            raise PosetalkError(f"{path}: ARKit map must be (52, 50) with the ARKit names in order")
        return cls(matrix=matrix.astype(np.float32), source=source)
