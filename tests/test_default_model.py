"""The default model installed with the package, on real speech it never trained on: a held-out
speaker (FSDD's george, kept out of training) saying digits with pauses between them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from posetalk.audio.io import load_audio
from posetalk.backends.torch_backend import TorchBackend
from posetalk.diffusion.guidance import guidance_for_style
from posetalk.diffusion.noise import SeededNoise
from posetalk.evaluation.mouth import mouth_measures
from posetalk.pipeline.model_files import default_model_dir, load_model_files, resolve_model_files
from posetalk.pipeline.offline import SamplingOptions, generate

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "speech"
MODEL = default_model_dir()
PAUSE_S = 0.8
FPS = 25


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Eight digits by george, 0.8 s of silence around each; the (start, end) seconds of each."""
    if not SPEECH.is_dir():
        raise FileNotFoundError(f"{SPEECH}: the shared real-speech folder is missing")
    pieces, spans, t = [np.zeros(int(PAUSE_S * 16000), np.float32)], [], PAUSE_S
    for digit in (1, 5, 0, 9, 2, 4, 8, 3):
        word = load_audio(SPEECH / "fsdd" / f"{digit}_george_{digit + 7}.wav")
        pieces += [word, np.zeros(int(PAUSE_S * 16000), np.float32)]
        spans.append((t, t + len(word) / 16000))
        t += len(word) / 16000 + PAUSE_S
    return np.concatenate(pieces), spans


def _infer(audio: np.ndarray, style: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    loaded = load_model_files(resolve_model_files(style=style))
    config = loaded.model.config
    guidance = guidance_for_style(config.guiding_conditions, True, 1.15, 3.0, config.cfg_mode)
    torch.manual_seed(0)
    result = generate(TorchBackend(loaded.model), loaded.stats, audio, loaded.shape, loaded.style,
                      SamplingOptions(guidance, sampler="dpmpp-2m", steps=10), SeededNoise(0))
    return result.exp[0], result.pose[0], result.shape[0, 0]


def _frames(span: tuple[float, float], n: int) -> np.ndarray:
    return np.arange(int(span[0] * FPS), min(n, int(span[1] * FPS)))


def test_the_default_model_is_installed_small_and_licensed() -> None:
    files = resolve_model_files()
    assert files.checkpoint == MODEL / "denoiser.pt"
    assert sum(p.stat().st_size for p in MODEL.rglob("*") if p.is_file()) < 60e6
    assert "MIT" in (MODEL / "LICENSE-whisper.txt").read_text()
    assert sorted(p.stem for p in files.styles.glob("*.npy")) == sorted(
        ["neutral", "expressive", "subtle", "smiling", "lively_head", "calm_head"])


def test_jaw_opens_on_the_words_and_closes_in_the_pauses(digits) -> None:
    audio, spans = digits
    exp, pose, shape = _infer(audio, "neutral")
    opening = mouth_measures(exp, pose, shape).opening
    words = np.concatenate([_frames(s, len(opening)) for s in spans])
    pauses = [(spans[i][1] + 0.25, spans[i + 1][0] - 0.25) for i in range(len(spans) - 1)]
    quiet = np.concatenate([_frames(p, len(opening)) for p in pauses])
    assert opening[words].mean() > 4.0, "the mouth should open on the words (mm)"
    assert np.median(opening[quiet]) < 1.5, "the mouth should rest closed in the pauses (mm)"
    per_word = [opening[_frames(s, len(opening))].max() for s in spans]
    assert min(per_word) > 2.0, "every word should open the mouth"


def test_smiling_preset_lifts_the_mouth_corners(digits) -> None:
    audio, _ = digits
    audio = audio[: 16000 * 4]
    neutral = mouth_measures(*_infer(audio, "neutral")).corner_lift.mean()
    smiling = mouth_measures(*_infer(audio, "smiling")).corner_lift.mean()
    assert smiling > neutral + 1.0
