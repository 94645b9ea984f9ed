"""The reference backend: the PyTorch modules themselves, on the CPU or a CUDA device."""

from __future__ import annotations

import torch

from posetalk.backends.base import LearnedEmbeddings
from posetalk.diffusion.schedules import Schedule
from posetalk.model.config import DenoiserConfig
from posetalk.model.talking_head import DiffPoseTalk


class TorchBackend:
    """Runs a loaded :class:`DiffPoseTalk` eagerly.

    Args:
        model: the model, in eval mode, on its device.
        cache_memory: compute the decoder's cross-attention keys and values once per window (a
            fast path equal to the published decoder up to float rounding); False runs PyTorch's
            decoder module at every step, as the published code does.
    """

    name = "torch"

    def __init__(self, model: DiffPoseTalk, cache_memory: bool = True) -> None:
        self.model = model
        self.cache_memory = cache_memory

    @property
    def config(self) -> DenoiserConfig:
        return self.model.config

    @property
    def schedule(self) -> Schedule:
        return self.model.schedule

    @property
    def embeddings(self) -> LearnedEmbeddings:
        return self.model.embeddings

    @property
    def device(self) -> torch.device:
        return self.model.device

    def audio_features(self, audio: torch.Tensor, n_frames: int) -> torch.Tensor:
        return self.model.audio_features(audio, n_frames)

    def condition(self, prev_audio: torch.Tensor, audio: torch.Tensor) -> object:
        if self.cache_memory:
            return self.model.denoising_net.encode_memory(prev_audio, audio)
        return prev_audio, audio

    def denoise(
        self,
        x_t: torch.Tensor,
        step: torch.Tensor,
        person: torch.Tensor,
        prev_motion: torch.Tensor,
        indicator: torch.Tensor | None,
        audio: object,
    ) -> torch.Tensor:
        net = self.model.denoising_net
        if self.cache_memory:
            return net(x_t, None, person, prev_motion, None, step, indicator, audio)
        prev_audio, window_audio = audio
        return net(x_t, window_audio, person, prev_motion, prev_audio, step, indicator)
