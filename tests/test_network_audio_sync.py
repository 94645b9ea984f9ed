"""Synchronised network audio: utterances streamed to a real server (network source, the fixture
model) over real WebSockets, and the utterance and offset their frames carry.

The check that ties offsets to the audio is the engine's silence gate: after a long silence it
holds the face at rest, and it opens in the first frame whose 40 ms of audio holds sound. Each
utterance is silence with a loud burst at a known offset, so the frame where the face jumps must
say that offset, to within half a frame."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pytest

from posetalk.server.timeline import Span, UtterancePosition, UtteranceTimeline
from tests.conftest import SHARED_FIXTURES
from tests.stream_support import TOKEN, running_server, url

from posetalk_client import StreamClient, StreamFrame, UtteranceStart, open_stream  # noqa: E402

if TYPE_CHECKING:
    from posetalk.server import EngineSource

MODEL_DIR = SHARED_FIXTURES / "official" / "base"
RATE = 24000  # the server resamples to 16 kHz: offsets must count the audio's own seconds
FPS = 25
FRAME_S = 1 / FPS
DURATION_S = 1.0
BURST_S = 0.15
JITTER_S = 0.3  # the push source's allowance, generous for a loaded test machine
SAMPLE_S = 1 / 16000


def test_timeline_joins_chunks_and_leaves_gaps_out() -> None:
    timeline = UtteranceTimeline()
    timeline.add(Span(1, 10.0, 0.0, 0.125))
    timeline.add(Span(1, 10.125, 0.125, 0.125))  # back to back: one stretch
    timeline.add(Span(1, 10.5, 0.25, 0.25))  # late: silence was inserted before it
    timeline.add(Span(2, 10.75, 0.0, 0.5))  # the next utterance, queued right after
    assert timeline.locate(9.875) is None
    assert timeline.locate(10.1875) == UtterancePosition(1, 0.1875)
    assert timeline.locate(10.375) is None
    assert timeline.locate(10.625) == UtterancePosition(1, 0.375)
    assert timeline.locate(10.75) == UtterancePosition(2, 0.0)
    assert timeline.locate(11.25) is None


def burst_clip(burst_at: float) -> bytes:
    """DURATION_S of 16-bit PCM at RATE: silence with a loud 220 Hz burst of BURST_S at ``burst_at`` s."""
    t = np.arange(int(DURATION_S * RATE)) / RATE
    burst = (t >= burst_at) & (t < burst_at + BURST_S)
    return (0.5 * 32767 * np.sin(2 * np.pi * 220 * t) * burst).astype("<i2").tobytes()


async def frames_through(stream: StreamClient, index: int) -> list[StreamFrame]:
    """The frames received until the last one of utterance ``index``."""
    frames = []
    async for frame in stream.frames():
        frames.append(frame)
        if frame.utterance == index and frame.utterance_offset > DURATION_S - FRAME_S:
            return frames
    raise AssertionError(f"the stream ended before utterance {index} did")


async def speak(server_url: str) -> tuple[list[UtteranceStart], list[dict], list[StreamFrame], list[StreamFrame]]:
    """Three utterances from one client (JSON frames) while another watches (binary frames): one
    in real time, one sent at once right after it (queued behind it), and after a pause one whose
    second half comes late. Returns the acks, the replies and both clients' frames."""
    async with open_stream(server_url, queue_frames=5000) as sender, open_stream(server_url, queue_frames=5000) as watcher:
        await sender.subscribe(["flame"], "json")
        await watcher.subscribe(["flame"], "binary")
        received = 0
        async for _ in sender.frames():  # a second of silence first: the engine is warm, the face at rest
            received += 1
            if received == FPS:
                break
        acks: list[UtteranceStart] = []
        replies = [
            await sender.send_utterance(burst_clip(0.40), TOKEN, sample_rate=RATE, on_start=acks.append),
            await sender.send_utterance(burst_clip(0.55), TOKEN, sample_rate=RATE, realtime=False, on_start=acks.append),
        ]
        await asyncio.sleep(2.0)  # past the queued audio and the allowance: the clock runs on silence
        acks.append(await sender.start_utterance(TOKEN, sample_rate=RATE))
        late = burst_clip(0.75)
        half = len(late) // 2
        await sender.send_audio(late[:half])
        await asyncio.sleep(1.2)  # the second half comes late: the server pads silence before it
        await sender.send_audio(late[half:])
        replies.append(await sender.end_utterance())
        return acks, replies, await frames_through(sender, acks[2].index), await frames_through(watcher, acks[2].index)


