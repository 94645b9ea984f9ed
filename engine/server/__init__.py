"""WebSocket parameter stream: the protocol v1 server (docs/protocol.md).

:class:`StreamServer` streams a :class:`FrameSource` to WebSocket clients; sources:
:class:`PlaybackSource` (saved coefficients or an inferred file, played in real time) and
:class:`NetworkSource` (audio sent by clients).
"""

from engine.server.app import StreamServer
from engine.server.config import ServerConfig
from engine.server.ingest import InferenceSettings, NetworkSource
from engine.server.mesh import HeadMesh
from engine.server.sources import FrameSource, PlaybackSource

__all__ = [
    "FrameSource",
    "HeadMesh",
    "InferenceSettings",
    "NetworkSource",
    "PlaybackSource",
    "ServerConfig",
    "StreamServer",
]
