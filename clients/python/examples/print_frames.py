"""Print the mouth opening and head yaw of every frame of a running `posetalk serve`.

    python clients/python/examples/print_frames.py ws://127.0.0.1:8765/
"""

from __future__ import annotations

import asyncio
import sys
import time

from posetalk_client import open_stream


async def main(url: str) -> None:
    async with open_stream(url) as stream:
        print(f"connected: posetalk {stream.hello['version']}, {stream.hello['fps']} fps, source {stream.hello['source']['kind']}")
        await stream.subscribe(["arkit", "head"], format="binary")
        jaw_open = stream.arkit_names.index("jawOpen")
        async for frame in stream.frames():
            latency_ms = (time.time() - frame.wall) * 1000
            print(f"seq {frame.seq:6d}  t {frame.t:8.2f} s  jawOpen {frame.arkit[jaw_open]:.2f}  "
                  f"yaw {frame.head[5]:+6.1f}°  latency {latency_ms:5.1f} ms")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8765/"))
