"""Client for the posetalk parameter stream, protocol v1 (docs/protocol.md in the posetalk repo).

    async with open_stream("ws://127.0.0.1:8765/") as stream:
        await stream.subscribe(["flame", "arkit"], format="binary")
        async for frame in stream.frames():
            print(frame.seq, frame.arkit[stream.arkit_names.index("jawOpen")])
"""

from posetalk_client.client import StreamClient, StreamError, UtteranceStart, open_stream
from posetalk_client.frames import StreamFrame, decode_binary, decode_json

__all__ = [
    "StreamClient", "StreamError", "StreamFrame", "UtteranceStart", "decode_binary", "decode_json", "open_stream",
]
