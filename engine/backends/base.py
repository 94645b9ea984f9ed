"""The one interface through which the engine runs a model.

Sampling (:mod:`posetalk.model.window`, :mod:`posetalk.diffusion`), the stream and offline
inference only ever call these three operations; which library computes them is the backend's
business. Tensors cross the interface as torch tensors on the backend's device (a backend that
computes elsewhere converts at its edges).

Every operation takes a leading batch dimension, so one call can serve several guidance branches
of several streams at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from posetalk.diffusion.schedules import Schedule
from posetalk.model.config import SHAPE_DIM, DenoiserConfig


@dataclass(frozen=True)
class LearnedEmbeddings:
    """The model's learned stand-ins, used outside its networks.

    Attributes:
        start_motion: (1, L_p, d_motion) previous motion of the first window.
        start_audio: (1, L_p, d_model) its audio features.
        null_audio: (1, 1, d_model) audio of the audio-free guidance branch (None without one).
        null_style: (1, 1, d_style) style of the style-free branch and of no style (None without one).
    """

    start_motion: torch.Tensor
    start_audio: torch.Tensor
    null_audio: torch.Tensor | None
    null_style: torch.Tensor | None


class ModelBackend(Protocol):
    """A loaded model, runnable on one device.

    Attributes:
        name: the backend's name as the command line spells it (``torch``, ``onnxruntime``).
        config: the denoiser's hyper-parameters (from the checkpoint or the bundle's manifest).
        schedule: the diffusion schedule it was trained with.
        embeddings: the learned start and null embeddings.
        device: where the tensors it takes and returns live.
    """

    name: str
    config: DenoiserConfig
    schedule: Schedule
    embeddings: LearnedEmbeddings
    device: torch.device

    def audio_features(self, audio: torch.Tensor, n_frames: int) -> torch.Tensor:
        """audio: (N, S) normalised 16 kHz samples -> (N, n_frames, d_model) features."""
        ...

    def condition(self, prev_audio: torch.Tensor, audio: torch.Tensor) -> object:
        """What the denoiser needs of a window's audio, computed once for all its steps.

        Args:
            prev_audio: (B, L_p, d_model) features of the previous-motion frames.
            audio: (B, L, d_model) features of the window's frames.
        Returns:
            an opaque value for :meth:`denoise` (e.g. cached cross-attention keys and values).
        """
        ...

    def denoise(
        self,
        x_t: torch.Tensor,
        step: torch.Tensor,
        person: torch.Tensor,
        prev_motion: torch.Tensor,
        indicator: torch.Tensor | None,
        audio: object,
    ) -> torch.Tensor:
        """One network evaluation.

        Args:
            x_t: (B, L, d_motion) noisy motion.
            step: (B,) int64 diffusion steps.
            person: (B, 1, d_person) from :func:`person_features`.
            prev_motion: (B, L_p, d_motion) the previous frames (normalised motion).
            indicator: (B, L) 1 where the audio was heard, or None for a model without one.
            audio: :meth:`condition` of the same B rows.
        Returns:
            (B, L_p + L, d_motion) the predicted target of the previous and current frames.
        """
        ...


def person_features(
    config: DenoiserConfig, embeddings: LearnedEmbeddings, shape: torch.Tensor, style: torch.Tensor | None
) -> torch.Tensor:
    """shape: (N, 100) normalised identity, style: (N, d_style) or None -> (N, 1, d_person).

    A style model given no style uses its learned null style, as the published sampler does.
    """
    if shape.shape[-1] != SHAPE_DIM:
        raise ValueError(f"shape coefficients must have {SHAPE_DIM} values, got {shape.shape[-1]}")
    person = shape[:, None]
    if not config.use_style:
        if style is not None:
            raise ValueError("this checkpoint was trained without style; it cannot take a style feature")
        return person
    if style is None:
        return torch.cat([person, embeddings.null_style.expand(shape.shape[0], -1, -1)], dim=-1)
    if style.shape[-1] != config.d_style:
        raise ValueError(f"style feature has {style.shape[-1]} values, the checkpoint expects {config.d_style}")
    return torch.cat([person, style[:, None]], dim=-1)
