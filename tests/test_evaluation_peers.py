"""The lip-sync peers (volume mouth, uLipSync through pylipsync) on real speech from ../shared/speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posetalk.audio.io import load_audio
from posetalk.errors import PosetalkError
from posetalk.evaluation.peers import ULipSyncMouth, VolumeMouth, frame_count, peers, smooth_damp

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "speech"
FPS = 25
SILENCE_S = 1.0


@pytest.fixture(scope="module")
def sentence() -> np.ndarray:
    """1 s of room noise (-70 dBFS), a spoken sentence (LJ001-0002, 1.9 s), 0.5 s of room noise."""
    clip = SPEECH / "ljspeech" / "LJ001-0002.wav"
    if not clip.is_file():
        pytest.fail(f"{clip} is missing: these tests need the shared real-speech set ({SPEECH})")
    speech = load_audio(clip)
    audio = np.concatenate([np.zeros(16000, np.float32), speech, np.zeros(8000, np.float32)])
    return audio + np.random.default_rng(0).normal(0, 3e-4, len(audio)).astype(np.float32)


def _speech_frames(audio: np.ndarray) -> slice:
    return slice(int((SILENCE_S + 0.2) * FPS), frame_count(audio, FPS) - int(0.9 * FPS))


def test_volume_mouth_is_shut_in_silence_and_opens_with_speech(sentence):
    mouth = VolumeMouth()
    opening = mouth.mouth_opening(sentence, FPS)
    assert opening.shape == (int(len(sentence) / 16000 * FPS),) and opening.dtype == np.float32
    assert opening.min() >= 0 and opening.max() <= 1
    assert opening[: int(SILENCE_S * FPS) - 1].max() < 0.01
    assert opening[_speech_frames(sentence)].mean() > 0.5 and opening.max() > 0.9
    assert mouth.lip_width(sentence, FPS) is None
    quieter = mouth.mouth_opening(sentence * 0.05, FPS)
    assert quieter[_speech_frames(sentence)].mean() < opening[_speech_frames(sentence)].mean() - 0.2
    boosted = VolumeMouth(gain_db=26.0).mouth_opening(sentence * 0.05, FPS)
    assert np.abs(boosted - opening)[_speech_frames(sentence)].mean() < 0.05


def test_volume_mouth_opens_faster_than_it_closes():
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(8000) / 16000).astype(np.float32)
    burst = np.concatenate([np.zeros(8000, np.float32), tone, np.zeros(8000, np.float32)])
    opening = VolumeMouth().mouth_opening(burst, 100)
    rise = np.argmax(opening[50:] > 0.9)
    fall = np.argmax(opening[100:] < 0.1)
    assert 0 < rise < fall


def test_ulipsync_vowel_weights_react_to_speech_not_silence(sentence):
    peer = ULipSyncMouth()
    weights = peer.vowel_weights(sentence, FPS)
    assert weights.shape == (frame_count(sentence, FPS), 5)
    assert weights.min() >= 0 and weights.sum(axis=1).max() <= 1 + 1e-5
    assert weights[: int(SILENCE_S * FPS) - 1].max() < 0.01
    speech = weights[_speech_frames(sentence)]
    assert speech.sum(axis=1).mean() > 0.5
    assert len(set(speech.argmax(axis=1)[speech.max(axis=1) > 0.5])) >= 2, "one vowel throughout"
    opening = peer.mouth_opening(sentence, FPS)
    width = peer.lip_width(sentence, FPS)
    assert opening.shape == width.shape == (frame_count(sentence, FPS),)
    assert opening[: int(SILENCE_S * FPS) - 1].max() < 0.01 and opening[_speech_frames(sentence)].mean() > 0.2
    assert width.min() >= -1 and width.max() <= 1 and width[_speech_frames(sentence)].std() > 0.1
    np.testing.assert_allclose(opening, np.clip(weights @ [1.0, 0.3, 0.3, 0.5, 0.7], 0, 1), atol=1e-6)


def test_smooth_damp_follows_a_step_without_overshoot():
    step = np.ones((60, 1))
    out = smooth_damp(step, 0.05, 1 / 60)[:, 0]
    assert np.all(np.diff(out) >= 0) and out.max() <= 1
    assert 0.2 < out[2] < 0.9 and out[20] > 0.99


def test_peers_refuse_bad_input(sentence):
    for peer in peers():
        with pytest.raises(PosetalkError, match="mono"):
            peer.mouth_opening(np.stack([sentence, sentence], axis=1), FPS)
        with pytest.raises(PosetalkError, match="frame rate"):
            peer.mouth_opening(sentence, 0)
        with pytest.raises(PosetalkError, match="NaN"):
            peer.lip_width(np.full(1600, np.nan, np.float32), FPS)
