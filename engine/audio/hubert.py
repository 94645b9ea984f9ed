"""The speech encoder: transformers' HuBERT (or wav2vec 2.0) built from a checkpoint's tensors.

Published DiffPoseTalk checkpoints carry the fine-tuned encoder weights under ``audio_encoder.``
but not its hyper-parameters, so the configuration is inferred from tensor shapes; nothing is
fetched from a model hub. Feature extraction follows the published "BackResample" strategy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from transformers import HubertConfig, HubertModel, Wav2Vec2Config, Wav2Vec2Model

HUBERT_BASE_STRIDES = (5, 2, 2, 2, 2, 2, 2)
HEAD_DIM = 64
SAMPLE_RATE = 16000
FEATURE_RATE = 50
"""Frames per second of the convolutional feature encoder (16 kHz / prod(strides) = 320 samples)."""

WEIGHT_NORM_NAMES = {
    "weight_g": "parametrizations.weight.original0",
    "weight_v": "parametrizations.weight.original1",
}
"""Old (``torch.nn.utils.weight_norm``) and new (parametrization) names of the positional
convolution's weight-norm tensors; both appear in published files."""


class AudioEncoderError(ValueError):
    """The audio-encoder tensors do not describe an encoder this engine can build."""


def _count(keys: list[str], pattern: str) -> int:
    indices = {int(m.group(1)) for key in keys if (m := re.fullmatch(pattern, key))}
    if indices != set(range(len(indices))):
        raise AudioEncoderError(f"layer indices matching {pattern!r} are not contiguous: {sorted(indices)}")
    return len(indices)


def infer_config(
    state: Mapping[str, torch.Tensor], audio_model: Literal["hubert", "wav2vec2"] = "hubert"
) -> HubertConfig | Wav2Vec2Config:
    """Infer the encoder's hyper-parameters from its state dict (keys without the ``audio_encoder.`` prefix).

    Attention heads are hidden_size / 64 and the convolution strides those of HuBERT-base, which
    published checkpoints do not record.
    """
    keys = list(state)
    try:
        n_conv = _count(keys, r"feature_extractor\.conv_layers\.(\d+)\.conv\.weight")
        if n_conv != len(HUBERT_BASE_STRIDES):
            raise AudioEncoderError(f"expected {len(HUBERT_BASE_STRIDES)} feature-extractor convolutions, found {n_conv}")
        conv_weights = [state[f"feature_extractor.conv_layers.{i}.conv.weight"] for i in range(n_conv)]
        hidden_size = state["feature_projection.projection.weight"].shape[0]
        pos_weight = state.get("encoder.pos_conv_embed.conv.parametrizations.weight.original1")
        if pos_weight is None:
            pos_weight = state["encoder.pos_conv_embed.conv.weight_v"]
        n_layers = _count(keys, r"encoder\.layers\.(\d+)\.attention\.q_proj\.weight")
        intermediate = state["encoder.layers.0.feed_forward.intermediate_dense.weight"].shape[0]
    except KeyError as missing:
        raise AudioEncoderError(f"audio-encoder tensor {missing.args[0]} is missing") from None
    if hidden_size % HEAD_DIM or hidden_size % pos_weight.shape[1]:
        raise AudioEncoderError(f"hidden size {hidden_size} does not fit {HEAD_DIM}-wide heads and the positional convolution")
    layer_norm_everywhere = "feature_extractor.conv_layers.1.layer_norm.weight" in state
    config_class = HubertConfig if audio_model == "hubert" else Wav2Vec2Config
    return config_class(
        hidden_size=hidden_size,
        num_hidden_layers=n_layers,
        num_attention_heads=hidden_size // HEAD_DIM,
        intermediate_size=intermediate,
        conv_dim=tuple(w.shape[0] for w in conv_weights),
        conv_kernel=tuple(w.shape[2] for w in conv_weights),
        conv_stride=HUBERT_BASE_STRIDES,
        conv_bias="feature_extractor.conv_layers.0.conv.bias" in state,
        feat_extract_norm="layer" if layer_norm_everywhere else "group",
        do_stable_layer_norm=layer_norm_everywhere,
        feat_proj_layer_norm="feature_projection.layer_norm.weight" in state,
        num_conv_pos_embeddings=pos_weight.shape[2],
        num_conv_pos_embedding_groups=hidden_size // pos_weight.shape[1],
        mask_time_prob=0.05 if "masked_spec_embed" in state else 0.0,
    )


