"""The iFacialMocap sender against a real UDP receiver that reads the datagrams with its own parser.

The parser here follows the published format (www.ifacialmocap.com/for-developer/), not the
sender's code: blend shapes ``name-value|`` up to the one ``=``, then ``name#numbers|`` fields.
The names expected are the 52 of the specification's sample frame.
"""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from posetalk.bridges import MappedFrame, mapped_frames
from posetalk.bridges.ifacialmocap import IFacialMocapConfig, IFacialMocapSender
from posetalk.cli.ifacialmocap_options import parse_target
from posetalk.data import SPEECH_SAMPLE
from posetalk.mapping import ARKIT_NAMES, EyeMotion, FaceMapper, FaceOutputs, fit_arkit_map
from posetalk.pipeline.coefficients_file import CoefficientSequence, save_coefficients
from posetalk.server import PlaybackSource
from posetalk.stream.frame import Frame
from tests.conftest import official_fixture_dirs
from tests.stream_support import FLAME_FIXTURE, coefficients, synthetic_head

# The blend shapes of the specification's sample frame, as it names them.
SPEC_NAMES = set("""
    mouthSmile_R eyeLookOut_L mouthUpperUp_L eyeWide_R mouthClose mouthPucker mouthRollLower eyeBlink_R
    eyeLookDown_L cheekSquint_R eyeBlink_L tongueOut jawRight eyeLookIn_R cheekSquint_L mouthDimple_L
    mouthPress_L eyeSquint_L mouthRight mouthShrugLower eyeLookUp_R eyeLookOut_R mouthPress_R cheekPuff
    jawForward mouthLowerDown_L mouthFrown_L mouthShrugUpper browOuterUp_L browInnerUp mouthDimple_R
    browDown_R mouthUpperUp_R mouthRollUpper mouthFunnel mouthStretch_R mouthFrown_R eyeLookDown_R jawOpen
    jawLeft browDown_L mouthSmile_L noseSneer_R mouthLowerDown_R noseSneer_L eyeWide_L mouthStretch_L
    browOuterUp_R eyeLookIn_L eyeSquint_R eyeLookUp_L mouthLeft
""".split())


@dataclass(frozen=True)
class Received:
    shapes: dict[str, int]
    rotations: dict[str, list[float]]


def parse(datagram: bytes, separator: str = "-") -> Received:
    """One datagram, read as the specification describes it (asserting its shape on the way)."""
    text = datagram.decode("utf-8")
    assert text.count("=") == 1 and text.endswith("|"), text
    shapes_text, rotations_text = text.split("=")
    assert shapes_text.endswith("|")
    shapes: dict[str, int] = {}
    for field in shapes_text[:-1].split("|"):
        name, value = field.split(separator)
        assert value.isdigit(), field  # an integer, no sign, no decimals
        shapes[name] = int(value)
    rotations: dict[str, list[float]] = {}
    for field in rotations_text[:-1].split("|"):
        name, numbers = field.split("#")
        rotations[name] = [float(number) for number in numbers.split(",")]
    return Received(shapes, rotations)


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(30)
    yield sock
    sock.close()


def _mapper() -> FaceMapper:
    return FaceMapper(fit_arkit_map(synthetic_head(), "test"), EyeMotion(seed=2))


def send_clip(receiver: socket.socket, clip: CoefficientSequence, version: str = "v1") -> list[tuple[float, bytes]]:
    """Play ``clip`` through the real mapper and sender; every datagram with its arrival time."""
    arrivals: list[tuple[float, bytes]] = []

    def receive() -> None:
        for _ in range(len(clip)):
            datagram = receiver.recv(65536)
            arrivals.append((time.monotonic(), datagram))

    listening = threading.Thread(target=receive)
    listening.start()
    config = IFacialMocapConfig(port=receiver.getsockname()[1], version=version)  # type: ignore[arg-type]
    asyncio.run(IFacialMocapSender(config).run(mapped_frames(PlaybackSource(clip, "params"), _mapper())))
    listening.join(timeout=30)
    assert len(arrivals) == len(clip)
    return arrivals


@pytest.fixture
def clip_arrivals(receiver: socket.socket) -> list[tuple[float, bytes]]:
    return send_clip(receiver, coefficients(50))


