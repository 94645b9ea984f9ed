"""One window of motion to denoise: its conditions, batched once for every guidance branch."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from posetalk.diffusion.guidance import Guidance, combine_branches, stack_branches
from posetalk.diffusion.thresholding import DynamicThreshold
from posetalk.model.talking_head import DiffPoseTalk


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


def start_conditions(model: DiffPoseTalk, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The learned (prev_motion, prev_audio) that stand in for a previous window at the start."""
    return model.start_motion_feat.expand(batch, -1, -1), model.start_audio_feat.expand(batch, -1, -1)


class GuidedDenoiser:
    """x_t -> guided prediction of the window's frames, every guidance branch in one network call.

    The batched conditions are built once per window and reused for every step; with
    ``cache_memory`` the decoder's cross-attention projections of the audio are too (a fast path,
    equal to the reference up to float rounding).
    """

    def __init__(
        self,
        model: DiffPoseTalk,
        conditions: WindowConditions,
        guidance: Guidance,
        threshold: DynamicThreshold | None = None,
        cache_memory: bool = False,
    ) -> None:
        if "style" in guidance.conditions and conditions.style is None:
            raise ValueError("style guidance needs a style feature")
        if "audio" in guidance.conditions and not hasattr(model, "null_audio_feat"):
            raise ValueError("this checkpoint was not trained for audio guidance")
        if "style" in guidance.conditions and not hasattr(model, "null_style_feat"):
            raise ValueError("this checkpoint was not trained for style guidance")
        self.model = model
        self.guidance = guidance
        self.threshold = threshold
        batch = conditions.audio.shape[0]
        branches = guidance.n_branches
        audio_null = model.null_audio(batch) if "audio" in guidance.conditions else conditions.audio
        person = model.person(conditions.shape, conditions.style)
        person_null = model.person_without_style(conditions.shape) if "style" in guidance.conditions else person
        self.audio, self.person = stack_branches(guidance, conditions.audio, audio_null, person, person_null)
        self.prev_motion = conditions.prev_motion.repeat(branches, 1, 1)
        self.prev_audio = conditions.prev_audio.repeat(branches, 1, 1)
        self.indicator = None if conditions.indicator is None else conditions.indicator.repeat(branches, 1)
        self.n_motions = conditions.audio.shape[1]
        self.memory = model.denoising_net.encode_memory(self.prev_audio, self.audio) if cache_memory else None

    def __call__(self, x_t: torch.Tensor, t: int) -> torch.Tensor:
        """x_t: (N, L, d_motion), t: diffusion step -> (N, L, d_motion) guided target."""
        branches = self.guidance.n_branches
        step = torch.full((branches * x_t.shape[0],), t, dtype=torch.long, device=x_t.device)
        outputs = self.model.denoising_net(
            x_t.repeat(branches, 1, 1), self.audio, self.person, self.prev_motion, self.prev_audio, step, self.indicator,
            self.memory,
        )[:, -self.n_motions :]
        if self.threshold is not None:
            outputs = self.threshold(outputs)
        return combine_branches(outputs, self.guidance)
