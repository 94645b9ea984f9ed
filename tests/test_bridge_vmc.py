"""The VMC bridge against a UDP receiver that decodes with python-osc."""

from __future__ import annotations

import asyncio
import socket

import numpy as np
import pytest
from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_message import OscMessage

from posetalk.bridges import mapped_frames
from posetalk.bridges.vmc import VmcBridge, VmcConfig
from posetalk.mapping import ARKIT_NAMES, EyeMotion, FaceMapper, fit_arkit_map
from posetalk.mapping.names import VRM0_NAMES
from posetalk.server import PlaybackSource
from tests.stream_support import coefficients, synthetic_head


def receive_bundles(names: str, n_frames: int) -> list[list[OscMessage]]:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    port = receiver.getsockname()[1]
    source = PlaybackSource(coefficients(n_frames), "params")
    frames = mapped_frames(source, FaceMapper(fit_arkit_map(synthetic_head(), "test"), EyeMotion(seed=2)))
    asyncio.run(VmcBridge(VmcConfig(port=port, names=names)).run(frames))  # type: ignore[arg-type]
    bundles = []
    for _ in range(n_frames):
        datagram = receiver.recv(65536)
        assert OscBundle.dgram_is_bundle(datagram)
        bundles.append([content for content in OscBundle(datagram)])
    receiver.close()
    return bundles


def test_vrm0_blend_shapes_then_apply_then_head_bone_in_one_bundle_per_frame() -> None:
    bundles = receive_bundles("vrm0", 20)
    for messages in bundles:
        addresses = [m.address for m in messages]
        assert addresses[:2] == ["/VMC/Ext/OK", "/VMC/Ext/T"]
        values = [m for m in messages if m.address == "/VMC/Ext/Blend/Val"]
        assert {m.params[0] for m in values} == set(VRM0_NAMES.values())
        assert all(0 <= m.params[1] <= 1 for m in values)
        apply_at = addresses.index("/VMC/Ext/Blend/Apply")
        assert max(i for i, a in enumerate(addresses) if a == "/VMC/Ext/Blend/Val") < apply_at
        (head,) = [m for m in messages if m.address == "/VMC/Ext/Bone/Pos"]
        assert head.params[0] == "Head" and len(head.params) == 8
        assert np.linalg.norm(head.params[4:]) == pytest.approx(1, abs=1e-5)
    times = [messages[1].params[0] for messages in bundles]
    assert times == sorted(times)
    # The head turns in this clip, so the bone rotation changes from frame to frame.
    assert len({tuple(np.round([m for m in b if m.address == "/VMC/Ext/Bone/Pos"][0].params[4:], 5)) for b in bundles}) > 5


@pytest.mark.parametrize(("names", "first"), [("arkit", "eyeBlinkLeft"), ("arkit-capitalized", "EyeBlinkLeft")])
def test_arkit_perfect_sync_names(names: str, first: str) -> None:
    (messages,) = receive_bundles(names, 1)
    sent = [m.params[0] for m in messages if m.address == "/VMC/Ext/Blend/Val"]
    assert len(sent) == len(ARKIT_NAMES) and sent[0] == first


def test_bridge_command_sends_a_params_clip(tmp_path) -> None:
    import subprocess
    import sys

    from posetalk.pipeline.coefficients_file import save_coefficients
    from tests.stream_support import FLAME_FIXTURE

    clip = coefficients(25)
    save_coefficients(tmp_path / "clip.npz", clip.exp, clip.pose, clip.shape, 25)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(30)
    result = subprocess.run(
        [sys.executable, "-m", "posetalk", "bridge", "vmc", "--params", str(tmp_path / "clip.npz"),
         "--flame", str(FLAME_FIXTURE), "--vmc-port", str(receiver.getsockname()[1]), "--names", "arkit"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    bundles = [OscBundle(receiver.recv(65536)) for _ in range(25)]
    receiver.close()
    assert all(any(m.address == "/VMC/Ext/Blend/Apply" for m in bundle) for bundle in bundles)
