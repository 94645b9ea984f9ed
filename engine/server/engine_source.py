"""The streaming engine as a server frame source: live frames out, control requests in.

The engine runs on its own threads and publishes to its frame bus; this source subscribes and
hands frames to the event loop through a worker thread, so the loop never blocks on the engine.
Whoever builds the source starts and stops the engine and its audio. With a :class:`PushSource`
(``posetalk serve --source network``) clients' audio chunks are pushed into it as they arrive.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from posetalk.audio.sources import PushSource
from posetalk.errors import PosetalkError
from posetalk.server.ingest import PushIngest
from posetalk.server.protocol import Control, ControlAction, ProtocolError
from posetalk.stream.engine import StreamingEngine
from posetalk.stream.frame import Frame

ENGINE_CONTROLS: tuple[ControlAction, ...] = ("pause", "resume", "style", "guidance", "shape")
STYLE_TRANSITION_S = 0.5
"""Style changes from clients blend over this many seconds of audio, so the face never jumps."""


class EngineSource:
    """Frames of a running :class:`StreamingEngine`; ``kind`` names its audio (e.g. "mic")."""

    def __init__(
        self, engine: StreamingEngine, kind: str, queue_frames: int = 50, push: PushSource | None = None
    ) -> None:
        self.engine = engine
        self.kind = kind
        self.subscription = engine.bus.subscribe(queue_frames)
        self.audio_sink = PushIngest(push) if push is not None else None

    async def frames(self) -> AsyncIterator[Frame]:
        while True:
            try:
                frame = await asyncio.to_thread(self.subscription.get, 0.5)
            except queue.Empty:
                continue
            if frame is None:
                return
            yield frame

    def supported_controls(self) -> tuple[ControlAction, ...]:
        return ENGINE_CONTROLS

    def control(self, request: Control) -> dict[str, Any]:
        engine, params = self.engine, request.params
        try:
            if request.action == "pause":
                engine.pause()
                return {"paused": True}
            if request.action == "resume":
                engine.resume()
                return {"paused": False}
            if request.action == "style":
                engine.blend_styles(params["blend"], STYLE_TRANSITION_S)
            elif request.action == "guidance":
                engine.set_guidance(params.get("audio"), params.get("style"))
            elif request.action == "shape":
                shape = params["shape"]
                engine.set_shape(engine.default_shape if shape is None else np.asarray(shape, np.float32))
        except (ValueError, PosetalkError) as error:
            raise ProtocolError("bad_message", str(error), request.request_id) from None
        return {}

    def describe(self) -> dict[str, Any]:
        presets = self.engine.presets
        return {"kind": self.kind, "styles": presets.names() if presets is not None else [], "live": True}
