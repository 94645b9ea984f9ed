"""The three graphs of a bundle, as the PyTorch modules the exporter traces.

Each wraps the engine's own modules (nothing is reimplemented here), fixes the graph's input and
output names and says which dimensions stay dynamic:

- ``audio``: audio (N, S) normalised 16 kHz samples -> features (N, S / samples_per_frame, d_model);
  the number of motion frames is the length of the audio in frames, as every chunk the stream cuts is.
- ``memory``: prev_audio (B, L_p, d_model), audio (B, L, d_model) -> keys_i, values_i
  (B, heads, L_p + L, d_head) for every decoder layer i.
- ``denoise``: x_t (B, L, d_motion), step (B,) int64, person (B, 1, d_person),
  prev_motion (B, L_p, d_motion)[, indicator (B, L)], keys_i, values_i -> target (B, L_p + L, d_motion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torch.export import Dim

from posetalk.audio.chunks import SAMPLE_RATE
from posetalk.model.cached_decoder import MemoryCache
from posetalk.model.talking_head import DiffPoseTalk

GraphName = Literal["audio", "memory", "denoise"]
GRAPH_NAMES: tuple[GraphName, ...] = ("audio", "memory", "denoise")
MAX_BATCH = 4096
"""Upper bound of every dynamic batch dimension (torch.export wants one)."""
MAX_HUBERT_SECONDS = 600
"""Longest audio a HuBERT-style encoder graph accepts (offline inference encodes whole clips)."""
WHISPER_FEATURE_RATE = 50


@dataclass(frozen=True)
class GraphSpec:
    """What the exporter needs to trace one graph."""

    name: GraphName
    module: nn.Module
    example: tuple[torch.Tensor, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    dynamic: dict[str, dict[int, Dim]]


def samples_per_frame(fps: int) -> int:
    """16 kHz samples of one motion frame; the audio graph needs a whole number."""
    if SAMPLE_RATE % fps:
        raise ValueError(f"a frame rate of {fps} fps does not divide {SAMPLE_RATE} Hz into whole samples per frame")
    return SAMPLE_RATE // fps


def max_audio_frames(model: DiffPoseTalk) -> int:
    """The longest audio, in motion frames, the audio graph accepts: Whisper's position table
    (two 50 Hz states per frame at 25 fps), or ten minutes for a convolutional front-end."""
    fps = model.config.fps
    if model.config.audio_model == "whisper":
        return model.audio_encoder.embed_positions.weight.shape[0] * fps // WHISPER_FEATURE_RATE
    return MAX_HUBERT_SECONDS * fps


class AudioGraph(nn.Module):
    def __init__(self, model: DiffPoseTalk) -> None:
        super().__init__()
        self.model = model
        self.samples_per_frame = samples_per_frame(model.config.fps)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.model.audio_features(audio, audio.shape[1] // self.samples_per_frame)


class MemoryGraph(nn.Module):
    def __init__(self, model: DiffPoseTalk) -> None:
        super().__init__()
        self.net = model.denoising_net

    def forward(self, prev_audio: torch.Tensor, audio: torch.Tensor) -> tuple[torch.Tensor, ...]:
        cache = self.net.encode_memory(prev_audio, audio)
        return (*cache.keys, *cache.values)


class DenoiseGraph(nn.Module):
    """One denoiser step on cached memory; ``attend`` is the (constant) mask :meth:`encode_memory` gives."""

    def __init__(self, model: DiffPoseTalk, attend: torch.Tensor | None) -> None:
        super().__init__()
        self.net = model.denoising_net
        self.attend = attend
        self.n_layers = model.config.n_layers
        self.use_indicator = model.config.use_indicator

    def forward(self, x_t: torch.Tensor, step: torch.Tensor, person: torch.Tensor, prev_motion: torch.Tensor,
                *rest: torch.Tensor) -> torch.Tensor:
        indicator, memory = (rest[0], rest[1:]) if self.use_indicator else (None, rest)
        cache = MemoryCache(memory[: self.n_layers], memory[self.n_layers :], self.attend)
        return self.net(x_t, None, person, prev_motion, None, step, indicator, cache)


def memory_names(n_layers: int) -> tuple[str, ...]:
    """Names of the per-layer keys then values, as the memory graph outputs and the denoiser takes them."""
    return (*(f"keys_{i}" for i in range(n_layers)), *(f"values_{i}" for i in range(n_layers)))


def graph_specs(model: DiffPoseTalk, dtype: torch.dtype = torch.float32, seed: int = 0) -> dict[GraphName, GraphSpec]:
    """The three graphs of ``model`` with example inputs of batch 2 (fixed by ``seed``).

    ``dtype`` is the floating type of the memory and denoiser graphs' inputs (``model`` cast to it);
    the audio graph's example is float32 audio whatever ``dtype``.
    """
    config = model.config
    g = torch.Generator().manual_seed(seed)
    batch = Dim("batch", min=1, max=MAX_BATCH)
    frames = Dim("frames", min=2, max=max_audio_frames(model))
    spf = samples_per_frame(config.fps)
    n_frames = config.n_prev_motions + config.n_motions

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=g).to(dtype)

    audio = torch.randn(2, spf * n_frames, generator=g)
    prev_audio, window_audio = randn(2, config.n_prev_motions, config.feature_dim), randn(2, config.n_motions, config.feature_dim)
    net = model.denoising_net
    with torch.no_grad():
        cache = net.encode_memory(prev_audio, window_audio)
    names = memory_names(config.n_layers)
    denoise_inputs = ["x_t", "step", "person", "prev_motion"] + (["indicator"] if config.use_indicator else [])
    denoise_example = [randn(2, config.n_motions, config.motion_dim), torch.randint(1, config.n_diff_steps + 1, (2,), generator=g),
                       randn(2, 1, config.person_dim), randn(2, config.n_prev_motions, config.motion_dim)]
    if config.use_indicator:
        denoise_example.append(torch.ones(2, config.n_motions, dtype=dtype))
    denoise_example += [*cache.keys, *cache.values]
    return {
        "audio": GraphSpec("audio", AudioGraph(model), (audio,), ("audio",), ("features",),
                           {"audio": {0: batch, 1: frames * spf}}),
        "memory": GraphSpec("memory", MemoryGraph(model), (prev_audio, window_audio), ("prev_audio", "audio"), names,
                            {"prev_audio": {0: batch}, "audio": {0: batch}}),
        "denoise": GraphSpec("denoise", DenoiseGraph(model, cache.attend), tuple(denoise_example),
                             (*denoise_inputs, *names), ("target",),
                             {name: {0: batch} for name in (*denoise_inputs, *names)}),
    }

