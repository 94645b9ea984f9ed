"""The DiffPoseTalk model: audio encoder, denoising network and the learned start and null
embeddings, with the parameter names of the published ``DiffTalkingHead`` module."""

from __future__ import annotations

import torch
from torch import nn

from posetalk.audio.hubert import encode_audio
from posetalk.audio.whisper import encode_whisper
from posetalk.backends.base import LearnedEmbeddings, person_features
from posetalk.diffusion.schedules import Schedule
from posetalk.model.config import DenoiserConfig
from posetalk.model.denoiser import DenoisingNetwork


class DiffPoseTalk(nn.Module):
    """Holds the weights; sampling lives in :mod:`posetalk.model.window` and :mod:`posetalk.diffusion`.

    Args:
        config: hyper-parameters from the checkpoint.
        audio_encoder: a transformers HuBERT / wav2vec 2.0 model, or a Whisper encoder
            (``config.audio_model == "whisper"``).
        schedule: the diffusion schedule the checkpoint was trained with.
    """

    def __init__(self, config: DenoiserConfig, audio_encoder: nn.Module, schedule: Schedule) -> None:
        super().__init__()
        self.config = config
        self.schedule = schedule
        d = config.feature_dim
        self.audio_encoder = audio_encoder
        self.audio_feature_map = nn.Linear(audio_encoder.config.hidden_size, d)
        self.start_audio_feat = nn.Parameter(torch.zeros(1, config.n_prev_motions, d))
        self.start_motion_feat = nn.Parameter(torch.zeros(1, config.n_prev_motions, config.motion_dim))
        self.denoising_net = DenoisingNetwork(config)
        if "style" in config.guiding_conditions:
            self.null_style_feat = nn.Parameter(torch.zeros(1, 1, config.d_style))
        if "audio" in config.guiding_conditions:
            self.null_audio_feat = nn.Parameter(torch.zeros(1, 1, d))

    @property
    def device(self) -> torch.device:
        return self.start_motion_feat.device

    def audio_features(self, audio: torch.Tensor, n_frames: int) -> torch.Tensor:
        """audio: (N, S) normalised 16 kHz samples -> (N, n_frames, d_model) features."""
        encode = encode_whisper if self.config.audio_model == "whisper" else encode_audio
        return self.audio_feature_map(encode(self.audio_encoder, audio, n_frames, self.config.fps))

    @property
    def embeddings(self) -> LearnedEmbeddings:
        """The learned start and null embeddings (the parameters themselves, so gradients flow)."""
        return LearnedEmbeddings(
            self.start_motion_feat, self.start_audio_feat, getattr(self, "null_audio_feat", None),
            getattr(self, "null_style_feat", None),
        )

    def person(self, shape: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        """shape: (N, 100) normalised identity, style: (N, d_style) or None -> (N, 1, d_person)."""
        return person_features(self.config, self.embeddings, shape, style)
