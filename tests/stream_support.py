"""Shared parts of the stream tests: coefficients, a synthetic head, a running server, raw sockets."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from posetalk.mapping import EyeMotion, FaceMapper, fit_arkit_map
from posetalk.pipeline.coefficients_file import CoefficientSequence
from posetalk.rig.flame import FlameModel, load_flame
from posetalk.server import HeadMesh, PlaybackSource, ServerConfig, StreamServer
from posetalk.server.sources import FrameSource
from tests.conftest import REPO, SHARED_FIXTURES

sys.path.insert(0, str(REPO / "clients" / "python"))

FLAME_FIXTURE = SHARED_FIXTURES / "flame" / "flame_synthetic_plain.pkl"
TOKEN = "test-token"


def coefficients(n_frames: int, seed: int = 0) -> CoefficientSequence:
    """Smoothly varying coefficients (a distinct value per frame, so frames can be told apart)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_frames)[:, None] / 25.0
    exp = np.sin(2 * np.pi * (0.5 + rng.random((1, 50))) * t + rng.random((1, 50)) * 6).astype(np.float32)
    pose = np.zeros((n_frames, 6), np.float32)
    pose[:, 1] = 0.3 * np.sin(2 * np.pi * 0.4 * t[:, 0])
    pose[:, 3] = 0.15 * (1 + np.sin(2 * np.pi * 3 * t[:, 0]))
    shape = np.broadcast_to(rng.normal(size=100).astype(np.float32), (n_frames, 100)).copy()
    return CoefficientSequence(exp, pose, shape, 25)


def synthetic_head() -> FlameModel:
    return load_flame(FLAME_FIXTURE)


def dense_head(n_vertices: int) -> FlameModel:
    """The synthetic head's rig with many extra vertices (rigid on the root): heavy frames."""
    base = synthetic_head()
    rng = np.random.default_rng(1)
    extra = n_vertices - base.n_vertices
    weights = np.zeros((extra, 5))
    weights[:, 0] = 1
    return replace(
        base,
        v_template=np.concatenate([base.v_template, rng.normal(scale=0.1, size=(extra, 3))]),
        shapedirs=np.concatenate([base.shapedirs, np.zeros((extra, 3, 100))]),
        exprdirs=np.concatenate([base.exprdirs, np.zeros((extra, 3, 50))]),
        posedirs=np.concatenate([base.posedirs, np.zeros((extra, 3, 36))]),
        j_regressor=np.concatenate([base.j_regressor, np.zeros((5, extra))], axis=1),
        lbs_weights=np.concatenate([base.lbs_weights, weights]),
    )


def paused_playback(n_frames: int, loop: bool = False) -> PlaybackSource:
    """A params source that waits for a ``resume`` control, so every client sees frame 0."""
    source = PlaybackSource(coefficients(n_frames), "params", loop=loop)
    source.pacer.pause()
    return source


@asynccontextmanager
async def running_server(
    source: FrameSource, head: FlameModel | None = None, **config: object
) -> AsyncIterator[StreamServer]:
    """A real server on a free loopback port (``config`` overrides ServerConfig fields)."""
    head = head if head is not None else synthetic_head()
    settings = ServerConfig(**{"port": 0, "token": TOKEN, **config})  # type: ignore[arg-type]
    mapper = FaceMapper(fit_arkit_map(head, "test head"), EyeMotion(seed=3))
    server = StreamServer(settings, source, mapper, HeadMesh(head, "test head"))
    task = asyncio.create_task(server.run())
    started = asyncio.create_task(server.started.wait())
    await asyncio.wait([task, started], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield server
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def url(server: StreamServer) -> str:
    return f"ws://127.0.0.1:{server.port}/"


def stalled_websocket(port: int, subscribe_text: str) -> socket.socket:
    """A client that completes the handshake, subscribes, then never reads again.

    Its receive buffer is made tiny, so the server's writes back up quickly.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    assert response.startswith(b"HTTP/1.1 101"), response
    sock.sendall(masked_text_frame(subscribe_text))
    return sock


def masked_text_frame(text: str) -> bytes:
    """One client-to-server WebSocket text frame (RFC 6455 §5.2, masked, payload < 64 KiB)."""
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    header = bytes([0x81, 0x80 | length]) if length < 126 else bytes([0x81, 0x80 | 126]) + length.to_bytes(2, "big")
    return header + mask + masked


def start_serve(*args: str | Path, port: int = 0) -> tuple[subprocess.Popen, int]:
    """Start ``posetalk serve`` (``port`` 0: a free one); return the process and its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "posetalk", "serve", "--port", str(port), *map(str, args)],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        found = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
        if found:
            return process, int(found.group(1))
    process.wait(10)
    raise AssertionError(f"serve exited with {process.returncode} before listening")
