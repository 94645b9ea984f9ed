"""The `posetalk infer` and `posetalk style extract` commands, run as real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from posetalk.data import SPEECH_SAMPLE
from tests.conftest import SHARED_FIXTURES

BASE = SHARED_FIXTURES / "official" / "base"


def posetalk(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posetalk", *map(str, args)], capture_output=True, text=True, timeout=600)


def test_infer_ten_seconds_writes_250_frames(tmp_path: Path) -> None:
    out = tmp_path / "motion.npz"
    done = posetalk("infer", SPEECH_SAMPLE, "--model-dir", BASE, "--seed", "3", "-o", out)
    assert done.returncode == 0, done.stderr
    with np.load(out) as result:
        assert result["exp"].shape == (250, 50) and result["pose"].shape == (250, 6)
        assert result["shape"].shape == (250, 100) and int(result["fps"]) == 25
        np.testing.assert_array_equal(result["shape"][0], np.load(BASE / "shape.npy"))
        assert np.all(np.isfinite(result["exp"])) and result["exp"].std(axis=0).mean() > 0


def test_repetitions_write_one_file_each(tmp_path: Path) -> None:
    clip = tmp_path / "two_seconds.wav"
    soundfile.write(clip, soundfile.read(SPEECH_SAMPLE)[0][:32000], 16000)
    done = posetalk("infer", clip, "--model-dir", BASE, "-n", "2", "-o", tmp_path / "take.npz")
    assert done.returncode == 0, done.stderr
    first, second = (np.load(tmp_path / f"take_{i:03d}.npz")["exp"] for i in range(2))
    assert first.shape == second.shape == (50, 50) and not np.allclose(first, second)


@pytest.mark.parametrize("problem", ["corrupt-checkpoint", "not-audio"])
def test_bad_input_is_one_line_and_nonzero(tmp_path: Path, problem: str) -> None:
    audio, checkpoint = SPEECH_SAMPLE, BASE / "denoiser.pt"
    if problem == "corrupt-checkpoint":
        checkpoint = tmp_path / "denoiser.pt"
        checkpoint.write_bytes((BASE / "denoiser.pt").read_bytes()[:5000])
    else:
        audio = tmp_path / "speech.wav"
        audio.write_text("not audio\n" * 100)
    out = tmp_path / "out.npz"
    done = posetalk("infer", audio, "--checkpoint", checkpoint, "--stats", BASE / "stats.npz",
                    "--shape", BASE / "shape.npy", "-o", out)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("posetalk: error:"), done.stderr
    assert not out.exists()


def test_style_extract_matches_fixture(tmp_path: Path) -> None:
    out = tmp_path / "style.npy"
    done = posetalk("style", "extract", BASE / "motion_clip.npz", "--encoder", BASE / "style_encoder.pt",
                    "--stats", BASE / "stats.npz", "--start", "3", "-o", out)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(np.load(out), np.load(BASE / "style.npy"), atol=1e-4)
