"""`posetalk serve` as a real process, and the network source with the real (fixture) model."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.pipeline.coefficients_file import save_coefficients
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


def test_serve_reports_mic_needs_the_streaming_engine() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "engine", "serve", "--source", "mic", "--flame", str(FLAME_FIXTURE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "streaming engine" in result.stderr


def test_network_source_animates_an_utterance_with_the_model() -> None:
    from engine.diffusion.guidance import guidance_from_options
    from engine.pipeline.model_files import load_model_files, resolve_model_files
    from engine.pipeline.offline import SamplingOptions
    from engine.server import NetworkSource
    from engine.server.inference import OfflineInference

    loaded = load_model_files(resolve_model_files(MODEL_DIR))
    guidance = guidance_from_options(loaded.model.config.guiding_conditions, 1.15, 3.0, loaded.model.config.cfg_mode)
    inference = OfflineInference(loaded, SamplingOptions(guidance), 1.15, 3.0, seed=0)
    source = NetworkSource(inference, {"default": loaded.style}, loaded.shape)
    rate = 24000
    t = np.arange(int(0.8 * rate)) / rate
    speech = (0.3 * np.sin(2 * np.pi * 180 * t) * np.sin(2 * np.pi * 3 * t)).astype(np.float32)
    pcm = (speech * 32767).astype("<i2").tobytes()

    async def scenario() -> tuple[dict, dict, list]:
        async with running_server(source) as server:
            assert "audio" in server.hello()
            async with open_stream(url(server)) as stream:
                await stream.subscribe(["flame"], "binary")
                style_ack = await stream.control("style", TOKEN, "s", blend={"default": 1.0})
                with pytest.raises(StreamError) as unauthorized:
                    await stream.send_utterance(pcm, "wrong token", sample_rate=rate)
                assert unauthorized.value.code == "unauthorized"
                with pytest.raises(StreamError) as too_short:
                    await stream.send_utterance(pcm[:100], TOKEN, sample_rate=rate)
                assert too_short.value.code == "bad_message"
                utterance = await stream.send_utterance(pcm, TOKEN, sample_rate=rate)
                moving = []
                async for frame in stream.frames():
                    if np.abs(frame.exp).max() > 0:
                        moving.append(frame)
                    elif moving:
                        break
                return style_ack, utterance, moving

    style_ack, utterance, moving = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert style_ack["action"] == "style"
    assert utterance["type"] == "utterance" and utterance["samples"] == int(0.8 * 16000)
    assert len(moving) == 20  # 0.8 s at 25 fps
    seqs = [frame.seq for frame in moving]
    assert seqs == list(range(seqs[0], seqs[0] + 20))
    np.testing.assert_allclose(np.diff([frame.t for frame in moving]), 0.04, atol=1e-6)


def test_serve_infers_a_file_plays_it_in_real_time_and_ends(tmp_path: Path) -> None:
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
    assert hello["source"]["kind"] == "file" and hello["source"]["frames"] == 30
    assert frames and [f.seq for f in frames] == list(range(frames[0].seq, 30))
    assert np.abs(np.stack([f.exp for f in frames])).max() > 0
