"""The iFacialMocap sender: one UTF-8 text datagram per frame over UDP, port 49983 by default.

The format is iFacialMocap's published one (www.ifacialmocap.com/for-developer/, "iFacialMocap
communication specifications"): every blend shape as ``name-value|`` with the value an integer
0-100, then ``=head#rx,ry,rz,tx,ty,tz|rightEye#rx,ry,rz|leftEye#rx,ry,rz|``, angles in degrees.
Names are ARKit's with the side as a suffix (``eyeBlinkLeft`` -> ``eyeBlink_L``); the shapes whose
Left/Right is a direction of motion keep their names (``jawLeft``, ``mouthRight``), as in the
specification's sample frame. Receivers split at the one ``=``, then at ``|``, a blend shape at
its ``-`` and a rotation at ``#`` and ``,`` (VMagicMirror, malaybaku/VMagicMirror
``iFacialMocapReceiver.cs``; pkhungurn/talking-head-anime-3-demo ``tha3/mocap/ifacialmocap_v2.py``).
Version ``v2`` puts ``&`` between name and value instead, what a receiver gets when it asks the app
for ``sendDataVersion=v2`` (VRCFaceTracking's module, kusomaigo/VRC_iFacialMocap
``src/iFacialMocapServer.cs``, reads only that); everything else is the same.

Sides and axes are ARKit's face-anchor frame, which is FLAME's: x the face's own left, y up, z out
of the face. ``_L`` is the face's own left, as ARKit's "Left" (``ARKIT_NAMES``). Rotations are
Euler angles composed R = R_y(ry) · R_x(rx) · R_z(rz) (Unity's ``Quaternion.Euler`` order, which
VMagicMirror applies them with): rx > 0 looks down, ry > 0 turns toward the face's own left,
rz > 0 lifts the face's left side (tilts toward its right shoulder). The signs are those of the
specification's sample frame, whose eyes look down (rx +6°) and in, the right eye toward the
face's left (ry +2.4°) and the left eye toward its right (ry −1.7°). The head position (metres
in iFacialMocap) is sent as 0, 0, 0: FLAME frames carry no translation.

The model makes no eye rotation: the eyes' angles come from the ARKit look weights (the
procedural gaze), a full weight being :data:`EYE_YAW_DEG` sideways and :data:`EYE_PITCH_DEG` up or
down, about the ratio of angle to weight in the specification's sample (6.0° for eyeLookDown 17,
1.7-2.4° for eyeLookIn 4-6).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from posetalk.bridges.feed import MappedFrame
from posetalk.bridges.udp import check_target, resolve_target
from posetalk.mapping import ARKIT_NAMES
from posetalk.mapping.names import ARKIT_INDEX

log = logging.getLogger(__name__)

IFACIALMOCAP_PORT = 49983
EYE_YAW_DEG = 40.0
EYE_PITCH_DEG = 35.0

Version = Literal["v1", "v2"]
SEPARATORS: dict[Version, str] = {"v1": "-", "v2": "&"}

_DIRECTIONS = ("jaw", "mouth")  # jawLeft, mouthRight: Left/Right is where they move, not a side


def blend_shape_name(arkit_name: str) -> str:
    """iFacialMocap's name of an ARKit blend shape: ``eyeBlinkLeft`` -> ``eyeBlink_L``."""
    for side, suffix in (("Left", "_L"), ("Right", "_R")):
        stem = arkit_name.removesuffix(side)
        if stem != arkit_name and stem not in _DIRECTIONS:
            return stem + suffix
    return arkit_name


# Receivers look the names up, so the order is free: tongueOut (FLAME has no tongue) goes first,
# as VRCFaceTracking's iFacialMocap module skips every datagram's first field.
SEND_ORDER: tuple[int, ...] = (ARKIT_INDEX["tongueOut"], *(i for i, n in enumerate(ARKIT_NAMES) if n != "tongueOut"))
IFACIALMOCAP_NAMES: tuple[str, ...] = tuple(blend_shape_name(ARKIT_NAMES[i]) for i in SEND_ORDER)


