"""`posetalk render` and `posetalk flame convert` end to end, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile

from posetalk.cli import main as posetalk
from posetalk.pipeline.coefficients_file import save_coefficients
from tests.conftest import OFFICIAL_BASE, require_fixture
from tests.flame_fixtures import SHARED_FLAME


@pytest.fixture()
def clip(tmp_path: Path) -> tuple[Path, Path]:
    """1 s of coefficients (jaw opening in the second half) and 1 s of audio."""
    frames = 25
    pose = np.zeros((frames, 6), dtype=np.float32)
    pose[frames // 2 :, 3] = 0.3
    params = tmp_path / "params.npz"
    save_coefficients(params, np.zeros((frames, 50)), pose, np.zeros((frames, 100)), 25)
    audio = tmp_path / "speech.wav"
    t = np.arange(16000) / 16000
    soundfile.write(audio, 0.3 * np.sin(2 * np.pi * 220 * t), 16000)
    return params, audio


def test_render_params_to_mp4_with_audio_in_sync(clip, tmp_path, capsys):
    params, audio = clip
    output = tmp_path / "out.mp4"
    args = ["render", "--params", str(params), "--audio", str(audio), "-o", str(output),
            "--size", "96x96", "--fps", "10"]
    assert posetalk(args) == 0
    assert "built-in head" in capsys.readouterr().out
    with av.open(str(output)) as container:
        video, sound = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and sound.codec_context.name == "aac"
        images = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        video_seconds = float(video.duration * video.time_base)
        audio_seconds = float(sound.duration * sound.time_base)
        assert video.start_time == 0 and sound.start_time == 0
    assert len(images) == 10 and images[0].shape == (96, 96, 3)
    assert abs(video_seconds - 1.0) < 1e-6 and abs(audio_seconds - 1.0) < 0.07
    change = np.abs(images[-1].astype(int) - images[0].astype(int)).mean()
    assert change > 0.5, "the jaw opens in the second half"


def test_render_keeps_the_users_audio_rate_and_channels(clip, tmp_path):
    """44.1 kHz stereo in, 44.1 kHz stereo out (the model hears 16 kHz mono); the left channel
    carries a 220 Hz tone and the right 660 Hz, and they stay apart. The output folder is made."""
    params, _ = clip
    rate = 44100
    t = np.arange(rate) / rate
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.3 * np.sin(2 * np.pi * 660 * t)], axis=1)
    audio = tmp_path / "stereo.wav"
    soundfile.write(audio, stereo, rate)
    output = tmp_path / "new" / "folder" / "out.mp4"
    assert posetalk(["render", "--params", str(params), "--audio", str(audio), "-o", str(output),
                     "--size", "32x32", "--fps", "5"]) == 0
    with av.open(str(output)) as container:
        sound = container.streams.audio[0]
        assert sound.codec_context.sample_rate == rate and sound.codec_context.channels == 2
        decoded = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
    middle = decoded[:, rate // 4 : 3 * rate // 4]
    spectrum = np.abs(np.fft.rfft(middle, axis=1))
    peak_hz = spectrum.argmax(axis=1) * rate / middle.shape[1]
    assert abs(peak_hz[0] - 220) < 5 and abs(peak_hz[1] - 660) < 5


def test_render_png_frames(clip, tmp_path):
    params, _ = clip
    folder = tmp_path / "frames"
    args = ["render", "--params", str(params), "-o", str(folder), "--format", "png",
            "--size", "64x48", "--fps", "5"]
    assert posetalk(args) == 0
    files = sorted(folder.glob("frame_*.png"))
    assert [f.name for f in files] == [f"frame_{i:06d}.png" for i in range(5)]
    with av.open(str(files[0])) as container:
        assert next(container.decode(video=0)).to_ndarray(format="rgb24").shape == (48, 64, 3)


def test_render_with_converted_flame_file(clip, tmp_path, capsys):
    params, _ = clip
    converted = tmp_path / "flame.npz"
    assert posetalk(["flame", "convert", str(require_fixture(SHARED_FLAME / "flame_synthetic.pkl")),
                     "-o", str(converted)]) == 0
    args = ["render", "--params", str(params), "--flame", str(converted), "-o",
            str(tmp_path / "flame"), "--format", "png", "--size", "32x32", "--fps", "2"]
    assert posetalk(args) == 0
    assert f"FLAME model {converted}" in capsys.readouterr().out


def test_render_user_errors_are_one_line(clip, tmp_path, capsys):
    params, _ = clip
    assert posetalk(["render", "-o", str(tmp_path / "x.mp4")]) == 1
    assert "nothing to render" in capsys.readouterr().err
    assert posetalk(["render", "--params", str(params), "--albedo", "a.png",
                     "-o", str(tmp_path / "x.mp4")]) == 1
    assert "--albedo and --uv go together" in capsys.readouterr().err
    assert posetalk(["render", "--params", str(params), "--size", "97x64",
                     "-o", str(tmp_path / "x.mp4")]) == 1
    assert "even width and height" in capsys.readouterr().err
    assert posetalk(["render", "--params", str(tmp_path / "missing.npz"),
                     "-o", str(tmp_path / "x.mp4")]) == 1
    assert "missing.npz" in capsys.readouterr().err


def test_render_audio_runs_inference_first(clip, tmp_path, capsys):
    """`posetalk render AUDIO --model-dir …` infers motion, says which model, and renders it."""
    _, audio = clip
    output = tmp_path / "inferred.mp4"
    model = require_fixture(OFFICIAL_BASE / "denoiser.pt")
    args = ["render", str(audio), "--model-dir", str(model.parent), "--seed", "0", "-o", str(output),
            "--size", "48x48", "--fps", "5"]
    assert posetalk(args) == 0
    assert f"model: {model}" in capsys.readouterr().out
    with av.open(str(output)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 5


def test_render_audio_with_a_missing_model_folder_says_so(clip, tmp_path, capsys):
    _, audio = clip
    assert posetalk(["render", str(audio), "--model-dir", str(tmp_path / "nowhere"), "-o", str(tmp_path / "x.mp4")]) == 1
    assert "no such model folder" in capsys.readouterr().err