@pytest.fixture
def network_source() -> Iterator[EngineSource]:
    """The streaming engine on the fixture model, fed by a push source, as ``serve --source network``."""
    from posetalk.audio.ring import AudioRingBuffer
    from posetalk.audio.sources import PushConfig, PushSource
    from posetalk.backends.torch_backend import TorchBackend
    from posetalk.pipeline.model_files import load_model_files, resolve_model_files
    from posetalk.server import EngineSource
    from posetalk.stream.config import StreamConfig
    from posetalk.stream.engine import StreamingEngine

    loaded = load_model_files(resolve_model_files(MODEL_DIR))
    engine = StreamingEngine(
        TorchBackend(loaded.model), loaded.stats, loaded.shape, loaded.style, StreamConfig(), AudioRingBuffer()
    )
    push = PushSource(PushConfig(jitter_seconds=JITTER_S))
    engine.start()
    push.start(engine.ring)
    try:
        yield EngineSource(engine, "network", queue_frames=500, push=push)
    finally:
        push.stop()
        engine.ring.close()
        engine.stop()


def onset(frames: list[StreamFrame], index: int) -> tuple[float, float]:
    """The offset of the frame of utterance ``index`` where the face jumps most from the frame
    before (the silence gate opening), and by what factor it jumps."""
    size = np.array([np.linalg.norm(f.exp) + np.linalg.norm(f.pose[3:]) for f in frames])
    jumps = size[1:] / np.maximum(size[:-1], 1e-9)
    candidates = [i for i in range(1, len(frames)) if frames[i].utterance == index]
    best = max(candidates, key=lambda i: jumps[i - 1])
    return frames[best].utterance_offset, jumps[best - 1]


def test_frames_say_where_they_are_in_the_utterances(network_source: EngineSource) -> None:
    async def scenario() -> tuple:
        async with running_server(network_source, queue_frames=500) as server:
            return await speak(url(server))

    acks, replies, json_frames, frames = asyncio.run(asyncio.wait_for(scenario(), 240))
    first, queued, late = acks
    assert [ack.index for ack in acks] == [reply["index"] for reply in replies]
    assert len({ack.index for ack in acks}) == 3
    assert all(reply["duration"] == DURATION_S for reply in replies)
    # Sent at once while the first still played, the second utterance is queued right after it.
    assert queued.start == pytest.approx(first.start + DURATION_S, abs=SAMPLE_S)
    assert late.start > queued.start + DURATION_S + JITTER_S  # a pause: silence in between

    seqs = [f.seq for f in frames]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # nothing dropped
    by_seq = {f.seq: f for f in json_frames}
    for frame in frames:  # JSON and binary frames say the same
        twin = by_seq.get(frame.seq)
        if twin is not None:
            assert twin.utterance == frame.utterance
            assert twin.utterance_offset == pytest.approx(frame.utterance_offset, abs=1e-6)

    # In time: every frame whose time lies on the utterance's audio says so, with t = start + offset.
    for ack in (first, queued):
        for frame in (f for f in frames if f.t < late.start):
            inside = ack.start <= frame.t < ack.start + DURATION_S
            if inside:
                assert frame.utterance == ack.index
                assert frame.t - frame.utterance_offset == pytest.approx(ack.start, abs=1e-6)
            else:
                assert frame.utterance != ack.index
        offsets = [f.utterance_offset for f in frames if f.utterance == ack.index]
        assert 0 <= offsets[0] < FRAME_S and DURATION_S - FRAME_S < offsets[-1] < DURATION_S
        np.testing.assert_allclose(np.diff(offsets), FRAME_S, atol=1e-6)
    assert any(f.utterance is None for f in frames if queued.start + DURATION_S < f.t < late.start)

    # Late: the silence inserted before the second half carries no utterance; the frames after it
    # continue the utterance's seconds, so t - offset grows by the silence.
    on_late = [f for f in frames if f.utterance == late.index]
    offsets = np.array([f.utterance_offset for f in on_late])
    lags = np.array([f.t for f in on_late]) - offsets
    halves = offsets < DURATION_S / 2
    np.testing.assert_allclose(lags[halves], late.start, atol=1e-6)
    inserted = lags[~halves] - late.start
    np.testing.assert_allclose(inserted, inserted[0], atol=1e-6)
    assert inserted[0] > JITTER_S - FRAME_S
    assert 0 <= offsets[0] < FRAME_S and DURATION_S - FRAME_S < offsets[-1] < DURATION_S
    assert np.all(np.diff(offsets) > 0) and np.all(np.diff(offsets) < 2 * FRAME_S)
    split = int(np.count_nonzero(halves))  # the first second-half frame
    gap = [f for f in frames if on_late[split - 1].seq < f.seq < on_late[split].seq]
    assert len(gap) == pytest.approx(inserted[0] * FPS, abs=1) and all(f.utterance is None for f in gap)

    # The face opens where each burst is: the frame whose audio holds the burst's start.
    for ack, burst_at in ((first, 0.40), (queued, 0.55), (late, 0.75)):
        offset, jump = onset(frames, ack.index)
        assert jump > 10
        assert burst_at - FRAME_S / 2 - 0.001 < offset <= burst_at + FRAME_S / 2 + 0.001
