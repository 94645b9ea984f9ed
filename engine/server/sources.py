"""Frame sources: what the server streams. A source yields :class:`Frame` objects at the frame rate.

The interface is an async iterator plus control handling, so the streaming engine (a model running
on its own thread) plugs in by implementing :class:`FrameSource` and handing frames to the event
loop from a worker thread. Sources here: :class:`PlaybackSource` plays precomputed coefficients in
real time (``--params`` and ``--source FILE``); the live one (the streaming engine, fed by the
microphone or by clients' audio) is :class:`posetalk.server.engine_source.EngineSource`. Coefficients are
:class:`~posetalk.pipeline.coefficients_file.CoefficientSequence` (the ``posetalk infer`` format).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from posetalk.pipeline.coefficients_file import CoefficientSequence
from posetalk.server.protocol import Control, ControlAction, ProtocolError
from posetalk.stream.frame import Frame

if TYPE_CHECKING:
    from posetalk.server.ingest import PushIngest

FPS = 25
SourceKind = Literal["params", "file"]


class FrameSource(Protocol):
    """What the server streams from.

    Attributes:
        kind: what the frames come from (in ``hello``).
        audio_sink: where clients' audio goes (``--source network``), None if the source takes none.
    """

    kind: str
    audio_sink: PushIngest | None

    def frames(self) -> AsyncIterator[Frame]:
        """Frames in seq order, at the frame rate; the iterator ends when the source does."""
        ...

    def supported_controls(self) -> tuple[ControlAction, ...]:
        """The control actions :meth:`control` accepts."""
        ...

    def control(self, request: Control) -> dict[str, Any]:
        """Apply a control request; return the ack's extra fields. Raise ProtocolError to refuse."""
        ...

    def describe(self) -> dict[str, Any]:
        """The source's part of the ``hello`` message."""
        ...


class Pacer:
    """Turns coefficients into frames in real time: seq counts on, pause/resume, identity override.

    One pacer per stream; ``seq`` and the audio clock continue across calls of :meth:`play`.
    """

    def __init__(self, fps: int = FPS) -> None:
        self.fps = fps
        self.seq = 0
        self.shape_override: np.ndarray | None = None
        self._running = asyncio.Event()
        self._running.set()
        self._next_deadline: float | None = None

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    async def _wait_turn(self) -> None:
        """Sleep until this frame's slot; after a pause (or at the start) the schedule restarts."""
        loop = asyncio.get_running_loop()
        if not self._running.is_set():
            await self._running.wait()
            self._next_deadline = None
        now = loop.time()
        if self._next_deadline is None:
            self._next_deadline = now
        elif self._next_deadline > now:
            await asyncio.sleep(self._next_deadline - now)
        self._next_deadline += 1.0 / self.fps

    async def play(self, motion: CoefficientSequence, audio_start: float) -> AsyncIterator[Frame]:
        """Frames of ``motion``; frame i is stamped ``audio_start + i / fps`` seconds of audio."""
        for index in range(len(motion)):
            await self._wait_turn()
            shape = motion.shape[index] if self.shape_override is None else self.shape_override
            yield Frame(
                seq=self.seq,
                audio_time=audio_start + index / self.fps,
                wall_time=time.time(),
                exp=motion.exp[index],
                pose=motion.pose[index],
                shape=shape,
            )
            self.seq += 1

    def control(self, request: Control) -> dict[str, Any]:
        """Handle pause, resume and shape; other actions raise ProtocolError('unsupported')."""
        if request.action == "pause":
            self.pause()
        elif request.action == "resume":
            self.resume()
        elif request.action == "shape":
            shape = request.params["shape"]
            self.shape_override = None if shape is None else np.asarray(shape, dtype=np.float32)
        else:
            raise ProtocolError(
                "unsupported", f"this source does not support {request.action!r}", request.request_id
            )
        return {"paused": self.paused}


PACER_CONTROLS: tuple[ControlAction, ...] = ("pause", "resume", "shape")


class PlaybackSource:
    """Precomputed coefficients played in real time: ``--params FILE`` or an inferred audio file.

    Frame i has seq i (counting on over loops) and audio time seq / fps.
    """

    def __init__(self, motion: CoefficientSequence, kind: SourceKind, fps: int = FPS, loop: bool = False) -> None:
        self.kind = kind
        self.audio_sink: PushIngest | None = None
        self.motion = motion
        self.loop = loop
        self.pacer = Pacer(fps)

    async def frames(self) -> AsyncIterator[Frame]:
        while True:
            async for frame in self.pacer.play(self.motion, self.pacer.seq / self.pacer.fps):
                yield frame
            if not self.loop:
                return

    def supported_controls(self) -> tuple[ControlAction, ...]:
        return PACER_CONTROLS

    def control(self, request: Control) -> dict[str, Any]:
        return self.pacer.control(request)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "frames": len(self.motion), "loop": self.loop, "styles": []}
