"""Frames on the wire: the JSON and the binary form of protocol v1 (docs/protocol.md, "Frames").

Binary frame: a 56-byte little-endian header, then float32 arrays in a fixed order, each present
only when its count is non-zero:

    offset size  field
    0      4     magic b"PTKF"
    4      2     u16 protocol version (1)
    6      2     u16 header size in bytes (56; arrays start here)
    8      4     u32 seq
    12     8     f64 audio time, seconds
    20     8     f64 wall time, Unix seconds
    28     28    u32 counts of: exp, pose, shape, arkit, vrm, head, vertices
    56     ...   float32 arrays in that order (head = qx, qy, qz, qw, pitch, yaw, roll)

A frame that lies on a client's utterance (network source) has a 68-byte header: after the counts,

    56     4     u32 utterance index (from 1)
    60     8     f64 offset into the utterance, seconds

and its arrays start at 68. Clients start the arrays at the header size, so v1 clients that know
nothing of utterances read these frames unchanged (docs/protocol.md, "Evolving the protocol").
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

import numpy as np

from posetalk.mapping import FaceOutputs
from posetalk.server.protocol import PROTOCOL_VERSION, Channel, Format
from posetalk.server.timeline import UtterancePosition
from posetalk.stream.frame import Frame

MAGIC = b"PTKF"
HEADER = struct.Struct("<4sHHIdd7I")
assert HEADER.size == 56
UTTERANCE_FIELDS = struct.Struct("<Id")
"""The header's utterance fields (index, offset), after the counts, on frames that lie on one."""
JSON_DECIMALS = 5


@dataclass(frozen=True)
class PayloadKey:
    """What one client receives: its channels, its format and whether this frame carries shape."""

    channels: tuple[Channel, ...]
    format: Format
    with_shape: bool


def _floats(array: np.ndarray) -> list[float]:
    return np.round(np.asarray(array, dtype=np.float64), JSON_DECIMALS).tolist()


@dataclass(eq=False)
class EncodedFrame:
    """One frame with its mapped outputs, encoded once per distinct :class:`PayloadKey`.

    Attributes:
        frame: the motion frame.
        outputs: ARKit / VRM / head outputs of the frame.
        vertices: (V, 3) float32 posed mesh vertices, or None when no client asked for them.
        shape_version: counts identity changes in the stream; a client receives ``shape`` until it
            has been sent a frame of the current version.
        utterance: the client utterance the frame lies on and its offset, None outside any.
    """

    frame: Frame
    outputs: FaceOutputs
    vertices: np.ndarray | None
    shape_version: int
    utterance: UtterancePosition | None = None
    _cache: dict[PayloadKey, bytes | str] = field(default_factory=dict)

    def payload(self, key: PayloadKey) -> bytes | str:
        if key not in self._cache:
            encode = self._binary if key.format == "binary" else self._json
            self._cache[key] = encode(key)
        return self._cache[key]

    def _arrays(self, key: PayloadKey) -> list[np.ndarray]:
        """The float32 arrays of ``key``'s channels in the binary order; empty when absent."""
        empty = np.zeros(0, dtype=np.float32)
        frame, outputs, wanted = self.frame, self.outputs, set(key.channels)
        flame = "flame" in wanted
        return [
            frame.exp if flame else empty,
            frame.pose if flame else empty,
            frame.shape if flame and key.with_shape else empty,
            outputs.arkit if "arkit" in wanted else empty,
            outputs.vrm if "vrm" in wanted else empty,
            np.concatenate([outputs.quaternion, outputs.euler]) if "head" in wanted else empty,
            self.vertices.ravel() if "vertices" in wanted and self.vertices is not None else empty,
        ]

    def _binary(self, key: PayloadKey) -> bytes:
        arrays = [np.ascontiguousarray(a, dtype="<f4") for a in self._arrays(key)]
        frame, utterance = self.frame, self.utterance
        extension = b"" if utterance is None else UTTERANCE_FIELDS.pack(utterance.index, utterance.offset)
        header = HEADER.pack(
            MAGIC, PROTOCOL_VERSION, HEADER.size + len(extension), frame.seq, frame.audio_time, frame.wall_time,
            *(a.size for a in arrays),
        )  # fmt: skip
        return b"".join([header, extension, *(a.tobytes() for a in arrays)])

    def _json(self, key: PayloadKey) -> str:
        frame, outputs = self.frame, self.outputs
        message: dict[str, object] = {
            "type": "frame",
            "seq": frame.seq,
            "t": round(frame.audio_time, 6),
            "wall": round(frame.wall_time, 6),
        }
        if self.utterance is not None:
            message["utterance"] = {"index": self.utterance.index, "offset": round(self.utterance.offset, 6)}
        for channel in key.channels:
            if channel == "flame":
                flame = {"exp": _floats(frame.exp), "pose": _floats(frame.pose)}
                if key.with_shape:
                    flame["shape"] = _floats(frame.shape)
                message["flame"] = flame
            elif channel == "arkit":
                message["arkit"] = _floats(outputs.arkit)
            elif channel == "vrm":
                message["vrm"] = _floats(outputs.vrm)
            elif channel == "head":
                message["head"] = {"quat": _floats(outputs.quaternion), "euler": _floats(outputs.euler)}
            elif channel == "vertices" and self.vertices is not None:
                message["vertices"] = _floats(self.vertices.ravel())
        return json.dumps(message, separators=(",", ":"))

