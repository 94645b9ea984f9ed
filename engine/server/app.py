"""The protocol v1 server: one handler coroutine per connection, a broadcaster, HTTP routes.

Data flow: the source's frames → :meth:`StreamServer._publish` (map once, encode once per distinct
subscription) → each client's bounded queue → that client's relay task → the socket.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import socket
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import MultipleValuesError
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from posetalk import __version__
from posetalk.mapping import ARKIT_NAMES, VRM_NAMES, FaceMapper, FaceOutputs
from posetalk.mapping.names import HEAD_FIELDS
from posetalk.errors import PosetalkError
from posetalk.server.config import ServerConfig, is_loopback, listen_error
from posetalk.server.encoding import HEADER, MAGIC, EncodedFrame, PayloadKey
from posetalk.server.http import error_response, json_response, response, static_response
from posetalk.server.ingest import Utterance
from posetalk.server.mesh import GLB_MEDIA_TYPE, HeadMesh
from posetalk.server.protocol import (
    AUDIO_ENCODINGS,
    AUDIO_RATES,
    CHANNELS,
    FORMATS,
    PROTOCOL_VERSION,
    AudioEnd,
    AudioStart,
    Control,
    ProtocolError,
    Subscribe,
    parse_message,
)
from posetalk.server.session import ClientSession
from posetalk.server.sources import FPS, FrameSource
from posetalk.stream.frame import Frame

log = logging.getLogger(__name__)

POSE_FIELDS = ("global_x", "global_y", "global_z", "jaw_x", "jaw_y", "jaw_z")

FrameTap = Callable[[Frame, FaceOutputs], None]
"""Also handed every published frame with its mapped outputs (a bridge, e.g. ``serve
--ifacialmocap``); it runs on the event loop, so it must not block."""


class StreamServer:
    """Streams one source's frames to every subscribed client (docs/protocol.md)."""

    def __init__(
        self,
        config: ServerConfig,
        source: FrameSource,
        mapper: FaceMapper,
        mesh: HeadMesh | None = None,
        taps: Sequence[FrameTap] = (),
    ) -> None:
        self.config = config
        self.source = source
        self.mapper = mapper
        self.mesh = mesh
        self.taps = tuple(taps)
        self.clients: set[ClientSession] = set()
        self.port: int | None = None
        self.started = asyncio.Event()
        self.last_seq = -1
        self._audio: dict[ClientSession, Utterance] = {}
        self._shape: np.ndarray | None = None
        self._shape_version = 0

    @property
    def channels(self) -> tuple[str, ...]:
        return CHANNELS if self.mesh is not None else tuple(c for c in CHANNELS if c != "vertices")

    # -- lifecycle --------------------------------------------------------------------------

    async def run(self, on_listening: Callable[[int], None] | None = None) -> None:
        """Serve until the source ends (then finish sending, say ``end`` and close) or cancelled.

        Raises:
            PosetalkError: the address cannot be listened on (port in use, unknown interface).
        """
        try:
            listening = await serve(
                self._handler,
                self.config.host,
                self.config.port,
                process_request=self._process_request,
                max_size=self.config.websocket_max_size,
                compression=None,
            )
        except OSError as error:
            raise PosetalkError(listen_error(self.config.host, self.config.port, error)) from None
        async with listening as server:
            self.port = server.sockets[0].getsockname()[1]
            self.started.set()
            if on_listening is not None:
                on_listening(self.port)
            async for frame in self.source.frames():
                await self._publish(frame)
            await self._finish()

    async def _finish(self) -> None:
        """Tell every client the stream ended, let their queues drain, close them normally."""
        sessions = list(self.clients)
        await self._drain(sessions)  # replies overtake frames: let the frames go first
        for session in sessions:
            session.push_reply({"type": "end", "frames": self.last_seq + 1})
        await self._drain(sessions)
        await asyncio.gather(*(s.connection.close(1000, "end of stream") for s in sessions))

    async def _drain(self, sessions: list[ClientSession]) -> None:
        if sessions:
            waiting = [asyncio.create_task(s.drain()) for s in sessions]
            _, late = await asyncio.wait(waiting, timeout=self.config.stall_timeout_s)
            for task in late:
                task.cancel()

    # -- frames -----------------------------------------------------------------------------

    async def _publish(self, frame: Frame) -> None:
        """Map and encode ``frame`` once (with the client utterance it lies on, if any), then queue it
        for every subscribed client.

        Posing the mesh (only when a client wants vertices) runs on a worker thread; queueing
        never awaits a client."""
        if self._shape is None or not np.array_equal(self._shape, frame.shape):
            self._shape = np.array(frame.shape, copy=True)
            self._shape_version += 1
        self.last_seq = frame.seq
        wants_vertices = any(s.subscription and "vertices" in s.subscription.channels for s in self.clients)
        vertices = None
        if wants_vertices and self.mesh is not None:
            vertices = await asyncio.to_thread(self.mesh.vertices, frame)
        sink = self.source.audio_sink
        utterance = sink.locate(frame.audio_time) if sink is not None else None
        outputs = self.mapper.map(frame)
        for tap in self.taps:
            tap(frame, outputs)
        encoded = EncodedFrame(frame, outputs, vertices, self._shape_version, utterance)
        for session in self.clients:
            if session.subscription is None:
                continue
            with_shape = "flame" in session.subscription.channels and (
                session.shape_version_sent < self._shape_version
            )
            key = PayloadKey(session.subscription.channels, session.subscription.format, with_shape)
            session.push_frame(encoded.payload(key), self._shape_version if with_shape else None)

    # -- connections ------------------------------------------------------------------------

    async def _handler(self, connection: ServerConnection) -> None:
        if len(self.clients) >= self.config.max_clients:
            error = ProtocolError("server_full", f"the server takes {self.config.max_clients} clients")
            await connection.send(json.dumps(error.to_message()))
            await connection.close(1013, "server full")
            return
        sock = connection.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.config.socket_send_buffer)
        session = ClientSession(connection, self.config.queue_frames, self.config.stall_timeout_s)
        session.push_reply(self.hello())
        self.clients.add(session)
        relay = asyncio.create_task(session.relay())
        try:
            async for message in connection:
                try:
                    self._on_message(session, message)
                except ProtocolError as error:
                    session.push_reply(error.to_message())
        except ConnectionClosed:
            pass
        finally:
            self.clients.discard(session)
            self._audio.pop(session, None)
            relay.cancel()

    def _on_message(self, session: ClientSession, message: str | bytes) -> None:
        if isinstance(message, bytes):
            self._on_audio_chunk(session, message)
            return
        if len(message.encode()) > self.config.max_text_bytes:
            raise ProtocolError("too_large", f"text messages are limited to {self.config.max_text_bytes} bytes")
        request = parse_message(message)
        if isinstance(request, Subscribe):
            self._subscribe(session, request)
        elif isinstance(request, Control):
            self._authorize(request.token, request.request_id)
            if request.action not in self.source.supported_controls():
                raise ProtocolError(
                    "unsupported", f"the {self.source.kind} source does not support {request.action!r}", request.request_id
                )
            extra = self.source.control(request)
            session.push_reply({"type": "ack", "id": request.request_id, "action": request.action, **extra})
        elif isinstance(request, AudioStart):
            self._authorize(request.token, None)
            if self.source.audio_sink is None:
                raise ProtocolError("unsupported", f"the {self.source.kind} source takes no audio")
            opened = self._audio[session] = self.source.audio_sink.open_utterance(request)
            session.push_reply({"type": "ack", "action": "audio_start", **opened.acknowledgement()})
        elif isinstance(request, AudioEnd):
            utterance = self._audio.pop(session, None)
            if utterance is None:
                raise ProtocolError("bad_state", "audio_end without audio_start")
            session.push_reply({"type": "utterance", **utterance.summary()})

    def _on_audio_chunk(self, session: ClientSession, chunk: bytes) -> None:
        utterance = self._audio.get(session)
        if utterance is None:
            raise ProtocolError("bad_state", "binary messages are audio and need audio_start first")
        if len(chunk) > self.config.max_audio_chunk_bytes:
            raise ProtocolError("too_large", f"audio chunks are limited to {self.config.max_audio_chunk_bytes} bytes")
        utterance.add(chunk)

    def _subscribe(self, session: ClientSession, request: Subscribe) -> None:
        missing = [c for c in request.channels if c not in self.channels]
        if missing:
            raise ProtocolError("unsupported", f"channel {missing[0]!r} is not available on this server")
        session.subscription = request
        session.shape_version_sent = -1
        session.push_reply({"type": "subscribed", "channels": list(request.channels), "format": request.format})

    def _authorize(self, token: str | None, request_id: int | str | None) -> None:
        if not _token_matches(self.config.token, token):
            raise ProtocolError("unauthorized", "this message needs the server's token", request_id)

    # -- HTTP -------------------------------------------------------------------------------

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return self._check_websocket(request, url.query)
        if url.path == "/healthz":
            return json_response(self.health())
        if url.path in ("/mesh.json", "/mesh.glb"):
            if not self._connection_token_ok(request, url.query):
                return error_response(HTTPStatus.UNAUTHORIZED, "token required")
            mesh = self.mesh
            if mesh is None:
                return error_response(HTTPStatus.NOT_FOUND, "this server has no head mesh")
            if url.path == "/mesh.glb":  # built once, on a worker thread (a second or two)
                return response(HTTPStatus.OK, await asyncio.to_thread(lambda: mesh.glb_bytes), GLB_MEDIA_TYPE)
            return response(HTTPStatus.OK, mesh.json_bytes, "application/json")
        if self.config.static_dir is None:
            return error_response(HTTPStatus.NOT_FOUND, "not found")
        return static_response(self.config.static_dir, url.path)

    def _check_websocket(self, request: Request, query: str) -> Response | None:
        try:
            origin, host = request.headers.get("Origin"), request.headers.get("Host", "")
        except MultipleValuesError as error:
            return error_response(HTTPStatus.BAD_REQUEST, f"repeated header {error}")
        if origin is not None and not self._origin_allowed(origin, host):
            return error_response(HTTPStatus.FORBIDDEN, f"origin {origin} not allowed")
        if not self._connection_token_ok(request, query):
            return error_response(HTTPStatus.UNAUTHORIZED, "token required")
        return None

    def _origin_allowed(self, origin: str, host: str) -> bool:
        """A browser page may connect if it came from this server (its origin is the Host it asked
        for) or from an ``--allow-origin``. On loopback the Host must also be a loopback name, so a
        page whose domain was re-pointed at 127.0.0.1 (DNS rebinding) is refused."""
        if origin in self.config.allowed_origins:
            return True
        if origin != f"http://{host}":
            return False
        hostname = urlsplit(origin).hostname or ""
        return not self.config.loopback_only or hostname in ("localhost", "::1") or is_loopback(hostname)

    def _connection_token_ok(self, request: Request, query: str) -> bool:
        """Loopback servers admit anyone; others want ``?token=`` or ``Authorization: Bearer``."""
        if self.config.loopback_only:
            return True
        supplied = parse_qs(query).get("token", [None])[0]
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            supplied = authorization.removeprefix("Bearer ")
        return _token_matches(self.config.token, supplied)

    # -- descriptions -----------------------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        """The first message of every connection (docs/protocol.md, "hello")."""
        channels: dict[str, Any] = {
            "flame": {"exp": 50, "pose": 6, "shape": 100, "pose_fields": list(POSE_FIELDS)},
            "arkit": {"names": list(ARKIT_NAMES)},
            "vrm": {"names": list(VRM_NAMES)},
            "head": {"fields": list(HEAD_FIELDS)},
        }
        if self.mesh is not None:
            channels["flame"]["rig"] = "/mesh.glb"
            channels["vertices"] = {"count": self.mesh.n_vertices * 3, "mesh": "/mesh.json", "name": self.mesh.name}
        hello: dict[str, Any] = {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "engine": "posetalk",
            "version": __version__,
            "fps": FPS,
            "channels": channels,
            "formats": list(FORMATS),
            "binary": {
                "magic": MAGIC.decode(),
                "header_bytes": HEADER.size,
                "order": ["exp", "pose", "shape", "arkit", "vrm", "head", "vertices"],
            },
            "source": self.source.describe(),
            "controls": list(self.source.supported_controls()),
            "limits": {
                "max_text_bytes": self.config.max_text_bytes,
                "max_audio_chunk_bytes": self.config.max_audio_chunk_bytes,
                "queue_frames": self.config.queue_frames,
            },
        }
        if self.source.audio_sink is not None:
            hello["audio"] = {"encodings": list(AUDIO_ENCODINGS), "sample_rates": list(AUDIO_RATES)}
        return hello

    def health(self) -> dict[str, Any]:
        """``GET /healthz``: status, clients, the last frame sent and per-client drops."""
        return {
            "status": "ok",
            "protocol": PROTOCOL_VERSION,
            "source": self.source.kind,
            "clients": len(self.clients),
            "seq": self.last_seq,
            "dropped": sum(s.dropped for s in self.clients),
        }


def _token_matches(expected: str | None, supplied: str | None) -> bool:
    return expected is not None and supplied is not None and hmac.compare_digest(expected.encode(), supplied.encode())
