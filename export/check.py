"""Each graph of a bundle against the PyTorch model it came from, on fixed inputs.

The audio graph encodes two chunks of the bundled speech sample (normalised as the stream does);
the memory graph is compared with the cached decoder's :func:`encode_memory`, the denoiser with
PyTorch's own ``nn.TransformerDecoder`` (``TorchBackend(cache_memory=False)``, the published
computation), on seeded random motion, steps, persons and audio features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from posetalk.audio.io import load_audio
from posetalk.backends.base import ModelBackend, person_features
from posetalk.backends.torch_backend import TorchBackend
from posetalk.data import SPEECH_SAMPLE
from posetalk.model.talking_head import DiffPoseTalk
from posetalk.pipeline.offline import normalise_audio

if TYPE_CHECKING:  # onnxruntime is needed only to run a bundle
    from posetalk.backends.onnxruntime_backend import OnnxRuntimeBackend

TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2}
"""Largest max_abs_diff ``posetalk export check`` accepts, by the bundle's precision."""
BATCH = 3


@dataclass(frozen=True)
class Deviation:
    max_abs_diff: float
    mean_abs_diff: float


def _deviation(got: torch.Tensor, expected: torch.Tensor) -> Deviation:
    error = (got.float() - expected.float()).abs()
    return Deviation(error.max().item(), error.mean().item())


def speech_chunks(n_frames: int, samples_per_frame: int, batch: int = BATCH) -> torch.Tensor:
    """(batch, n_frames * samples_per_frame) consecutive chunks of the normalised speech sample."""
    audio = normalise_audio(torch.from_numpy(load_audio(SPEECH_SAMPLE)))
    size = n_frames * samples_per_frame
    return torch.stack([audio[i * size : (i + 1) * size] for i in range(batch)])


def denoiser_inputs(backend: ModelBackend, batch: int = BATCH, seed: int = 0) -> dict[str, torch.Tensor | None]:
    """Seeded random inputs of one denoiser call of ``batch`` rows (indicator: the last 3 frames unheard)."""
    config = backend.config
    g = torch.Generator().manual_seed(seed)
    style = torch.randn(batch, config.d_style, generator=g) if config.use_style else None
    indicator = None
    if config.use_indicator:
        indicator = torch.ones(batch, config.n_motions)
        indicator[:, -3:] = 0
    return {
        "x_t": torch.randn(batch, config.n_motions, config.motion_dim, generator=g),
        "step": torch.randint(1, config.n_diff_steps + 1, (batch,), generator=g),
        "person": person_features(config, backend.embeddings, torch.randn(batch, 100, generator=g), style),
        "prev_motion": torch.randn(batch, config.n_prev_motions, config.motion_dim, generator=g),
        "indicator": indicator,
        "prev_audio": torch.randn(batch, config.n_prev_motions, config.feature_dim, generator=g),
        "audio": torch.randn(batch, config.n_motions, config.feature_dim, generator=g),
    }


def denoise_once(backend: ModelBackend, inputs: dict[str, torch.Tensor | None]) -> torch.Tensor:
    """One denoiser call through the backend interface: condition, then denoise."""
    with torch.no_grad():
        audio = backend.condition(inputs["prev_audio"], inputs["audio"])
        return backend.denoise(inputs["x_t"], inputs["step"], inputs["person"], inputs["prev_motion"],
                               inputs["indicator"], audio)


def check_bundle(backend: OnnxRuntimeBackend, model: DiffPoseTalk) -> dict[str, Deviation]:
    """max and mean absolute deviation of each graph from ``model`` (CPU, eval mode)."""
    reference = TorchBackend(model, cache_memory=False)
    config = model.config
    n_frames = config.n_prev_motions + config.n_motions
    audio = speech_chunks(n_frames, backend.bundle.samples_per_frame)
    inputs = denoiser_inputs(reference)
    with torch.no_grad():
        features = _deviation(backend.audio_features(audio, n_frames), reference.audio_features(audio, n_frames))
        cache = model.denoising_net.encode_memory(inputs["prev_audio"], inputs["audio"])
        memory = _deviation(torch.stack(backend.condition(inputs["prev_audio"], inputs["audio"]).tensors),
                            torch.stack((*cache.keys, *cache.values)))
    denoise = _deviation(denoise_once(backend, inputs), denoise_once(reference, inputs))
    return {"audio": features, "memory": memory, "denoise": denoise}