def test_every_frame_is_one_datagram_in_the_published_format(clip_arrivals: list[tuple[float, bytes]]) -> None:
    for _, datagram in clip_arrivals:
        received = parse(datagram)
        assert set(received.shapes) == SPEC_NAMES and len(received.shapes) == 52
        assert all(0 <= value <= 100 for value in received.shapes.values())
        assert list(received.rotations) == ["head", "rightEye", "leftEye"]
        head = received.rotations["head"]
        assert len(head) == 6 and head[3:] == [0.0, 0.0, 0.0]  # FLAME frames carry no position
        assert len(received.rotations["rightEye"]) == 3 and len(received.rotations["leftEye"]) == 3
    # VRCFaceTracking's module skips the first field: it must be the one shape FLAME cannot drive.
    assert all(datagram.startswith(b"tongueOut-") for _, datagram in clip_arrivals)
    # The clip turns the head, so the head angles change from frame to frame.
    assert len({tuple(parse(d).rotations["head"]) for _, d in clip_arrivals}) > 10


def test_frames_arrive_at_the_frame_rate(clip_arrivals: list[tuple[float, bytes]]) -> None:
    span = clip_arrivals[-1][0] - clip_arrivals[0][0]
    intervals = len(clip_arrivals) - 1
    assert 0.8 * intervals / 25 <= span <= 4 * intervals / 25  # paced at 25 fps, not sent in a burst


def _clip(pose: np.ndarray) -> CoefficientSequence:
    """Neutral expression and identity, the given (n, 6) pose."""
    n = len(pose)
    zeros = np.zeros((n, 150), np.float32)
    return CoefficientSequence(zeros[:, :50], pose.astype(np.float32), zeros[:, 50:], 25)


