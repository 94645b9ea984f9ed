"""Where each vertex of the built-in head belongs, for the rig and its blend shapes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk.rig.head.skin import Skin


@dataclass(frozen=True, eq=False)
class Labels:
    """Attributes:
    skin: the skin surface (its vertices come first in the head).
    part: (V,) index into ``part_names`` of every vertex of the head.
    part_names: names of the parts, in order ("skin", "left_eye", ...).
    """

    skin: Skin
    part: np.ndarray
    part_names: list[str]

    def is_part(self, name: str) -> np.ndarray:
        """(V,) bool mask of the vertices of one part."""
        return self.part == self.part_names.index(name)
