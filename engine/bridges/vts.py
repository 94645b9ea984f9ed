"""The VTube Studio bridge: the public API over WebSocket (github.com/DenchiSoft/VTubeStudio, README).

Flow per connection: ``AuthenticationTokenRequest`` once per installation (the user allows the
plugin in VTube Studio; the token is kept in the user's config directory), then
``AuthenticationRequest`` with it every session; ``ParameterCreationRequest`` for the custom
parameters when asked; then one ``InjectParameterDataRequest`` per frame with ``faceFound: true``.
VTube Studio releases a parameter not fed for a second, so the last values are re-sent every
``keepalive_s`` while the source pauses. When VTube Studio goes away the bridge reconnects with
back-off; ``APIError`` answers are logged with their ``errorID``, and fatal ones (access denied)
end the bridge with a one-line error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from posetalk.bridges.config_dir import user_config_dir
from posetalk.bridges.feed import MappedFrame
from posetalk.bridges.vts_params import custom_parameter_name, custom_parameters, default_parameters
from posetalk.errors import PosetalkError
from posetalk.mapping import ARKIT_NAMES

log = logging.getLogger(__name__)

API_NAME = "VTubeStudioPublicAPI"
API_VERSION = "1.0"
# ErrorID.cs: 50 = the user denied API access to the plugin.
ERROR_USER_DENIED = 50


@dataclass(frozen=True)
class VtsConfig:
    """Attributes:
    url: VTube Studio's API server (its default is ws://localhost:8001).
    plugin_name, plugin_developer: shown to the user in VTube Studio's permission popup (3-32 chars).
    token_file: where the authentication token is kept; default in the user's config directory.
    custom_parameters: create and feed ``Posetalk<ARKitName>`` custom parameters as well.
    keepalive_s: re-send the last values at least this often while no frames arrive.
    reconnect_max_s: longest wait between reconnection attempts.
    """

    url: str = "ws://localhost:8001"
    plugin_name: str = "posetalk"
    plugin_developer: str = "posetalk project"
    token_file: Path | None = None
    custom_parameters: bool = False
    keepalive_s: float = 0.5
    reconnect_max_s: float = 5.0

    def __post_init__(self) -> None:
        """Raises:
            PosetalkError: ``url`` is not a ws:// or wss:// address with a host and a valid port.
        """
        url = urlsplit(self.url)
        if url.scheme not in ("ws", "wss") or not url.hostname:
            raise PosetalkError(f"the VTube Studio URL {self.url!r} is not a WebSocket address like ws://localhost:8001")
        try:
            port = url.port
        except ValueError:  # not a number, or above 65535
            port = 0
        if port == 0:
            raise PosetalkError(f"the VTube Studio URL {self.url!r} has an invalid port (1-65535)")

    @property
    def token_path(self) -> Path:
        return self.token_file or user_config_dir() / "vtube_studio_token.json"


class VtsApiError(Exception):
    """An ``APIError`` answer."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(f"VTube Studio API error {data.get('errorID')}: {data.get('message')}")
        self.error_id = data.get("errorID")


class VtsSession:
    """One authenticated connection: request/response over the socket."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def request(self, message_type: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a request and wait for its response's ``data``; raise VtsApiError on APIError."""
        request_id = uuid.uuid4().hex[:16]
        await self.send(message_type, data, request_id)
        while True:
            answer = json.loads(await self.connection.recv())
            if answer.get("requestID") != request_id:
                continue  # a late answer to a fire-and-forget injection
            if answer.get("messageType") == "APIError":
                raise VtsApiError(answer.get("data", {}))
            return answer.get("data", {})

    async def send(self, message_type: str, data: dict[str, Any] | None, request_id: str) -> None:
        message = {"apiName": API_NAME, "apiVersion": API_VERSION, "requestID": request_id, "messageType": message_type}
        if data is not None:
            message["data"] = data
        await self.connection.send(json.dumps(message))


