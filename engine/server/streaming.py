"""Live sources: the streaming engine (engine.stream) behind the server's FrameSource interface.

The engine runs on its own threads (scheduler and pacer) and publishes frames on a
:class:`~engine.stream.bus.FrameBus`; a forwarding thread hands them to the event loop with
``loop.call_soon_threadsafe``. Its audio comes from the microphone (``--source mic``) or from
clients (``--source network``, through a :class:`~engine.audio.sources.PushSource`). Controls map
onto the engine's live controls: pause/resume, identity, style (blended over 0.5 s of audio) and
guidance scales.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Mapping
from queue import Empty
from typing import Any, Literal

import numpy as np

from engine.audio.sources import AudioSource, PushSource
from engine.server.ingest import Utterance
from engine.server.protocol import AudioStart, Control, ControlAction, ProtocolError
from engine.server.styles import blend_styles
from engine.stream.engine import StreamingEngine
from engine.stream.frame import Frame

# Frames waiting for the event loop; more only pile up if the loop stalls, and the oldest go.
LOOP_QUEUE_FRAMES = 50


class StreamingSource:
    """Frames of the streaming engine, live, as an async iterator (see the module docstring)."""

    def __init__(
        self,
        engine: StreamingEngine,
        audio: AudioSource,
        kind: Literal["mic", "network"],
        styles: Mapping[str, np.ndarray],
    ) -> None:
        self.kind = kind
        self.engine = engine
        self.audio = audio
        self.styles = dict(styles)
        self._base_shape = engine.shape.copy()
        self._utterances = 0

    async def frames(self) -> AsyncIterator[Frame]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Frame | None] = asyncio.Queue()
        subscription = self.engine.bus.subscribe()
        stop = threading.Event()

        def offer(frame: Frame | None) -> None:
            if frame is not None and queue.qsize() >= LOOP_QUEUE_FRAMES:
                queue.get_nowait()
            queue.put_nowait(frame)

        def forward() -> None:
            while not stop.is_set():
                try:
                    frame = subscription.get(timeout=0.1)
                except Empty:
                    continue
                loop.call_soon_threadsafe(offer, frame)
                if frame is None:
                    return

        self.audio.start(self.engine.ring)
        self.engine.start()
        forwarder = threading.Thread(target=forward, name="posetalk-server-forward", daemon=True)
        forwarder.start()
        try:
            while (frame := await queue.get()) is not None:
                yield frame
        finally:
            stop.set()
            subscription.close()
            await asyncio.to_thread(self._shut_down, forwarder)

    def _shut_down(self, forwarder: threading.Thread) -> None:
        self.audio.stop()
        self.engine.stop()
        forwarder.join(timeout=5)

    def open_utterance(self, start: AudioStart) -> Utterance:
        if not isinstance(self.audio, PushSource):
            raise ProtocolError("unsupported", f"the {self.kind} source takes no audio")
        self._utterances += 1
        return Utterance(start, self.audio, self._utterances)

    def supported_controls(self) -> tuple[ControlAction, ...]:
        return ("pause", "resume", "shape", "style", "guidance")

    def control(self, request: Control) -> dict[str, Any]:
        engine, params = self.engine, request.params
        if request.action == "pause":
            engine.pause()
        elif request.action == "resume":
            engine.resume()
        elif request.action == "shape":
            engine.set_shape(self._base_shape if params["shape"] is None else np.asarray(params["shape"], np.float32))
        elif request.action == "style":
            try:
                engine.set_style(blend_styles(self.styles, params["blend"], request.request_id))
            except ValueError as error:
                raise ProtocolError("bad_message", str(error), request.request_id) from None
        elif request.action == "guidance":
            engine.set_guidance(audio=params.get("audio"), style=params.get("style"))
        return {"paused": engine.paused}

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "styles": sorted(self.styles)}
