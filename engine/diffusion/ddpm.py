"""The published DiffPoseTalk sampler: ancestral DDPM (Ho et al. 2020, Algorithm 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch

from posetalk.diffusion.noise import NoiseSource
from posetalk.diffusion.schedules import Schedule

Denoiser = Callable[[torch.Tensor, int], torch.Tensor]
"""(x_t (N, L, D), t) -> the network's target for x_t: x_0 ("sample") or epsilon ("noise")."""


def ddpm_step(
    x_t: torch.Tensor,
    prediction: torch.Tensor,
    t: int,
    schedule: Schedule,
    target: Literal["sample", "noise"],
    sigma: torch.Tensor,
    z: torch.Tensor,
) -> torch.Tensor:
    """One reverse step x_t -> x_{t-1}.

    target "noise": x_{t-1} = (x_t - (1 - a_t) / sqrt(1 - abar_t) * eps) / sqrt(a_t) + sigma z   (eq. 11)
    target "sample": the posterior mean of q(x_{t-1} | x_t, x_0) (eq. 7) plus sigma z.
    """
    alpha, alpha_bar, alpha_bar_prev = schedule.alphas[t], schedule.alpha_bars[t], schedule.alpha_bars[t - 1]
    if target == "noise":
        c0 = 1 / torch.sqrt(alpha)
        c1 = (1 - alpha) / torch.sqrt(1 - alpha_bar)
        return c0 * (x_t - c1 * prediction) + sigma * z
    c0 = (1 - alpha_bar_prev) * torch.sqrt(alpha) / (1 - alpha_bar)
    c1 = (1 - alpha) * torch.sqrt(alpha_bar_prev) / (1 - alpha_bar)
    return c0 * x_t + c1 * prediction + sigma * z


def sample_ddpm(
    denoise: Denoiser,
    x_T: torch.Tensor,
    schedule: Schedule,
    target: Literal["sample", "noise"],
    noise: NoiseSource,
    flexibility: float = 0.0,
    callback: Callable[[int], None] | None = None,
    start: int | None = None,
) -> torch.Tensor:
    """Run the reverse steps from x_start (N, L, D), start = T by default; return x_0.

    One draw of z per step t = start..2, taken from ``noise`` in that order; the last adds none.
    """
    x = x_T
    for t in range(schedule.num_steps if start is None else start, 0, -1):
        z = noise(x.shape).to(x) if t > 1 else torch.zeros_like(x)
        x = ddpm_step(x, denoise(x, t), t, schedule, target, schedule.sigma(t, flexibility), z)
        if callback is not None:
            callback(t)
    return x