class VtsBridge:
    """Feeds mapped frames to VTube Studio until the frames end."""

    def __init__(self, config: VtsConfig) -> None:
        self.config = config
        self.injected = 0
        self.api_errors: list[dict[str, Any]] = []

    # -- token ------------------------------------------------------------------------------

    def _stored_token(self) -> str | None:
        try:
            stored = json.loads(self.config.token_path.read_text())
        except (OSError, ValueError):
            return None
        same_plugin = stored.get("plugin") == [self.config.plugin_name, self.config.plugin_developer]
        return stored.get("token") if same_plugin and isinstance(stored.get("token"), str) else None

    def _store_token(self, token: str | None) -> None:
        path = self.config.token_path
        if token is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"plugin": [self.config.plugin_name, self.config.plugin_developer], "token": token}))
        path.chmod(0o600)

    async def _authenticate(self, session: VtsSession) -> None:
        """Use the stored token; ask for a new one (a popup in VTube Studio) if it is missing or refused."""
        plugin = {"pluginName": self.config.plugin_name, "pluginDeveloper": self.config.plugin_developer}
        for _ in range(2):
            token = self._stored_token()
            if token is None:
                try:
                    token = (await session.request("AuthenticationTokenRequest", plugin))["authenticationToken"]
                except VtsApiError as error:
                    if error.error_id == ERROR_USER_DENIED:
                        raise PosetalkError("VTube Studio: the user denied API access to posetalk") from None
                    raise
                self._store_token(token)
            answer = await session.request("AuthenticationRequest", {**plugin, "authenticationToken": token})
            if answer.get("authenticated"):
                return
            log.warning("VTube Studio refused the stored token (%s); requesting a new one", answer.get("reason"))
            self._store_token(None)
        raise PosetalkError("VTube Studio: authentication failed twice")

    async def _create_custom_parameters(self, session: VtsSession) -> None:
        for name in ARKIT_NAMES:
            await session.request(
                "ParameterCreationRequest",
                {
                    "parameterName": custom_parameter_name(name),
                    "explanation": f"posetalk: ARKit {name} weight",
                    "min": 0,
                    "max": 1,
                    "defaultValue": 0,
                },
            )

    # -- streaming --------------------------------------------------------------------------

    def _injection(self, mapped: MappedFrame) -> dict[str, Any]:
        values = default_parameters(mapped.outputs)
        if self.config.custom_parameters:
            values |= custom_parameters(mapped.outputs)
        return {
            "faceFound": True,
            "mode": "set",
            "parameterValues": [{"id": name, "value": round(value, 5)} for name, value in values.items()],
        }

    async def _drain_answers(self, connection: ClientConnection) -> None:
        """Read injection answers; log API errors (one per distinct errorID)."""
        seen: set[Any] = set()
        async for message in connection:
            answer = json.loads(message)
            if answer.get("messageType") == "APIError":
                data = answer.get("data", {})
                self.api_errors.append(data)
                if data.get("errorID") not in seen:
                    seen.add(data.get("errorID"))
                    log.error("VTube Studio API error %s: %s", data.get("errorID"), data.get("message"))

    async def _stream(self, session: VtsSession, latest: LatestFrame) -> None:
        """Inject the newest frame as it comes (and re-send it every ``keepalive_s``) until the
        frames end; raise ConnectionClosed when VTube Studio goes away."""
        answers = asyncio.create_task(self._drain_answers(session.connection))
        version = 0  # no frame yet: wait for the first (one that is already there goes out at once)
        try:
            while not latest.ended:
                await latest.wait_newer(version, self.config.keepalive_s, answers)
                if answers.done():
                    answers.result()
                    raise ConnectionClosed(None, None)
                if latest.frame is not None:
                    version = latest.version
                    await session.send("InjectParameterDataRequest", self._injection(latest.frame), f"f{self.injected}")
                    self.injected += 1
        finally:
            answers.cancel()

    async def run(self, frames: AsyncIterator[MappedFrame]) -> None:
        """Connect (and reconnect) to VTube Studio and feed it ``frames`` until they end.

        Frames keep being consumed while VTube Studio is away (they are dropped), so the source
        runs in real time regardless.
        """
        latest = LatestFrame()
        follower = asyncio.create_task(latest.follow(frames))
        delay = 0.25
        try:
            while not latest.ended:
                try:
                    async with connect(self.config.url, max_size=2**22) as connection:
                        session = VtsSession(connection)
                        await self._authenticate(session)
                        if self.config.custom_parameters:
                            await self._create_custom_parameters(session)
                        log.info("VTube Studio at %s: authenticated, streaming", self.config.url)
                        delay = 0.25
                        await self._stream(session, latest)
                        return
                except (OSError, ConnectionClosed, TimeoutError) as error:
                    log.warning("VTube Studio at %s unavailable (%s); retrying in %.1f s", self.config.url, error or "closed", delay)
                except VtsApiError as error:
                    raise PosetalkError(str(error)) from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.reconnect_max_s)
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)


class LatestFrame:
    """The newest mapped frame of a stream, followed by its own task (older ones are dropped).

    Attributes:
        frame: the newest frame, None before the first.
        version: how many frames have come (0 before the first).
        ended: the frames have ended.
    """

    def __init__(self) -> None:
        self.frame: MappedFrame | None = None
        self.version = 0
        self.ended = False
        self._changed = asyncio.Event()

    async def follow(self, frames: AsyncIterator[MappedFrame]) -> None:
        async for frame in frames:
            self.frame = frame
            self.version += 1
            self._changed.set()
        self.ended = True
        self._changed.set()

    async def wait_newer(self, version: int, timeout: float, also: asyncio.Task[None]) -> None:
        """Return when a frame newer than ``version`` exists, the frames end, ``also`` finishes,
        or after ``timeout`` seconds."""
        while self.version <= version and not self.ended and not also.done():
            self._changed.clear()
            changed = asyncio.ensure_future(self._changed.wait())
            done, _ = await asyncio.wait({changed, also}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            changed.cancel()
            if not done:
                return
