"""WebSocket parameter stream: the protocol v1 server (docs/protocol.md).

:class:`StreamServer` streams a :class:`FrameSource` to WebSocket clients; sources:
:class:`PlaybackSource` (saved coefficients or an inferred file, played in real time) and
:class:`EngineSource` (the streaming engine, fed by the microphone or by audio clients send).
"""

from posetalk.server.app import StreamServer
from posetalk.server.config import ServerConfig
from posetalk.server.engine_source import EngineSource
from posetalk.server.mesh import HeadMesh
from posetalk.server.sources import FrameSource, PlaybackSource

__all__ = [
    "EngineSource",
    "FrameSource",
    "HeadMesh",
    "PlaybackSource",
    "ServerConfig",
    "StreamServer",
]