@dataclass(frozen=True)
class IFacialMocapConfig:
    """Attributes:
    host, port: the receiver (iFacialMocap receivers listen on 49983).
    version: ``v1`` (``name-value``, the published format) or ``v2`` (``name&value``).
    """

    host: str = "127.0.0.1"
    port: int = IFACIALMOCAP_PORT
    version: Version = "v1"

    def __post_init__(self) -> None:
        """Raises:
            PosetalkError: an empty host or a port outside 1-65535.
        """
        check_target(self.host, self.port, "iFacialMocap")


def eye_rotations(arkit: np.ndarray) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """The right and the left eye's (rx, ry, rz) in degrees, from the look weights.

    Args:
        arkit: (52,) ARKit weights in [0, 1], ``ARKIT_NAMES`` order.
    Returns:
        right, left: rx > 0 looks down, ry > 0 toward the face's own left (the right eye's "in",
        the left eye's "out"), rz 0.
    """

    def weight(name: str) -> float:
        return float(arkit[ARKIT_INDEX[name]])

    def pitch(side: str) -> float:
        return (weight(f"eyeLookDown{side}") - weight(f"eyeLookUp{side}")) * EYE_PITCH_DEG

    right_yaw = (weight("eyeLookInRight") - weight("eyeLookOutRight")) * EYE_YAW_DEG
    left_yaw = (weight("eyeLookOutLeft") - weight("eyeLookInLeft")) * EYE_YAW_DEG
    return (pitch("Right"), right_yaw, 0.0), (pitch("Left"), left_yaw, 0.0)


def _numbers(*values: float) -> str:
    return ",".join(f"{value + 0.0:.4f}" for value in values)  # + 0.0: no "-0.0000"


def frame_text(mapped: MappedFrame, version: Version = "v1") -> str:
    """The datagram text of one frame (see the module docstring)."""
    outputs = mapped.outputs
    separator = SEPARATORS[version]
    weights = np.clip(np.rint(outputs.arkit[list(SEND_ORDER)] * 100), 0, 100).astype(int)
    shapes = "".join(f"{name}{separator}{weight}|" for name, weight in zip(IFACIALMOCAP_NAMES, weights))
    right, left = eye_rotations(outputs.arkit)
    pitch, yaw, roll = (float(v) for v in outputs.euler)
    return (f"{shapes}=head#{_numbers(pitch, yaw, roll, 0.0, 0.0, 0.0)}"
            f"|rightEye#{_numbers(*right)}|leftEye#{_numbers(*left)}|")


class IFacialMocapSender:
    """Sends mapped frames to an iFacialMocap receiver, one datagram each, as they come.

    :meth:`send` suits a caller that has the frames one by one (``live``, ``serve``); :meth:`run`
    drains an iterator (``posetalk bridge ifacialmocap``). The receiver needs no handshake: UDP
    datagrams go out whether or not anything listens.
    """

    def __init__(self, config: IFacialMocapConfig) -> None:
        """Raises:
            PosetalkError: the host is not a host name, or does not resolve.
        """
        self.config = config
        family, self.address = resolve_target(config.host, config.port, "iFacialMocap")
        self._socket = socket.socket(family, socket.SOCK_DGRAM)
        self.sent = 0
        self._failures: set[int | None] = set()

    def send(self, mapped: MappedFrame) -> None:
        """Send one frame. A send the network refuses (no route, say) is logged once per cause and
        skipped: the receiver may come back, and the stream must not stop for it."""
        try:
            self._socket.sendto(frame_text(mapped, self.config.version).encode(), self.address)
        except OSError as error:
            if error.errno not in self._failures:
                self._failures.add(error.errno)
                log.warning("cannot send to the iFacialMocap receiver %s:%d (%s); the stream goes on",
                            self.config.host, self.config.port, error.strerror or error)
            return
        self.sent += 1

    def close(self) -> None:
        self._socket.close()

    async def run(self, frames: AsyncIterator[MappedFrame]) -> None:
        """Send every frame until the iterator ends, then close the socket."""
        try:
            async for mapped in frames:
                self.send(mapped)
        finally:
            self.close()
