"""One connected client: its subscription, a bounded outgoing queue and the relay task draining it.

The broadcaster never awaits a client: it appends to the client's queue, which drops its oldest
frame when full (a slow client loses frames, never delays the others or grows memory). Replies
(hello, acks, errors) wait in their own small queue and go first. The relay sends one message at a
time; a send that makes no progress for ``stall_timeout_s`` means the client has stopped reading,
and the connection is aborted (python-websockets, docs/topics/broadcast.rst: a queue and a relay
task per client).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from posetalk.server.protocol import Subscribe

log = logging.getLogger(__name__)

# Replies pile up only if a client sends requests much faster than it reads the answers.
MAX_PENDING_REPLIES = 64


class ClientSession:
    """Server-side state of one connection.

    Attributes:
        connection: the WebSocket connection.
        subscription: the client's channels and format, None until it subscribes.
        shape_version_sent: the identity version last sent to this client (-1: none yet).
        dropped: frames dropped from this client's queue because it read too slowly.
        sent: frames sent.
    """

    def __init__(self, connection: ServerConnection, queue_frames: int, stall_timeout_s: float) -> None:
        self.connection = connection
        self.subscription: Subscribe | None = None
        self.shape_version_sent = -1
        self.dropped = 0
        self.sent = 0
        self._stall_timeout_s = stall_timeout_s
        self._frames: deque[tuple[bytes | str, int | None]] = deque(maxlen=queue_frames)
        self._replies: deque[str] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def push_frame(self, payload: bytes | str, shape_version: int | None) -> None:
        """Queue a frame; ``shape_version`` is set when the payload carries the identity shape."""
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1
        self._frames.append((payload, shape_version))
        self._signal()

    def push_reply(self, message: dict[str, Any]) -> None:
        """Queue a protocol message (never dropped); abort a client that lets them pile up."""
        if len(self._replies) >= MAX_PENDING_REPLIES:
            log.warning("client %s does not read its replies; closing", self.connection.remote_address)
            self.abort()
            return
        self._replies.append(json.dumps(message, separators=(",", ":")))
        self._signal()

    def _signal(self) -> None:
        self._idle.clear()
        self._wake.set()

    def abort(self) -> None:
        """Drop the connection at once (no closing handshake: the client is not reading)."""
        if self.connection.transport is not None:
            self.connection.transport.abort()

    async def relay(self) -> None:
        """Send queued messages until the connection closes; abort a client that stays stuck."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._replies or self._frames:
                    if self._replies:
                        await self._send(self._replies.popleft())
                        continue
                    payload, shape_version = self._frames.popleft()
                    await self._send(payload)
                    self.sent += 1
                    if shape_version is not None:
                        self.shape_version_sent = max(self.shape_version_sent, shape_version)
                self._idle.set()
        except TimeoutError:
            log.warning("client %s stalled for %.1f s; closing", self.connection.remote_address, self._stall_timeout_s)
            self.abort()
        except ConnectionClosed:
            pass

    async def _send(self, payload: bytes | str) -> None:
        await asyncio.wait_for(self.connection.send(payload), self._stall_timeout_s)

    async def drain(self) -> None:
        """Wait until everything queued so far has been sent."""
        await self._idle.wait()
