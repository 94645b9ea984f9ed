"""The VMC bridge: OSC over UDP to a VMC Marionette (protocol.vmc.info, the Marionette spec).

Each frame goes out as one OSC bundle: ``/VMC/Ext/OK 1``, ``/VMC/Ext/T`` (seconds since the
bridge started), one ``/VMC/Ext/Blend/Val (name, value)`` per expression, then
``/VMC/Ext/Blend/Apply`` (values take effect on Apply), and the head bone
``/VMC/Ext/Bone/Pos ("Head", p.x, p.y, p.z, q.x, q.y, q.z, q.w)``. Names are VRM 0.x blend-shape
clip names by default (the spec notes they are case-sensitive), or the ARKit names for
"perfect sync" avatars. Unity's frame: FLAME's head rotation is mirrored across z, as VRM 0.x
avatars face −Z, giving q = (−qx, −qy, qz, qw); the head position is sent as (0, 0, 0) (receivers
keep a bone's rest offset for rotations-only sources).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import UDPClient

from posetalk.bridges.feed import MappedFrame
from posetalk.bridges.udp import check_target, resolve_target
from posetalk.mapping import ARKIT_NAMES, VRM_NAMES
from posetalk.mapping.names import VRM0_NAMES

BlendNames = Literal["vrm0", "arkit", "arkit-capitalized"]


@dataclass(frozen=True)
class VmcConfig:
    """Attributes:
    host, port: the Marionette (VMC receivers listen on 39539 by default).
    names: ``vrm0`` (A, I, U, E, O, Blink, Joy, …), ``arkit`` (eyeBlinkLeft, …) or
        ``arkit-capitalized`` (EyeBlinkLeft, …), as the avatar's clips are named.
    """

    host: str = "127.0.0.1"
    port: int = 39539
    names: BlendNames = "vrm0"

    def __post_init__(self) -> None:
        """Raises:
            PosetalkError: an empty host or a port outside 1-65535.
        """
        check_target(self.host, self.port, "VMC")

    def address(self) -> tuple[str, int]:
        """The receiver's resolved (IP, port).

        Raises:
            PosetalkError: the host is not a host name, or does not resolve.
        """
        return resolve_target(self.host, self.port, "VMC")[1]


def _message(address: str, *args: str | float | int) -> OscMessageBuilder:
    builder = OscMessageBuilder(address=address)
    for arg in args:
        builder.add_arg(arg)
    return builder


def blend_values(mapped: MappedFrame, names: BlendNames) -> list[tuple[str, float]]:
    """(clip name, weight) pairs of one frame."""
    outputs = mapped.outputs
    if names == "vrm0":
        return [(VRM0_NAMES[name], float(v)) for name, v in zip(VRM_NAMES, outputs.vrm)]
    capitalize = names == "arkit-capitalized"
    return [(name[0].upper() + name[1:] if capitalize else name, float(v)) for name, v in zip(ARKIT_NAMES, outputs.arkit)]


def frame_bundle(mapped: MappedFrame, names: BlendNames, elapsed_s: float) -> OscBundle:
    """The OSC bundle of one frame (see the module docstring)."""
    bundle = OscBundleBuilder(IMMEDIATELY)
    bundle.add_content(_message("/VMC/Ext/OK", 1).build())
    bundle.add_content(_message("/VMC/Ext/T", float(elapsed_s)).build())
    for name, value in blend_values(mapped, names):
        bundle.add_content(_message("/VMC/Ext/Blend/Val", name, value).build())
    bundle.add_content(_message("/VMC/Ext/Blend/Apply").build())
    qx, qy, qz, qw = (float(v) for v in mapped.outputs.quaternion)
    bundle.add_content(_message("/VMC/Ext/Bone/Pos", "Head", 0.0, 0.0, 0.0, -qx, -qy, qz, qw).build())
    return bundle.build()


class VmcBridge:
    """Sends every mapped frame to a VMC receiver."""

    def __init__(self, config: VmcConfig) -> None:
        self.config = config
        self.sent = 0

    async def run(self, frames: AsyncIterator[MappedFrame]) -> None:
        client = UDPClient(*self.config.address())
        start = time.monotonic()
        async for mapped in frames:
            client.send(frame_bundle(mapped, self.config.names, time.monotonic() - start))
            self.sent += 1
