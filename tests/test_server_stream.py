"""The server with several real clients over loopback: JSON and binary, slow and stalled clients."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from tests.stream_support import (
    TOKEN,
    coefficients,
    dense_head,
    paused_playback,
    running_server,
    stalled_websocket,
    url,
)

from posetalk_client import StreamFrame, open_stream  # noqa: E402  (path set by stream_support)

N_FRAMES = 40


async def collect(server_url: str, channels: list[str], fmt: str) -> list[StreamFrame]:
    async with open_stream(server_url) as stream:
        await stream.subscribe(channels, format=fmt)
        return [frame async for frame in stream.frames()]


def test_every_client_gets_every_frame_in_order() -> None:
    expected = coefficients(N_FRAMES)

    async def scenario() -> list[list[StreamFrame]]:
        async with running_server(paused_playback(N_FRAMES)) as server:
            readers = [
                asyncio.create_task(collect(url(server), ["flame", "arkit", "vrm", "head"], fmt))
                for fmt in ("json", "binary", "json", "binary")
            ]
            while sum(s.subscription is not None for s in server.clients) < len(readers):
                await asyncio.sleep(0.01)
            async with open_stream(url(server)) as controller:
                ack = await controller.control("resume", TOKEN, 1)
                assert ack == {"type": "ack", "id": 1, "action": "resume", "paused": False}
            return await asyncio.wait_for(asyncio.gather(*readers), 30)

    received = asyncio.run(scenario())
    for frames in received:
        assert [f.seq for f in frames] == list(range(N_FRAMES))
        assert [f.t for f in frames] == pytest.approx([i / 25 for i in range(N_FRAMES)])
        np.testing.assert_allclose(np.stack([f.exp for f in frames]), expected.exp, atol=1e-5)
        np.testing.assert_allclose(np.stack([f.pose for f in frames]), expected.pose, atol=1e-5)
        # Identity only in the first frame after subscribing (it never changes here).
        np.testing.assert_allclose(frames[0].shape, expected.shape[0], atol=1e-5)
        assert all(f.shape is None for f in frames[1:])
        arkit = np.stack([f.arkit for f in frames])
        assert arkit.shape == (N_FRAMES, 52) and arkit.min() >= 0 and arkit.max() <= 1
        assert np.stack([f.vrm for f in frames]).shape == (N_FRAMES, 18)
        quaternions = np.stack([f.head[:4] for f in frames])
        np.testing.assert_allclose(np.linalg.norm(quaternions, axis=1), 1, atol=1e-5)
        assert all(a.wall <= b.wall for a, b in zip(frames, frames[1:]))
    # JSON (5 decimals) and binary clients see the same values.
    for json_frames, binary_frames in ((received[0], received[1]), (received[2], received[3])):
        for a, b in zip(json_frames, binary_frames):
            np.testing.assert_allclose(a.arkit, b.arkit, atol=1e-5)
            np.testing.assert_allclose(a.head, b.head, atol=1e-4)


def test_stalled_client_is_shed_without_disturbing_the_others() -> None:
    n_frames = 75

    async def scenario() -> tuple[list[list[StreamFrame]], int, list[int]]:
        # Heavy vertex frames fill the stalled client's socket within a few frames.
        async with running_server(
            paused_playback(n_frames), head=dense_head(6000), stall_timeout_s=1.0, queue_frames=50
        ) as server:
            readers = [asyncio.create_task(collect(url(server), ["flame", "head"], "binary")) for _ in range(3)]
            subscribe = json.dumps({"type": "subscribe", "channels": ["vertices", "flame"], "format": "json"})
            stalled = await asyncio.to_thread(stalled_websocket, server.port, subscribe)
            while sum(s.subscription is not None for s in server.clients) < 4:
                await asyncio.sleep(0.01)
            queued_peak: list[int] = []
            async with open_stream(url(server)) as controller:
                await controller.control("resume", TOKEN, "go")
                while len(server.clients) > 4:  # the controller is the fifth
                    queued_peak.append(max(len(s._frames) for s in server.clients))
                    await asyncio.sleep(0.02)
                shed_at = server.last_seq
            received = await asyncio.wait_for(asyncio.gather(*readers), 30)
            stalled.close()
            return received, shed_at, queued_peak

    received, shed_at, queued_peak = asyncio.run(scenario())
    assert shed_at < n_frames - 1, "the stalled client was only dropped at the end of the stream"
    assert max(queued_peak) <= 50  # the stalled client's queue stays bounded
    for frames in received:
        assert [f.seq for f in frames] == list(range(n_frames))


def test_client_limit_answers_server_full() -> None:
    from posetalk_client import StreamError

    async def scenario() -> str:
        async with running_server(paused_playback(5), max_clients=2) as server:
            async with open_stream(url(server)), open_stream(url(server)):
                with pytest.raises(StreamError) as refused:
                    async with open_stream(url(server)):
                        pass
                return refused.value.code

    assert asyncio.run(scenario()) == "server_full"


def test_pause_resume_and_identity_control() -> None:
    async def scenario() -> list[StreamFrame]:
        async with running_server(paused_playback(200)) as server:
            async with open_stream(url(server)) as stream:
                await stream.subscribe(["flame"], "binary")
                await stream.control("resume", TOKEN, 1)
                frames = []
                async for frame in stream.frames():
                    frames.append(frame)
                    if len(frames) == 3:
                        await stream.control("shape", TOKEN, 2, shape=[0.25] * 100)
                    if frames[-1].shape is not None and frames[-1].seq > 0:
                        break
                ack = await stream.control("pause", TOKEN, 3)
                assert ack["paused"] is True
                seq_at_pause = server.last_seq
                await asyncio.sleep(0.3)
                assert server.last_seq <= seq_at_pause + 1
                return frames

    frames = asyncio.run(scenario())
    np.testing.assert_allclose(frames[-1].shape, 0.25)
    assert [f.seq for f in frames] == list(range(len(frames)))
