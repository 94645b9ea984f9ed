"""The head mesh that viewers draw: its rest geometry and rig over HTTP, posed vertices per frame."""

from __future__ import annotations

import json
from functools import cached_property

import numpy as np

from posetalk.rig.flame import FlameModel, flame_vertices
from posetalk.server.head_gltf import head_glb
from posetalk.stream.frame import Frame

GLB_MEDIA_TYPE = "model/gltf-binary"  # IANA, named by the glTF 2.0 specification


class HeadMesh:
    """A FLAME-layout head for the ``vertices`` channel, ``GET /mesh.json`` and ``GET /mesh.glb``."""

    def __init__(self, model: FlameModel, name: str, colors: np.ndarray | None = None) -> None:
        """``colors``: optional (V, 3) sRGB vertex colours in [0, 1]."""
        self.model = model
        self.name = name
        self.colors = colors

    @property
    def n_vertices(self) -> int:
        return self.model.n_vertices

    @cached_property
    def json_bytes(self) -> bytes:
        """``{"name", "vertices": [x, y, z, ...] (metres, rest pose), "faces": [i, j, k, ...],
        "colors": [r, g, b, ...] or null}``."""
        body = {
            "name": self.name,
            "vertices": np.round(self.model.v_template.ravel(), 6).tolist(),
            "faces": self.model.faces.ravel().tolist(),
            "colors": None if self.colors is None else np.round(self.colors.ravel(), 3).tolist(),
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @cached_property
    def glb_bytes(self) -> bytes:
        """The rig as binary glTF: morph targets and skin for posing on the GPU (:mod:`posetalk.server.head_gltf`)."""
        return head_glb(self.model, self.name, self.colors)

    def vertices(self, frame: Frame) -> np.ndarray:
        """(V, 3) float32 posed vertices of ``frame``, metres."""
        posed = flame_vertices(self.model, frame.shape[None], frame.exp[None], frame.pose[None])
        return posed[0].astype(np.float32)