def test_jaw_open_follows_the_models_jaw(receiver: socket.socket) -> None:
    pose = np.zeros((20, 6))
    opened = (np.arange(20) // 5) % 2 == 1  # 5 frames closed, 5 open, …
    pose[opened, 3] = 0.3  # jaw rotation about x, radians
    jaw = np.array([parse(d).shapes["jawOpen"] for _, d in send_clip(receiver, _clip(pose))])
    assert jaw[opened].min() > jaw[~opened].max()
    assert jaw[opened].min() >= 10


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_head_angles_are_degrees_about_the_faces_axes(receiver: socket.socket, axis: int) -> None:
    """x the face's left, y up, z out of the face: about x +0.2 rad looks down by 11.46°, about y
    it turns toward the face's left, about z it lifts the face's left side."""
    pose = np.zeros((3, 6))
    pose[:, axis] = 0.2
    for _, datagram in send_clip(receiver, _clip(pose)):
        head = parse(datagram).rotations["head"]
        expected = np.zeros(3)
        expected[axis] = np.degrees(0.2)
        np.testing.assert_allclose(head[:3], expected, atol=1e-3)


def _gaze_frame(weights: dict[str, float]) -> MappedFrame:
    arkit = np.zeros(52, np.float32)
    for name, weight in weights.items():
        arkit[ARKIT_NAMES.index(name)] = weight
    frame = Frame(0, 0.0, 0.0, np.zeros(50, np.float32), np.zeros(6, np.float32), np.zeros(100, np.float32))
    outputs = FaceOutputs(arkit, np.zeros(18, np.float32), np.array([0, 0, 0, 1], np.float32), np.zeros(3, np.float32))
    return MappedFrame(frame, outputs)


def test_eye_rotations_follow_the_gaze(receiver: socket.socket) -> None:
    sender = IFacialMocapSender(IFacialMocapConfig(port=receiver.getsockname()[1]))
    # Looking down and toward the face's own left: the right eye turns in, the left eye out.
    sender.send(_gaze_frame({"eyeLookDownLeft": 0.5, "eyeLookDownRight": 0.5,
                             "eyeLookInRight": 0.5, "eyeLookOutLeft": 0.5}))  # fmt: skip
    # Looking up and toward the face's right.
    sender.send(_gaze_frame({"eyeLookUpLeft": 0.5, "eyeLookUpRight": 0.5,
                             "eyeLookOutRight": 0.5, "eyeLookInLeft": 0.5}))  # fmt: skip
    sender.close()
    down_left, up_right = (parse(receiver.recv(65536)) for _ in range(2))
    for eye in ("rightEye", "leftEye"):
        rx, ry, _ = down_left.rotations[eye]
        assert rx > 5 and ry > 5  # looks down (rx > 0), turns toward the face's left (ry > 0)
        rx, ry, _ = up_right.rotations[eye]
        assert rx < -5 and ry < -5
    assert down_left.shapes["eyeLookIn_R"] == 50 and down_left.shapes["eyeLookOut_L"] == 50


def test_a_refused_send_is_logged_once_and_the_stream_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    sender = IFacialMocapSender(IFacialMocapConfig(host="255.255.255.255"))  # broadcast: refused without SO_BROADCAST
    with caplog.at_level("WARNING", logger="posetalk.bridges.ifacialmocap"):
        for _ in range(3):
            sender.send(_gaze_frame({}))
    sender.close()
    assert sender.sent == 0
    assert len(caplog.records) == 1 and "cannot send" in caplog.records[0].getMessage()


def test_v2_puts_an_ampersand_between_name_and_value(receiver: socket.socket) -> None:
    (_, datagram), *_ = send_clip(receiver, coefficients(2), version="v2")
    received = parse(datagram, separator="&")
    assert set(received.shapes) == SPEC_NAMES and "-" not in datagram.decode().split("=")[0]


@pytest.mark.parametrize(("target", "expected"), [
    ("192.168.1.7", ("192.168.1.7", 49983)),
    ("localhost:50003", ("localhost", 50003)),
    ("[::1]:50003", ("::1", 50003)),
    ("::1", ("::1", 49983)),
])  # fmt: skip
def test_a_target_is_host_and_optional_port(target: str, expected: tuple[str, int]) -> None:
    assert parse_target(target) == expected


def _receive_all(receiver: socket.socket, count: int) -> list[Received]:
    return [parse(receiver.recv(65536)) for _ in range(count)]


def test_bridge_command_sends_a_params_clip(receiver: socket.socket, tmp_path: Path) -> None:
    clip = coefficients(25)
    save_coefficients(tmp_path / "clip.npz", clip.exp, clip.pose, clip.shape, 25)
    result = subprocess.run(
        [sys.executable, "-m", "posetalk", "bridge", "ifacialmocap", "--params", str(tmp_path / "clip.npz"),
         "--flame", str(FLAME_FIXTURE), "--host", "127.0.0.1", "--port", str(receiver.getsockname()[1])],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert all(set(r.shapes) == SPEC_NAMES for r in _receive_all(receiver, 25))


def test_serve_also_sends_its_frames_to_ifacialmocap(receiver: socket.socket, tmp_path: Path) -> None:
    clip = coefficients(25)
    save_coefficients(tmp_path / "clip.npz", clip.exp, clip.pose, clip.shape, 25)
    result = subprocess.run(
        [sys.executable, "-m", "posetalk", "serve", "--params", str(tmp_path / "clip.npz"), "--flame",
         str(FLAME_FIXTURE), "--port", "0", "--ifacialmocap", f"127.0.0.1:{receiver.getsockname()[1]}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "after 25 frames" in result.stderr
    assert all(set(r.shapes) == SPEC_NAMES for r in _receive_all(receiver, 25))


def test_live_also_sends_every_frame_it_publishes(receiver: socket.socket) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "posetalk", "live", "--no-window", "--no-server", "--file", str(SPEECH_SAMPLE),
         "--duration", "4", "--model-dir", str(official_fixture_dirs()[0]), "--steps", "1", "--frames-per-tick", "10",
         "--ifacialmocap", f"127.0.0.1:{receiver.getsockname()[1]}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    receiver.settimeout(1.0)
    datagrams = []
    try:
        while True:
            try:
                datagrams.append(receiver.recv(65536))
            except TimeoutError:
                if process.poll() is not None:
                    break
        output = process.communicate(timeout=60)[0]
    finally:
        process.kill()
    assert process.returncode == 0, output
    # How many frames a loaded machine publishes varies (it skips what it cannot compute in time);
    # every one of them must go out.
    published = int(re.search(r"(\d+) frames published", output).group(1))  # type: ignore[union-attr]
    assert published > 0 and len(datagrams) == published
    assert all(set(parse(datagram).shapes) == SPEC_NAMES for datagram in datagrams)