def build_audio_encoder(
    state: Mapping[str, torch.Tensor], audio_model: Literal["hubert", "wav2vec2"] = "hubert"
) -> HubertModel | Wav2Vec2Model:
    """An encoder module shaped after ``state``, with random weights (load ``state`` afterwards)."""
    config = infer_config(state, audio_model)
    model_class = HubertModel if audio_model == "hubert" else Wav2Vec2Model
    return model_class(config)


def rename_weight_norm(state: Mapping[str, torch.Tensor], expected_keys: set[str]) -> dict[str, torch.Tensor]:
    """Rename weight-norm tensors to whichever naming the installed libraries expect."""
    renamed = {}
    for key, value in state.items():
        if key not in expected_keys:
            for old, new in WEIGHT_NORM_NAMES.items():
                if key.endswith(old) and key[: -len(old)] + new in expected_keys:
                    key = key[: -len(old)] + new
                elif key.endswith(new) and key[: -len(new)] + old in expected_keys:
                    key = key[: -len(new)] + old
        renamed[key] = value
    return renamed


def pad_audio(audio: torch.Tensor, unit: int = 320, threshold: int = 80) -> torch.Tensor:
    """Pad (N, S) audio at both ends so the convolutions yield one feature per 320 samples.

    The published code reflects twice by ``side // 2`` samples, then replicates one sample when
    ``side`` is odd, with side = ceil((unit * floor(S / unit) + threshold - S) / 2).
    """
    side = math.ceil((unit * (audio.shape[1] // unit) + threshold - audio.shape[1]) / 2)
    if side < 0:
        return audio
    reflect = side // 2
    if reflect > 0:
        audio = F.pad(audio, (reflect, reflect), mode="reflect")
        audio = F.pad(audio, (reflect, reflect), mode="reflect")
    if side % 2:
        audio = F.pad(audio, (1, 1), mode="replicate")
    return audio


def encode_audio(encoder: nn.Module, audio: torch.Tensor, n_frames: int, fps: int) -> torch.Tensor:
    """Speech features at the motion rate.

    Args:
        encoder: a transformers ``HubertModel`` or ``Wav2Vec2Model`` in eval mode.
        audio: (N, S) normalised 16 kHz audio.
        n_frames: number of motion frames L to produce.
        fps: the motion frame rate.
    Returns:
        (N, L, hidden_size). The convolutional features (50 Hz) are cut to round(2L * 50 / fps)
        frames and linearly resampled to 2L before the transformer, whose output is resampled
        to L: the published implementation's order, which trained weights depend on.
    """
    conv_features = encoder.feature_extractor(pad_audio(audio))  # (N, C, ~50 Hz)
    conv_features = conv_features[:, :, : round(2 * n_frames * FEATURE_RATE / fps)]
    conv_features = F.interpolate(conv_features, size=2 * n_frames, mode="linear", align_corners=False)
    projected = encoder.feature_projection(conv_features.transpose(1, 2))
    if isinstance(projected, tuple):  # wav2vec 2.0 also returns the normalised features
        projected = projected[0]
    hidden = encoder.encoder(projected).last_hidden_state  # (N, 2L, hidden)
    hidden = F.interpolate(hidden.transpose(1, 2), size=n_frames, mode="linear", align_corners=False)
    return hidden.transpose(1, 2)
