"""`posetalk serve` as a real process, and the network source with the real (fixture) model."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posetalk.backends.torch_backend import TorchBackend
from posetalk.pipeline.coefficients_file import save_coefficients
from tests.conftest import SHARED_FIXTURES
from tests.stream_support import FLAME_FIXTURE, TOKEN, coefficients, running_server, start_serve, url

from posetalk_client import StreamError, open_stream  # noqa: E402

MODEL_DIR = SHARED_FIXTURES / "official" / "base"


def test_serve_plays_a_params_file_in_real_time_and_ends_cleanly(tmp_path: Path) -> None:
    clip = coefficients(50)
    save_coefficients(tmp_path / "clip.npz", clip.exp, clip.pose, clip.shape, 25)
    process, port = start_serve("--params", tmp_path / "clip.npz", "--flame", FLAME_FIXTURE, "--token", TOKEN)

    async def client() -> list[int]:
        async with open_stream(f"ws://127.0.0.1:{port}/") as stream:
            assert stream.hello["source"]["kind"] == "params"
            await stream.subscribe(["flame", "vrm"], "binary")
            return [frame.seq async for frame in stream.frames()]

    try:
        seqs = asyncio.run(client())
        assert process.wait(30) == 0
    finally:
        process.kill()
    assert seqs and seqs == list(range(seqs[0], 50))


def test_serve_reports_a_missing_microphone_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "posetalk", "serve", "--source", "mic", "--mic", "no-such-device-xyz",
         "--model-dir", str(MODEL_DIR), "--flame", str(FLAME_FIXTURE)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "microphone" in result.stderr


def test_network_source_streams_audio_as_it_arrives() -> None:
    from posetalk.audio.ring import AudioRingBuffer
    from posetalk.audio.sources import PushSource
    from posetalk.pipeline.model_files import load_model_files, resolve_model_files
    from posetalk.server import EngineSource
    from posetalk.stream.config import StreamConfig
    from posetalk.stream.engine import StreamingEngine

    loaded = load_model_files(resolve_model_files(MODEL_DIR))
    engine = StreamingEngine(TorchBackend(loaded.model), loaded.stats, loaded.shape, loaded.style, StreamConfig(), AudioRingBuffer())
    push = PushSource()
    source = EngineSource(engine, "network", push=push)
    rate = 24000
    t = np.arange(int(1.0 * rate)) / rate
    speech = (0.3 * np.sin(2 * np.pi * 180 * t) * np.sin(2 * np.pi * 3 * t)).astype(np.float32)
    pcm = (speech * 32767).astype("<i2").tobytes()

    async def scenario() -> tuple[dict, list]:
        async with running_server(source) as server:
            assert server.hello()["audio"]["encodings"] == ["pcm_s16le", "pcm_f32le"]
            async with open_stream(url(server)) as stream:
                await stream.subscribe(["flame"], "binary")
                assert (await stream.control("guidance", TOKEN, "g", audio=1.5))["action"] == "guidance"
                with pytest.raises(StreamError) as unknown:
                    await stream.control("style", TOKEN, "u", style="nobody")  # no preset folder given
                assert unknown.value.code == "bad_message"
                with pytest.raises(StreamError) as unauthorized:
                    await stream.send_utterance(pcm, "wrong token", sample_rate=rate)
                assert unauthorized.value.code == "unauthorized"
                # A TTS pipeline streams its audio in real time, chunk by chunk.
                utterance = await stream.send_utterance(pcm, TOKEN, sample_rate=rate)
                await stream.control("shape", TOKEN, "id", shape=[0.25] * 100)
                frames = []
                async for frame in stream.frames():
                    frames.append(frame)
                    if frame.shape is not None and frame.shape[0] == 0.25:
                        break
                return utterance, frames

    engine.start()
    push.start(engine.ring)
    try:
        utterance, frames = asyncio.run(asyncio.wait_for(scenario(), 120))
    finally:
        push.stop()
        engine.ring.close()
        engine.stop()
    assert utterance["samples"] == 16000 and utterance["duration"] == 1.0
    assert len(frames) >= 15  # frames flowed while the audio streamed in (about a second)
    seqs = [frame.seq for frame in frames]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    np.testing.assert_allclose(np.diff([frame.t for frame in frames]), 0.04, atol=1e-6)
    assert np.std(np.stack([frame.exp for frame in frames]), axis=0).max() > 0


def test_serve_streams_a_file_in_real_time_and_ends(tmp_path: Path) -> None:
    import soundfile

    rate = 16000
    t = np.arange(int(1.2 * rate)) / rate
    soundfile.write(tmp_path / "speech.wav", 0.3 * np.sin(2 * np.pi * 150 * t) * np.sin(2 * np.pi * 2 * t), rate)
    process, port = start_serve(
        "--source", tmp_path / "speech.wav", "--model-dir", MODEL_DIR, "--seed", "0", "--flame", FLAME_FIXTURE
    )

    async def client() -> tuple[dict, list]:
        async with open_stream(f"ws://127.0.0.1:{port}/") as stream:
            await stream.subscribe(["flame", "arkit"], "json")
            return stream.hello, [frame async for frame in stream.frames()]

    try:
        hello, frames = asyncio.run(client())
        assert process.wait(30) == 0
    finally:
        process.kill()
    assert hello["source"]["kind"] == "file" and hello["source"]["live"]
    assert frames and [f.seq for f in frames] == list(range(frames[0].seq, 30))
    assert np.abs(np.stack([f.exp for f in frames])).max() > 0
