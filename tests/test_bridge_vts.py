"""The VTube Studio bridge against a stand-in server that follows VTube Studio's documented
message flow (github.com/DenchiSoft/VTubeStudio, README: authentication, custom parameters,
InjectParameterDataRequest)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from posetalk.bridges import mapped_frames
from posetalk.bridges.vts import VtsBridge, VtsConfig
from posetalk.errors import PosetalkError
from posetalk.mapping import EyeMotion, FaceMapper, fit_arkit_map
from posetalk.server import PlaybackSource
from tests.stream_support import coefficients, synthetic_head

DEFAULT_PARAMETERS = {
    "FacePositionX", "FacePositionY", "FacePositionZ", "FaceAngleX", "FaceAngleY", "FaceAngleZ",
    "MouthSmile", "MouthOpen", "Brows", "BrowLeftY", "BrowRightY", "EyeOpenLeft", "EyeOpenRight",
    "EyeLeftX", "EyeLeftY", "EyeRightX", "EyeRightY", "CheekPuff", "TongueOut", "MouthX",
}  # fmt: skip


class VtsStandIn:
    """Answers the documented requests the way VTube Studio does; records what it was fed."""

    def __init__(self, deny: bool = False) -> None:
        self.deny = deny
        self.token_requests = 0
        self.tokens: set[str] = set()
        self.custom: set[str] = set()
        self.injections: list[tuple[float, dict[str, Any]]] = []
        self.errors_sent: list[int] = []
        self.authenticated = asyncio.Event()
        """Set when a session first authenticates."""
        self.server: Any = None
        self.port = 0

    def _answer(self, request: dict[str, Any], message_type: str, data: dict[str, Any]) -> str:
        return json.dumps(
            {
                "apiName": "VTubeStudioPublicAPI",
                "apiVersion": "1.0",
                "timestamp": int(time.time() * 1000),
                "messageType": message_type,
                "requestID": request.get("requestID", "generated"),
                "data": data,
            }
        )

    def _error(self, request: dict[str, Any], error_id: int, message: str) -> str:
        self.errors_sent.append(error_id)
        return self._answer(request, "APIError", {"errorID": error_id, "message": message})

    async def handler(self, connection: ServerConnection) -> None:
        try:
            await self._serve(connection)
        except ConnectionClosed:
            pass  # the bridge left (end of its frames, or cancelled)

    async def _serve(self, connection: ServerConnection) -> None:
        authenticated = False
        async for raw in connection:
            request = json.loads(raw)
            kind, data = request.get("messageType"), request.get("data") or {}
            if request.get("apiName") != "VTubeStudioPublicAPI" or request.get("apiVersion") != "1.0":
                await connection.send(self._error(request, 1, "API name or version wrong"))
            elif kind == "APIStateRequest":
                await connection.send(self._answer(request, "APIStateResponse", {"active": True, "vTubeStudioVersion": "1.28.0", "currentSessionAuthenticated": authenticated}))
            elif kind == "AuthenticationTokenRequest":
                self.token_requests += 1
                if self.deny:
                    await connection.send(self._error(request, 50, "User has denied API access for your plugin."))
                    continue
                assert 3 <= len(data["pluginName"]) <= 32 and 3 <= len(data["pluginDeveloper"]) <= 32
                token = f"token-{self.token_requests}"
                self.tokens.add(token)
                await connection.send(self._answer(request, "AuthenticationTokenResponse", {"authenticationToken": token}))
            elif kind == "AuthenticationRequest":
                authenticated = data.get("authenticationToken") in self.tokens
                if authenticated:
                    self.authenticated.set()
                reason = "Token valid." if authenticated else "Token invalid."
                await connection.send(self._answer(request, "AuthenticationResponse", {"authenticated": authenticated, "reason": reason}))
            elif not authenticated:
                await connection.send(self._error(request, 8, "Request requires authentication"))
            elif kind == "ParameterCreationRequest":
                name = data.get("parameterName", "")
                if not re.fullmatch(r"[A-Za-z0-9]{4,32}", name):
                    await connection.send(self._error(request, 352, "Parameter name invalid"))
                    continue
                self.custom.add(name)
                await connection.send(self._answer(request, "ParameterCreationResponse", {"parameterName": name}))
            elif kind == "InjectParameterDataRequest":
                values = data.get("parameterValues", [])
                unknown = [v["id"] for v in values if v["id"] not in DEFAULT_PARAMETERS | self.custom]
                if unknown or not all(-1e6 <= v["value"] <= 1e6 for v in values):
                    await connection.send(self._error(request, 453, f"Parameter {unknown} not found"))
                    continue
                self.injections.append((time.monotonic(), data))
                await connection.send(self._answer(request, "InjectParameterDataResponse", {}))
            else:
                await connection.send(self._error(request, 2, "Unknown message type"))

    async def start(self, port: int = 0) -> None:
        self.server = await serve(self.handler, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()


def frames_of(n_frames: int, paused: bool = False):
    source = PlaybackSource(coefficients(n_frames), "params")
    if paused:
        source.pacer.pause()
    mapper = FaceMapper(fit_arkit_map(synthetic_head(), "test"), EyeMotion(seed=1))
    return source, mapped_frames(source, mapper)


def config(port: int, tmp_path: Path, **extra: Any) -> VtsConfig:
    return VtsConfig(url=f"ws://127.0.0.1:{port}", token_file=tmp_path / "config" / "vts.json", reconnect_max_s=0.5, **extra)


def test_token_flow_and_injection_at_the_frame_rate(tmp_path: Path) -> None:
    async def scenario() -> tuple[VtsStandIn, VtsStandIn]:
        first, second = VtsStandIn(), VtsStandIn()
        await first.start()
        # The frames start once the user has granted the token (frames before it are dropped by
        # design, and how long the handshake takes depends on the machine's load).
        source, frames = frames_of(50, paused=True)
        granted = asyncio.create_task(first.authenticated.wait())
        granted.add_done_callback(lambda _: source.pacer.resume())
        await VtsBridge(config(first.port, tmp_path)).run(frames)
        await first.stop()
        # A second run reuses the stored token: no new popup for the user.
        second.tokens = set(first.tokens)
        await second.start()
        _, frames = frames_of(10)
        await VtsBridge(config(second.port, tmp_path)).run(frames)
        await second.stop()
        return first, second

    first, second = asyncio.run(scenario())
    assert first.token_requests == 1 and second.token_requests == 0
    assert json.loads((tmp_path / "config" / "vts.json").read_text())["token"] == "token-1"
    assert len(first.injections) >= 50 and not first.errors_sent
    times = [t for t, _ in first.injections]
    assert max(b - a for a, b in zip(times, times[1:])) < 1.0
    data = first.injections[10][1]
    assert data["faceFound"] is True and data["mode"] == "set"
    ids = {v["id"] for v in data["parameterValues"]}
    assert {"FaceAngleX", "FaceAngleY", "FaceAngleZ", "MouthOpen", "MouthSmile", "BrowLeftY", "EyeOpenLeft"} <= ids
    assert all(0 <= v["value"] <= 1 for v in data["parameterValues"] if v["id"].startswith(("Mouth", "EyeOpen", "Brow")))


def test_custom_parameters_are_created_and_fed(tmp_path: Path) -> None:
    async def scenario() -> VtsStandIn:
        stand_in = VtsStandIn()
        await stand_in.start()
        _, frames = frames_of(10)
        await VtsBridge(config(stand_in.port, tmp_path, custom_parameters=True)).run(frames)
        await stand_in.stop()
        return stand_in

    stand_in = asyncio.run(scenario())
    assert len(stand_in.custom) == 52 and "PosetalkMouthSmileLeft" in stand_in.custom
    fed = {v["id"] for v in stand_in.injections[-1][1]["parameterValues"]}
    assert stand_in.custom <= fed and not stand_in.errors_sent


def test_values_are_resent_while_the_source_pauses(tmp_path: Path) -> None:
    async def scenario() -> VtsStandIn:
        stand_in = VtsStandIn()
        await stand_in.start()
        source, frames = frames_of(200)
        bridge = asyncio.create_task(VtsBridge(config(stand_in.port, tmp_path)).run(frames))
        while len(stand_in.injections) < 5:
            await asyncio.sleep(0.02)
        source.pacer.pause()
        paused_at = len(stand_in.injections)
        await asyncio.sleep(2.2)
        assert len(stand_in.injections) - paused_at >= 3  # keep-alive: more than once a second
        bridge.cancel()
        await asyncio.gather(bridge, return_exceptions=True)
        await stand_in.stop()
        return stand_in

    stand_in = asyncio.run(scenario())
    times = [t for t, _ in stand_in.injections]
    assert max(b - a for a, b in zip(times, times[1:])) < 1.0


def test_reconnects_when_vtube_studio_restarts(tmp_path: Path) -> None:
    async def scenario() -> tuple[VtsStandIn, VtsStandIn]:
        first = VtsStandIn()
        await first.start()
        _, frames = frames_of(150)
        bridge = asyncio.create_task(VtsBridge(config(first.port, tmp_path)).run(frames))
        while len(first.injections) < 10:
            await asyncio.sleep(0.02)
        await first.stop()
        await asyncio.sleep(0.5)
        second = VtsStandIn()
        second.tokens = set(first.tokens)
        await second.start(first.port)
        await asyncio.wait_for(bridge, 30)
        await second.stop()
        return first, second

    first, second = asyncio.run(scenario())
    assert first.token_requests == 1 and second.token_requests == 0
    assert len(second.injections) >= 10


def test_denied_access_is_a_one_line_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        stand_in = VtsStandIn(deny=True)
        await stand_in.start()
        _, frames = frames_of(10)
        try:
            await VtsBridge(config(stand_in.port, tmp_path)).run(frames)
        finally:
            await stand_in.stop()

    with pytest.raises(PosetalkError, match="denied"):
        asyncio.run(scenario())
