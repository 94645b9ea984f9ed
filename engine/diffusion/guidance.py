"""Classifier-free guidance (Ho & Salimans 2022) over audio and style, as DiffPoseTalk applies it.

All branches of one step run as one batched network call: branch 0 has every guided condition
replaced by its learned null embedding, branch k (k >= 1) enables conditions:

- ``incremental``: the first k conditions (audio, then audio + style), so each scale weighs the
  gain of adding one more condition (DiffPoseTalk, Sun et al. 2024, sec. 3.3);
- ``independent``: condition k alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

GuidanceCondition = Literal["audio", "style"]
GuidanceMode = Literal["incremental", "independent"]
GUIDANCE_CONDITIONS: tuple[GuidanceCondition, ...] = ("audio", "style")


@dataclass(frozen=True)
class Guidance:
    """Which conditions are guided, with what scale, combined how.

    Conditions are kept in the published order (audio before style) whatever order they are given in.
    """

    conditions: tuple[GuidanceCondition, ...] = ()
    scales: tuple[float, ...] = ()
    mode: GuidanceMode = "incremental"

    def __post_init__(self) -> None:
        if len(self.conditions) != len(self.scales):
            raise ValueError(f"{len(self.conditions)} guided conditions but {len(self.scales)} scales")
        unknown = [c for c in self.conditions if c not in GUIDANCE_CONDITIONS]
        if unknown or len(set(self.conditions)) != len(self.conditions):
            raise ValueError(f"guided conditions must be distinct members of {GUIDANCE_CONDITIONS}")
        if self.mode not in ("incremental", "independent"):
            raise ValueError(f"unknown guidance mode {self.mode!r}")
        order = sorted(range(len(self.conditions)), key=lambda i: GUIDANCE_CONDITIONS.index(self.conditions[i]))
        object.__setattr__(self, "conditions", tuple(self.conditions[i] for i in order))
        object.__setattr__(self, "scales", tuple(float(self.scales[i]) for i in order))

    @property
    def n_branches(self) -> int:
        return 1 + len(self.conditions)

    def enabled(self, branch: int) -> frozenset[GuidanceCondition]:
        """The guided conditions that branch ``branch`` sees (the others get null embeddings)."""
        if branch == 0:
            return frozenset()
        if self.mode == "incremental":
            return frozenset(self.conditions[:branch])
        return frozenset((self.conditions[branch - 1],))


def stack_branches(
    guidance: Guidance,
    audio: torch.Tensor,
    audio_null: torch.Tensor,
    person: torch.Tensor,
    person_null: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Batch the conditioning of all branches.

    Args:
        audio, audio_null: (N, L, d_audio) audio features and their null replacement.
        person, person_null: (N, 1, d_person) person features with and without the style.
    Returns:
        audio_in (B * N, L, d_audio) and person_in (B * N, 1, d_person), B = guidance.n_branches.
        A condition that is not guided keeps its real value in every branch.
    """
    audio_in, person_in = [], []
    for branch in range(guidance.n_branches):
        enabled = guidance.enabled(branch)
        audio_on = "audio" in enabled or "audio" not in guidance.conditions
        style_on = "style" in enabled or "style" not in guidance.conditions
        audio_in.append(audio if audio_on else audio_null)
        person_in.append(person if style_on else person_null)
    return torch.cat(audio_in), torch.cat(person_in)


def combine_branches(outputs: torch.Tensor, guidance: Guidance) -> torch.Tensor:
    """Combine the batched branch outputs (B * N, ...) into the guided prediction (N, ...).

    incremental: out = y_0 + sum_k s_k (y_{k+1} - y_k).
    independent: the published code accumulates in place into the tensor that also serves as the
    reference y_0, so every term after the first is taken against the running result:
    out_0 = y_0, out_{k+1} = out_k + s_k (y_{k+1} - out_k). Trained checkpoints were tuned with this
    behaviour, so it is kept.
    """
    branches = outputs.chunk(guidance.n_branches)
    guided = branches[0].clone()
    for k, scale in enumerate(guidance.scales):
        reference = branches[k] if guidance.mode == "incremental" else guided
        guided = guided + scale * (branches[k + 1] - reference)
    return guided


def guidance_from_options(
    conditions: Sequence[GuidanceCondition], scale_audio: float, scale_style: float, mode: GuidanceMode
) -> Guidance:
    """Guidance with one scale per named condition (audio and style have their own scales)."""
    scales = {"audio": scale_audio, "style": scale_style}
    return Guidance(tuple(conditions), tuple(scales[c] for c in conditions), mode)


def guidance_for_style(
    conditions: Sequence[GuidanceCondition], style_given: bool, scale_audio: float, scale_style: float,
    mode: GuidanceMode,
) -> Guidance:
    """Guidance on a model's conditions; style guidance only when a style is given (without one,
    the style branch would compare the null style with itself)."""
    usable = [c for c in conditions if c != "style" or style_given]
    return guidance_from_options(usable, scale_audio, scale_style, mode)
