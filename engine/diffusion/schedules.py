"""Variance schedules of the discrete diffusion process (DDPM, Ho et al. 2020).

All buffers have length T + 1; index 0 is padding (beta_0 = 0, alpha_bar_0 = 1) so that index t
is diffusion step t, as in the published DiffPoseTalk implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

ScheduleKind = Literal["linear", "quadratic", "sigmoid", "cosine"]
SCHEDULE_KINDS: tuple[ScheduleKind, ...] = ("linear", "quadratic", "sigmoid", "cosine")


@dataclass(frozen=True)
class Schedule:
    """Per-step diffusion coefficients, each a float32 tensor of shape (T + 1,).

    Attributes:
        betas: beta_t, the variance added at step t.
        alphas: alpha_t = 1 - beta_t.
        alpha_bars: alpha_bar_t = prod_{s <= t} alpha_s.
        sigmas_flex: sqrt(beta_t), the upper bound of the reverse-step standard deviation.
        sigmas_inflex: sqrt(beta_tilde_t) = sqrt((1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) * beta_t),
            the posterior standard deviation (Ho et al. 2020, eq. 7).
    """

    betas: torch.Tensor
    alphas: torch.Tensor
    alpha_bars: torch.Tensor
    sigmas_flex: torch.Tensor
    sigmas_inflex: torch.Tensor

    @property
    def num_steps(self) -> int:
        return self.betas.shape[0] - 1

    def sigma(self, t: int, flexibility: float = 0.0) -> torch.Tensor:
        """Reverse-step standard deviation, interpolated between the two classic choices."""
        if not 0.0 <= flexibility <= 1.0:
            raise ValueError(f"flexibility must lie in [0, 1], got {flexibility}")
        return self.sigmas_flex[t] * flexibility + self.sigmas_inflex[t] * (1 - flexibility)


def _betas(kind: ScheduleKind, num_steps: int, beta_1: float, beta_T: float, s: float) -> torch.Tensor:
    if kind == "linear":
        return torch.linspace(beta_1, beta_T, num_steps)
    if kind == "quadratic":
        return torch.linspace(beta_1**0.5, beta_T**0.5, num_steps) ** 2
    if kind == "sigmoid":
        return torch.sigmoid(torch.linspace(-5, 5, num_steps)) * (beta_T - beta_1) + beta_1
    if kind == "cosine":
        # Nichol & Dhariwal 2021, eq. 17, with betas clipped to [1e-4, 0.999].
        x = torch.linspace(0, num_steps, num_steps + 1)
        alpha_bars = torch.cos(((x / num_steps) + s) / (1 + s) * math.pi * 0.5) ** 2
        alpha_bars = alpha_bars / alpha_bars[0]
        return torch.clip(1 - alpha_bars[1:] / alpha_bars[:-1], 0.0001, 0.999)
    raise ValueError(f"unknown diffusion schedule {kind!r}; expected one of {SCHEDULE_KINDS}")


def make_schedule(
    kind: ScheduleKind, num_steps: int, beta_1: float = 1e-4, beta_T: float = 0.02, s: float = 0.008
) -> Schedule:
    """Build the schedule of ``num_steps`` steps, padded at index 0."""
    betas = torch.cat([torch.zeros(1), _betas(kind, num_steps, beta_1, beta_T, s)])
    alphas = 1 - betas
    # A running sum of logs, element by element in float32, as the published code does; a
    # cumprod differs in the last bits, which trained checkpoints were not exposed to.
    log_alphas = torch.log(alphas)
    for i in range(1, log_alphas.shape[0]):
        log_alphas[i] += log_alphas[i - 1]
    alpha_bars = log_alphas.exp()
    sigmas_flex = torch.sqrt(betas)
    posterior_var = torch.zeros_like(betas)
    posterior_var[1:] = (1 - alpha_bars[:-1]) / (1 - alpha_bars[1:]) * betas[1:]
    return Schedule(betas, alphas, alpha_bars, sigmas_flex, torch.sqrt(posterior_var))
