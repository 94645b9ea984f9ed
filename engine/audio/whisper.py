"""Whisper's speech encoder (Radford et al. 2022, "Robust Speech Recognition via Large-Scale Weak
Supervision") as the model's audio encoder: transformers' ``WhisperEncoder`` built from the
checkpoint's own tensors, fed Whisper's log-mel front-end.

Whisper was trained on 30 s windows; here it encodes the short chunks the stream hands it (left
context, the heard audio and silence after it), with the first rows of its sinusoidal position
table. Trained models compute their features the same way in training and live, so the short
windows are what they learned from.

Front-end (Whisper's ``log_mel_spectrogram``): 25 ms Hann windows (400 samples) every 10 ms
(160), power spectrum, 80 Slaney mel bands up to 8 kHz, log10 clamped to 1e-10, floored at
8 below the chunk's maximum, then (x + 4) / 4. The encoder's two convolutions (the second with
stride 2) yield 50 features a second, two per 25 fps motion frame.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import torch
import torch.nn.functional as F
from transformers import WhisperConfig
from transformers.audio_utils import mel_filter_bank
from transformers.models.whisper.modeling_whisper import WhisperEncoder

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
FEATURE_RATE = 50
HEAD_DIM = 64
"""Every Whisper size has 64-wide attention heads (tiny 6 x 64, base 8 x 64, ...)."""
INPUT_RMS = 0.1
"""The engine normalises audio to unit variance (as published DiffPoseTalk does); Whisper heard
waveforms in [-1, 1] at speaking level, so normalised audio is scaled to this RMS first."""


class WhisperWeightsError(ValueError):
    """The audio-encoder tensors do not describe a Whisper encoder."""


@lru_cache(maxsize=4)
def _mel_filters(n_mels: int) -> torch.Tensor:
    """(n_mels, N_FFT // 2 + 1) Slaney-normalised mel filters, as Whisper's front-end uses."""
    filters = mel_filter_bank(
        num_frequency_bins=N_FFT // 2 + 1, num_mel_filters=n_mels, min_frequency=0.0, max_frequency=8000.0,
        sampling_rate=SAMPLE_RATE, norm="slaney", mel_scale="slaney",
    )
    return torch.from_numpy(filters.T).float()


def log_mel(audio: torch.Tensor, n_mels: int = 80) -> torch.Tensor:
    """(N, S) 16 kHz waveforms in [-1, 1] -> (N, n_mels, S // 160) Whisper log-mel features."""
    window = torch.hann_window(N_FFT, device=audio.device)
    spectrum = torch.stft(audio, N_FFT, HOP, window=window, return_complex=True)[..., :-1]
    power = spectrum.abs() ** 2
    mel = _mel_filters(n_mels).to(audio.device) @ power
    log_spec = torch.clamp(mel, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.amax(dim=(1, 2), keepdim=True) - 8.0)
    return (log_spec + 4.0) / 4.0


def infer_whisper_config(state: Mapping[str, torch.Tensor]) -> WhisperConfig:
    """A WhisperConfig for the encoder tensors in ``state`` (keys without the ``audio_encoder.`` prefix)."""
    try:
        conv1 = state["conv1.weight"]
        n_positions = state["embed_positions.weight"].shape[0]
        ffn = state["layers.0.fc1.weight"].shape[0]
    except KeyError as missing:
        raise WhisperWeightsError(f"Whisper encoder tensor {missing.args[0]} is missing") from None
    layers = {int(m.group(1)) for key in state if (m := re.fullmatch(r"layers\.(\d+)\.self_attn\.q_proj\.weight", key))}
    if layers != set(range(len(layers))):
        raise WhisperWeightsError(f"Whisper encoder layer indices are not contiguous: {sorted(layers)}")
    d_model, n_mels = conv1.shape[0], conv1.shape[1]
    if d_model % HEAD_DIM:
        raise WhisperWeightsError(f"Whisper width {d_model} is not a multiple of {HEAD_DIM}-wide heads")
    return WhisperConfig(
        d_model=d_model, encoder_layers=len(layers), encoder_attention_heads=d_model // HEAD_DIM,
        encoder_ffn_dim=ffn, num_mel_bins=n_mels, max_source_positions=n_positions,
    )


def build_whisper_encoder(state: Mapping[str, torch.Tensor]) -> WhisperEncoder:
    """A WhisperEncoder shaped after ``state`` (load the tensors afterwards)."""
    return WhisperEncoder(infer_whisper_config(state))


def whisper_hidden(encoder: WhisperEncoder, audio: torch.Tensor) -> torch.Tensor:
    """(N, S) unit-variance 16 kHz audio -> (N, ~S / 320, d_model) encoder states at 50 Hz.

    Runs the encoder's own modules on a chunk shorter than Whisper's 30 s (its ``forward``
    insists on 30 s): convolutions, the first rows of the position table, the layers, the norm.
    """
    mel = log_mel(audio * INPUT_RMS, encoder.config.num_mel_bins)
    hidden = F.gelu(encoder.conv2(F.gelu(encoder.conv1(mel)))).transpose(1, 2)
    if hidden.shape[1] > encoder.embed_positions.weight.shape[0]:
        raise ValueError(f"audio chunk of {audio.shape[1] / SAMPLE_RATE:.1f} s is longer than the encoder's 30 s")
    hidden = hidden + encoder.embed_positions.weight[: hidden.shape[1]]
    for layer in encoder.layers:
        hidden = layer(hidden, None)
    return encoder.layer_norm(hidden)


def encode_whisper(encoder: WhisperEncoder, audio: torch.Tensor, n_frames: int, fps: int) -> torch.Tensor:
    """Speech features at the motion rate.

    Args:
        encoder: a transformers ``WhisperEncoder`` in eval mode.
        audio: (N, S) normalised 16 kHz audio whose first sample starts motion frame 0.
        n_frames: number of motion frames L to produce.
        fps: the motion frame rate.
    Returns:
        (N, L, d_model): the 50 Hz states, cut or zero-padded to cover L frames, linearly
        resampled to L (at 25 fps, the mean of each frame's two states).
    """
    hidden = whisper_hidden(encoder, audio)
    wanted = round(n_frames * FEATURE_RATE / fps)
    if hidden.shape[1] < wanted:
        hidden = F.pad(hidden, (0, 0, 0, wanted - hidden.shape[1]))
    hidden = F.interpolate(hidden[:, :wanted].transpose(1, 2), size=n_frames, mode="linear", align_corners=False)
    return hidden.transpose(1, 2)
