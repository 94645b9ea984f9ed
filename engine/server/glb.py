"""Binary glTF 2.0 (GLB) files built from numpy arrays: one JSON chunk and one BIN chunk.

Follows the Khronos glTF 2.0 Specification: accessors and their data types ("Accessors"), sparse
accessors without a base buffer view, which read as zeros except at their indices ("Sparse
Accessors"), 4-byte alignment of every buffer view ("Data Alignment"), ``min``/``max`` bounds
("Accessors Bounds"), matrices stored column-major, and the container ("GLB File Format
Specification"): a 12-byte header (magic ``glTF``, version 2, total length) and chunks of
``u32 length, u32 type, data``, the JSON padded with spaces and the BIN chunk with zeros.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
_COMPONENT_TYPES = {
    np.dtype(np.uint8): 5121,
    np.dtype(np.uint16): 5123,
    np.dtype(np.uint32): 5125,
    np.dtype(np.float32): 5126,
}
_ELEMENT_TYPES = {(): "SCALAR", (2,): "VEC2", (3,): "VEC3", (4,): "VEC4", (4, 4): "MAT4"}
_HEADER = struct.Struct("<4sII")
_CHUNK = struct.Struct("<I4s")


class GlbWriter:
    """Collects arrays as buffer views and accessors of one buffer, then writes the asset."""

    def __init__(self) -> None:
        self.buffer_views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []
        self._blobs: list[bytes] = []
        self._length = 0

    def accessor(self, data: np.ndarray, target: int | None = None, bounds: bool = False) -> int:
        """Add ``data`` as an accessor; return its index.

        Args:
            data: (N,) scalars, (N, C) vectors with C in 2..4, or (N, 4, 4) matrices (written
                column-major), of uint8, uint16, uint32 or float32.
            target: ``ARRAY_BUFFER`` for vertex attributes, ``ELEMENT_ARRAY_BUFFER`` for indices.
            bounds: give the per-component ``min`` and ``max`` (required for positions).
        """
        stored = np.swapaxes(data, 1, 2) if data.ndim == 3 else data
        accessor: dict[str, Any] = {
            "bufferView": self._view(stored, target),
            "componentType": _COMPONENT_TYPES[data.dtype],
            "count": len(data),
            "type": _ELEMENT_TYPES[data.shape[1:]],
        }
        if bounds:
            accessor.update(_bounds(data))
        return self._add(accessor)

    def sparse_accessor(self, dense: np.ndarray, threshold: float) -> int:
        """Add (N, C) float32 ``dense`` as a sparse accessor over zeros; return its index.

        Only the rows whose largest absolute component exceeds ``threshold`` are stored; the
        others read as zeros (the accessor has no base buffer view)."""
        rows = np.flatnonzero(np.abs(dense).max(axis=1) > threshold)
        kept = np.zeros_like(dense)
        kept[rows] = dense[rows]
        accessor: dict[str, Any] = {
            "componentType": _COMPONENT_TYPES[dense.dtype],
            "count": len(dense),
            "type": _ELEMENT_TYPES[dense.shape[1:]],
            **_bounds(kept),
        }
        if len(rows):
            accessor["sparse"] = {
                "count": len(rows),
                "indices": {"bufferView": self._view(rows.astype(np.uint32), None), "componentType": 5125},
                "values": {"bufferView": self._view(dense[rows], None)},
            }
        return self._add(accessor)

    def glb(self, document: dict[str, Any]) -> bytes:
        """The GLB file of ``document``: glTF JSON that refers to this writer's accessors (its own
        ``buffers``, ``bufferViews`` and ``accessors`` are filled in here)."""
        gltf = {
            **document,
            "buffers": [{"byteLength": self._length}],
            "bufferViews": self.buffer_views,
            "accessors": self.accessors,
        }
        text = json.dumps(gltf, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 4)
        binary = b"".join(self._blobs)
        total = _HEADER.size + 2 * _CHUNK.size + len(text) + len(binary)
        return b"".join(
            [
                _HEADER.pack(b"glTF", 2, total),
                _CHUNK.pack(len(text), b"JSON"),
                text,
                _CHUNK.pack(len(binary), b"BIN\0"),
                binary,
            ]
        )

    def _view(self, data: np.ndarray, target: int | None) -> int:
        """Append ``data`` (little-endian, padded to 4 bytes) as a buffer view; return its index."""
        blob = np.ascontiguousarray(data, dtype=data.dtype.newbyteorder("<")).tobytes()
        view: dict[str, Any] = {"buffer": 0, "byteOffset": self._length, "byteLength": len(blob)}
        if target is not None:
            view["target"] = target
        blob += b"\0" * (-len(blob) % 4)
        self._blobs.append(blob)
        self._length += len(blob)
        self.buffer_views.append(view)
        return len(self.buffer_views) - 1

    def _add(self, accessor: dict[str, Any]) -> int:
        self.accessors.append(accessor)
        return len(self.accessors) - 1


def _bounds(data: np.ndarray) -> dict[str, list[float]]:
    flat = data.reshape(len(data), -1)
    return {"min": flat.min(axis=0).tolist(), "max": flat.max(axis=0).tolist()}
