"""Decoding frames of protocol v1, JSON and binary."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

MAGIC = b"PTKF"
HEADER = struct.Struct("<4sHHIdd7I")
# After the counts, on frames that lie on a client's utterance (header_bytes >= 68): index, offset.
UTTERANCE_FIELDS = struct.Struct("<Id")
# The arrays of a binary frame, in order (protocol v1, "frame (binary format)").
BINARY_ORDER = ("exp", "pose", "shape", "arkit", "vrm", "head", "vertices")


@dataclass(frozen=True, eq=False)
class StreamFrame:
    """One received frame; channels not subscribed (and shape when unchanged) are None.

    Attributes:
        seq: frame number (+1 per frame; a gap means dropped frames).
        t: audio time, seconds.
        wall: Unix time the server published the frame, seconds.
        exp: (50,) FLAME expression.  pose: (6,) global then jaw axis-angle, radians.
        shape: (100,) identity, only when it changed.  arkit: (52,) weights.  vrm: (18,) weights.
        head: (7,) qx, qy, qz, qw, pitch, yaw, roll (degrees).  vertices: (V, 3) metres.
        utterance: index of the client utterance (``--source network``) whose audio the frame's
            time ``t`` lies on, as in the ``audio_start`` ack; None outside every utterance.
        utterance_offset: seconds of that utterance's audio before ``t``. Play the utterance's
            sample at this offset when showing the frame; for an utterance that arrived in time,
            ``t - utterance_offset`` is the ack's ``start``.
    """

    seq: int
    t: float
    wall: float
    exp: np.ndarray | None = None
    pose: np.ndarray | None = None
    shape: np.ndarray | None = None
    arkit: np.ndarray | None = None
    vrm: np.ndarray | None = None
    head: np.ndarray | None = None
    vertices: np.ndarray | None = None
    utterance: int | None = None
    utterance_offset: float | None = None


def decode_binary(data: bytes) -> StreamFrame:
    """Decode a binary frame; ValueError if ``data`` is not a valid v1 frame."""
    if len(data) < HEADER.size:
        raise ValueError("shorter than a binary frame header")
    magic, version, header_bytes, seq, t, wall, *counts = HEADER.unpack_from(data)
    if magic != MAGIC or version != 1:
        raise ValueError("not a protocol v1 binary frame")
    if len(data) != header_bytes + 4 * sum(counts):
        raise ValueError("frame length does not match its counts")
    values = np.frombuffer(data, dtype="<f4", offset=header_bytes)
    arrays: dict[str, Any] = {}
    start = 0
    for name, count in zip(BINARY_ORDER, counts):
        if count:
            arrays[name] = values[start : start + count]
        start += count
    if "vertices" in arrays:
        arrays["vertices"] = arrays["vertices"].reshape(-1, 3)
    if header_bytes >= HEADER.size + UTTERANCE_FIELDS.size:
        index, offset = UTTERANCE_FIELDS.unpack_from(data, HEADER.size)
        arrays["utterance"], arrays["utterance_offset"] = index, offset
    return StreamFrame(seq=seq, t=t, wall=wall, **arrays)


def _array(values: Any) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=np.float32)


def decode_json(message: dict[str, Any]) -> StreamFrame:
    """Decode a parsed JSON ``frame`` message."""
    flame = message.get("flame", {})
    head = message.get("head")
    vertices = _array(message.get("vertices"))
    utterance = message.get("utterance") or {}
    return StreamFrame(
        seq=message["seq"],
        t=message["t"],
        wall=message["wall"],
        exp=_array(flame.get("exp")),
        pose=_array(flame.get("pose")),
        shape=_array(flame.get("shape")),
        arkit=_array(message.get("arkit")),
        vrm=_array(message.get("vrm")),
        head=None if head is None else _array([*head["quat"], *head["euler"]]),
        vertices=None if vertices is None else vertices.reshape(-1, 3),
        utterance=utterance.get("index"),
        utterance_offset=utterance.get("offset"),
    )
