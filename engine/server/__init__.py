"""WebSocket parameter stream: the protocol v1 server (docs/protocol.md).

:class:`StreamServer` streams a :class:`FrameSource` to WebSocket clients; sources:
:class:`PlaybackSource` (saved coefficients or an inferred file, played in real time) and
:class:`EngineSource` (the streaming engine, fed by the microphone or by audio clients send).
"""

from engine.server.app import StreamServer
from engine.server.config import ServerConfig
from engine.server.engine_source import EngineSource
from engine.server.mesh import HeadMesh
from engine.server.sources import FrameSource, PlaybackSource

__all__ = [
    "EngineSource",
    "FrameSource",
    "HeadMesh",
    "PlaybackSource",
    "ServerConfig",
    "StreamServer",
]
