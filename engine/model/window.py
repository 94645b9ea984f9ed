"""One window of motion to denoise: its conditions, batched once for every guidance branch."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from posetalk.backends.base import ModelBackend, person_features
from posetalk.diffusion.guidance import Guidance, combine_branches, stack_branches
from posetalk.diffusion.thresholding import DynamicThreshold


@dataclass(frozen=True)
class WindowConditions:
    """Everything a window is conditioned on (N samples of one window).

    Attributes:
        audio: (N, L, d_model) audio features of the window's frames.
        prev_motion: (N, L_p, d_motion) last frames of the previous window (normalised motion).
        prev_audio: (N, L_p, d_model) their audio features.
        shape: (N, 100) normalised identity shape.
        style: (N, d_style) style feature, or None.
        indicator: (N, L) 1 where the audio is real, 0 for padding; None if the model has none.
    """

    audio: torch.Tensor
    prev_motion: torch.Tensor
    prev_audio: torch.Tensor
    shape: torch.Tensor
    style: torch.Tensor | None
    indicator: torch.Tensor | None


def start_conditions(backend: ModelBackend, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The learned (prev_motion, prev_audio) that stand in for a previous window at the start."""
    embeddings = backend.embeddings
    return embeddings.start_motion.expand(batch, -1, -1), embeddings.start_audio.expand(batch, -1, -1)


class GuidedDenoiser:
    """x_t -> guided prediction of the window's frames, every guidance branch in one network call.

    The batched conditions (and the backend's :meth:`~ModelBackend.condition` of the audio, e.g.
    cached cross-attention projections) are built once per window and reused for every step.
    """

    def __init__(
        self,
        backend: ModelBackend,
        conditions: WindowConditions,
        guidance: Guidance,
        threshold: DynamicThreshold | None = None,
    ) -> None:
        embeddings, config = backend.embeddings, backend.config
        if "style" in guidance.conditions and conditions.style is None:
            raise ValueError("style guidance needs a style feature")
        if "audio" in guidance.conditions and embeddings.null_audio is None:
            raise ValueError("this checkpoint was not trained for audio guidance")
        if "style" in guidance.conditions and embeddings.null_style is None:
            raise ValueError("this checkpoint was not trained for style guidance")
        self.backend = backend
        self.guidance = guidance
        self.threshold = threshold
        batch, n_motions = conditions.audio.shape[:2]
        branches = guidance.n_branches
        audio_null = (
            embeddings.null_audio.expand(batch, n_motions, -1) if "audio" in guidance.conditions else conditions.audio
        )
        person = person_features(config, embeddings, conditions.shape, conditions.style)
        person_null = person_features(config, embeddings, conditions.shape, None) if "style" in guidance.conditions else person
        audio, self.person = stack_branches(guidance, conditions.audio, audio_null, person, person_null)
        self.prev_motion = conditions.prev_motion.repeat(branches, 1, 1)
        self.indicator = None if conditions.indicator is None else conditions.indicator.repeat(branches, 1)
        self.n_motions = n_motions
        self.audio = backend.condition(conditions.prev_audio.repeat(branches, 1, 1), audio)

    def __call__(self, x_t: torch.Tensor, t: int) -> torch.Tensor:
        """x_t: (N, L, d_motion), t: diffusion step -> (N, L, d_motion) guided target."""
        branches = self.guidance.n_branches
        step = torch.full((branches * x_t.shape[0],), t, dtype=torch.long, device=x_t.device)
        outputs = self.backend.denoise(
            x_t.repeat(branches, 1, 1), step, self.person, self.prev_motion, self.indicator, self.audio
        )[:, -self.n_motions :]
        if self.threshold is not None:
            outputs = self.threshold(outputs)
        return combine_branches(outputs, self.guidance)
