"""An asyncio client: connect, subscribe, iterate over frames, send controls and audio."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from posetalk_client.frames import StreamFrame, decode_binary, decode_json

Format = Literal["json", "binary"]
Encoding = Literal["pcm_s16le", "pcm_f32le"]


class StreamError(Exception):
    """An ``error`` message from the server (``code`` as in protocol v1)."""

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(f"{message.get('code')}: {message.get('message')}")
        self.code = message.get("code")


@dataclass(frozen=True)
class UtteranceStart:
    """The server's acknowledgement of ``audio_start``: where the utterance goes on the audio clock.

    Attributes:
        index: the utterance's number, which its frames carry as ``StreamFrame.utterance``.
        start: the audio-clock time, in seconds (the clock of the frames' ``t``), at which the
            utterance's first sample lies if it is sent at once after the ack (within the server's
            0.1 s jitter allowance). Its sample at offset o then lies at ``start + o``: play it
            when the frame with ``t == start + o`` is shown. None from servers that do not say.
    """

    index: int | None
    start: float | None


_END = object()


class StreamClient:
    """One connection. A reader task routes frames to :meth:`frames` and replies to requests.

    Attributes:
        hello: the server's ``hello`` message.
        dropped: frames this client discarded because the application read too slowly.
    """

    def __init__(self, connection: ClientConnection, hello: dict[str, Any], queue_frames: int) -> None:
        self.connection = connection
        self.hello = hello
        self.dropped = 0
        self.errors: list[dict[str, Any]] = []
        self._frames: deque[StreamFrame | object] = deque()
        self._queue_frames = queue_frames
        self._wake = asyncio.Event()
        self._waiters: deque[tuple[Callable[[dict[str, Any]], bool], asyncio.Future[dict[str, Any]]]] = deque()
        self._reader = asyncio.create_task(self._read())

    @property
    def arkit_names(self) -> list[str]:
        return self.hello["channels"]["arkit"]["names"]

    @property
    def vrm_names(self) -> list[str]:
        return self.hello["channels"]["vrm"]["names"]

    async def _read(self) -> None:
        try:
            async for message in self.connection:
                if isinstance(message, bytes):
                    self._push(decode_binary(message))
                    continue
                parsed = json.loads(message)
                if parsed.get("type") == "frame":
                    self._push(decode_json(parsed))
                elif parsed.get("type") == "end":
                    self._push(_END, drop=False)
                else:
                    self._reply(parsed)
        except ConnectionClosed:
            pass
        finally:
            self._push(_END, drop=False)
            for _, future in self._waiters:
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))

    def _push(self, item: StreamFrame | object, drop: bool = True) -> None:
        if drop and len(self._frames) >= self._queue_frames:
            self._frames.popleft()
            self.dropped += 1
        self._frames.append(item)
        self._wake.set()

    def _reply(self, message: dict[str, Any]) -> None:
        for entry in self._waiters:
            matches, future = entry
            if matches(message):
                self._waiters.remove(entry)
                if message.get("type") == "error":
                    future.set_exception(StreamError(message))
                else:
                    future.set_result(message)
                return
        if message.get("type") == "error":
            self.errors.append(message)

    async def _request(self, message: dict[str, Any], matches: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((matches, future))
        await self.connection.send(json.dumps(message))
        return await future

    async def subscribe(self, channels: list[str], format: Format = "json") -> dict[str, Any]:
        """Subscribe; returns the ``subscribed`` message (raises StreamError on an ``error``)."""
        return await self._request(
            {"type": "subscribe", "channels": channels, "format": format},
            lambda m: m.get("type") in ("subscribed", "error") and "id" not in m,
        )

    async def control(self, action: str, token: str, request_id: int | str, **fields: Any) -> dict[str, Any]:
        """Send a control request; returns its ``ack`` (raises StreamError on an ``error``)."""
        return await self._request(
            {"type": "control", "action": action, "token": token, "id": request_id, **fields},
            lambda m: m.get("id") == request_id,
        )

    async def start_utterance(
        self, token: str, sample_rate: int = 16000, encoding: Encoding = "pcm_s16le"
    ) -> UtteranceStart:
        """Begin an utterance of mono PCM (``audio_start``) on a ``--source network`` server; send
        its audio with :meth:`send_audio` and close it with :meth:`end_utterance`. Returns the
        ack's index and start time (raises StreamError on an ``error``)."""
        ack = await self._request(
            {"type": "audio_start", "token": token, "sample_rate": sample_rate, "encoding": encoding},
            lambda m: m.get("action") == "audio_start" or m.get("type") == "error",
        )
        return UtteranceStart(ack.get("index"), ack.get("start"))

    async def send_audio(self, pcm: bytes) -> None:
        """Send one chunk of the open utterance's PCM (a whole number of samples)."""
        await self.connection.send(pcm)

    async def end_utterance(self) -> dict[str, Any]:
        """Close the open utterance (``audio_end``); returns the ``utterance`` reply."""
        return await self._request(
            {"type": "audio_end"}, lambda m: m.get("type") in ("utterance", "error") and "id" not in m
        )

    async def send_utterance(
        self,
        pcm: bytes,
        token: str,
        sample_rate: int = 16000,
        encoding: Encoding = "pcm_s16le",
        chunk_seconds: float = 0.1,
        realtime: bool = True,
        on_start: Callable[[UtteranceStart], None] | None = None,
    ) -> dict[str, Any]:
        """Stream one utterance of mono PCM to a ``--source network`` server, in chunks of
        ``chunk_seconds``, paced in real time unless ``realtime`` is False (audio already recorded
        may go faster: the server plays it as it comes due). ``on_start`` is called with the ack
        before the first chunk goes (to schedule the local playback). Returns the ``utterance``
        reply."""
        started_at = await self.start_utterance(token, sample_rate, encoding)
        if on_start is not None:
            on_start(started_at)
        width = 2 if encoding == "pcm_s16le" else 4
        chunk_bytes = max(1, int(chunk_seconds * sample_rate)) * width
        loop = asyncio.get_running_loop()
        started = loop.time()
        for index, start in enumerate(range(0, len(pcm), chunk_bytes)):
            if realtime:
                await asyncio.sleep(max(0.0, started + index * chunk_seconds - loop.time()))
            await self.send_audio(pcm[start : start + chunk_bytes])
        return await self.end_utterance()

    async def frames(self) -> AsyncIterator[StreamFrame]:
        """Frames as they arrive, until the stream ends or the connection closes."""
        while True:
            while not self._frames:
                self._wake.clear()
                await self._wake.wait()
            item = self._frames.popleft()
            if item is _END:
                self._frames.appendleft(_END)
                return
            yield item  # type: ignore[misc]

    async def close(self) -> None:
        await self.connection.close()
        await self._reader


@asynccontextmanager
async def open_stream(
    url: str, token: str | None = None, origin: str | None = None, queue_frames: int = 250
) -> AsyncIterator[StreamClient]:
    """Connect and read ``hello``. ``token`` is sent as ``Authorization: Bearer`` (needed when the
    server is bound beyond loopback); ``queue_frames`` bounds the frames buffered client-side."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with connect(url, additional_headers=headers, origin=origin, compression=None, max_size=None) as connection:
        hello = json.loads(await connection.recv())
        if hello.get("type") == "error":
            raise StreamError(hello)
        if hello.get("type") != "hello":
            raise StreamError({"code": "bad_state", "message": f"expected hello, got {hello.get('type')}"})
        client = StreamClient(connection, hello, queue_frames)
        try:
            yield client
        finally:
            await client.close()
