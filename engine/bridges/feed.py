"""Frames with their mapped outputs, the input of every bridge."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

from posetalk.mapping import FaceMapper, FaceOutputs
from posetalk.server.sources import FrameSource
from posetalk.stream.frame import Frame


@dataclass(frozen=True, eq=False)
class MappedFrame:
    frame: Frame
    outputs: FaceOutputs


async def mapped_frames(source: FrameSource, mapper: FaceMapper) -> AsyncIterator[MappedFrame]:
    """The source's frames, each mapped once (ARKit, VRM, head)."""
    async for frame in source.frames():
        yield MappedFrame(frame, mapper.map(frame))


def relay(frames: Iterable[Frame], mapper: FaceMapper, send: Callable[[MappedFrame], None]) -> None:
    """Map each of ``frames`` (a frame-bus subscription, say) once and hand it to ``send``, until
    they end; blocking, so run it on a thread of its own."""
    for frame in frames:
        send(MappedFrame(frame, mapper.map(frame)))
