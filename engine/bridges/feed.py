"""Frames with their mapped outputs, the input of every bridge."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
