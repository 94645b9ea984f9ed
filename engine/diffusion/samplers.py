"""Few-step samplers over the same discrete-time denoiser, and a common entry point.

Each sampler visits a descending list of diffusion steps t_1 > … > t_n >= 1 (any subset of
1..T, evenly spaced by :func:`spaced_steps`), evaluates the denoiser once per step, and ends at
t = 0 (alpha_bar_0 = 1), where the state equals the last x_0 prediction. Starting below T (a warm
start from a re-noised earlier prediction, see :func:`renoise`) is just a shorter list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch

from posetalk.diffusion.ddpm import Denoiser, sample_ddpm
from posetalk.diffusion.noise import NoiseSource
from posetalk.diffusion.sampler_names import SAMPLER_NAMES, SamplerName
from posetalk.diffusion.schedules import Schedule

Target = Literal["sample", "noise"]


def spaced_steps(num_steps: int, n: int, start: int | None = None) -> list[int]:
    """n distinct steps from ``start`` (default T) down to 1, as evenly spaced as integers allow."""
    start = num_steps if start is None else start
    if not 1 <= start <= num_steps:
        raise ValueError(f"start step {start} outside 1..{num_steps}")
    if not 1 <= n <= start:
        raise ValueError(f"cannot take {n} steps from step {start}")
    if n == 1:
        return [start]
    return [round(start - i * (start - 1) / (n - 1)) for i in range(n)]


def to_x0(x_t: torch.Tensor, prediction: torch.Tensor, t: int, schedule: Schedule, target: Target) -> torch.Tensor:
    """The x_0 a prediction implies: itself for x0-targets, (x_t - sqrt(1 - abar) eps) / sqrt(abar) for eps."""
    if target == "sample":
        return prediction
    alpha_bar = schedule.alpha_bars[t]
    return (x_t - torch.sqrt(1 - alpha_bar) * prediction) / torch.sqrt(alpha_bar)


def renoise(x0: torch.Tensor, t: int, schedule: Schedule, z: torch.Tensor) -> torch.Tensor:
    """Sample q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) with the given standard normal z."""
    alpha_bar = schedule.alpha_bars[t]
    return torch.sqrt(alpha_bar) * x0 + torch.sqrt(1 - alpha_bar) * z


def sample_ddpm_steps(
    denoise: Denoiser, x: torch.Tensor, schedule: Schedule, target: Target, steps: Sequence[int],
    noise: NoiseSource, flexibility: float = 0.0,
) -> torch.Tensor:
    """The published ancestral sampler; with steps = T..1 it is exactly the reference."""
    if list(steps) != list(range(steps[0], 0, -1)):
        raise ValueError("ddpm visits every step from its start down to 1; use ddim or dpmpp-2m to skip steps")
    return sample_ddpm(denoise, x, schedule, target, noise, flexibility, start=steps[0])


def sample_ddim(
    denoise: Denoiser, x: torch.Tensor, schedule: Schedule, target: Target, steps: Sequence[int],
    noise: NoiseSource, eta: float = 0.0,
) -> torch.Tensor:
    """DDIM (Song et al. 2021, eq. 12): eta = 0 is deterministic, eta = 1 matches DDPM's variance."""
    for i, t in enumerate(steps):
        s = steps[i + 1] if i + 1 < len(steps) else 0
        x0 = to_x0(x, denoise(x, t), t, schedule, target)
        if s == 0:
            return x0
        ab_t, ab_s = schedule.alpha_bars[t], schedule.alpha_bars[s]
        eps = (x - torch.sqrt(ab_t) * x0) / torch.sqrt(1 - ab_t)
        sigma = eta * torch.sqrt((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s))
        x = torch.sqrt(ab_s) * x0 + torch.sqrt(1 - ab_s - sigma**2) * eps
        if eta > 0:
            x = x + sigma * noise(x.shape).to(x)
    return x


def sample_dpmpp_2m(
    denoise: Denoiser, x: torch.Tensor, schedule: Schedule, target: Target, steps: Sequence[int],
    noise: NoiseSource | None = None,
) -> torch.Tensor:
    """DPM-Solver++(2M), the multistep second-order solver in data (x_0) prediction
    (Lu et al. 2022, "DPM-Solver++", Algorithm 2), with alpha_t = sqrt(abar_t),
    sigma_t = sqrt(1 - abar_t), lambda_t = log(alpha_t / sigma_t). Deterministic; the final step to
    t = 0 is first order, so the result is the last x_0 estimate."""

    def lam(t: int) -> float:
        ab = float(schedule.alpha_bars[t])
        return 0.5 * math.log(ab / (1 - ab))

    previous_x0: torch.Tensor | None = None
    previous_h = 0.0
    for i, t in enumerate(steps):
        s = steps[i + 1] if i + 1 < len(steps) else 0
        x0 = to_x0(x, denoise(x, t), t, schedule, target)
        if s == 0:
            return x0
        h = lam(s) - lam(t)
        sigma_t, sigma_s = math.sqrt(1 - float(schedule.alpha_bars[t])), math.sqrt(1 - float(schedule.alpha_bars[s]))
        alpha_s = math.sqrt(float(schedule.alpha_bars[s]))
        estimate = x0
        if previous_x0 is not None:
            r = previous_h / h
            estimate = (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * previous_x0
        x = (sigma_s / sigma_t) * x - alpha_s * math.expm1(-h) * estimate
        previous_x0, previous_h = x0, h
    return x


def run_sampler(
    name: SamplerName, denoise: Denoiser, x: torch.Tensor, schedule: Schedule, target: Target,
    steps: Sequence[int], noise: NoiseSource, eta: float = 0.0,
) -> torch.Tensor:
    """Dispatch to one sampler by name; x is x_{steps[0]}."""
    if name == "ddpm":
        return sample_ddpm_steps(denoise, x, schedule, target, steps, noise)
    if name == "ddim":
        return sample_ddim(denoise, x, schedule, target, steps, noise, eta)
    if name == "dpmpp-2m":
        return sample_dpmpp_2m(denoise, x, schedule, target, steps, noise)
    raise ValueError(f"unknown sampler {name!r}; expected one of {SAMPLER_NAMES}")

