"""Few-step samplers on a toy denoiser whose answer is known in closed form.

Data x_0 ~ N(mu, s^2) per dimension. Then E[x_0 | x_t] is linear in x_t, and the probability-flow
ODE carries x_T to the same quantile of the data: x_0 = mu + s (x_T - sqrt(abar_T) mu) / sqrt(abar_T s^2 + 1 - abar_T).
"""

from __future__ import annotations

import pytest
import torch

from posetalk.diffusion.noise import SeededNoise
from posetalk.diffusion.samplers import renoise, run_sampler, spaced_steps
from posetalk.diffusion.schedules import make_schedule

MU, S = 0.7, 0.4
SCHEDULE = make_schedule("cosine", 500)


def optimal_x0(x_t: torch.Tensor, t: int) -> torch.Tensor:
    ab = SCHEDULE.alpha_bars[t]
    gain = torch.sqrt(ab) * S**2 / (ab * S**2 + 1 - ab)
    return MU + gain * (x_t - torch.sqrt(ab) * MU)


def optimal_eps(x_t: torch.Tensor, t: int) -> torch.Tensor:
    ab = SCHEDULE.alpha_bars[t]
    return (x_t - torch.sqrt(ab) * optimal_x0(x_t, t)) / torch.sqrt(1 - ab)


def flow_answer(x_T: torch.Tensor) -> torch.Tensor:
    ab = SCHEDULE.alpha_bars[500]
    return MU + S * (x_T - torch.sqrt(ab) * MU) / torch.sqrt(ab * S**2 + 1 - ab)


def ode_error(sampler: str, n: int, target: str = "sample") -> float:
    x_T = torch.randn(1, 64, 3, generator=torch.Generator().manual_seed(0))
    denoise = optimal_x0 if target == "sample" else optimal_eps
    out = run_sampler(sampler, denoise, x_T, SCHEDULE, target, spaced_steps(500, n), SeededNoise(1))
    return float((out - flow_answer(x_T)).abs().max())


@pytest.mark.parametrize("sampler", ["ddim", "dpmpp-2m"])
@pytest.mark.parametrize("target", ["sample", "noise"])
def test_deterministic_samplers_converge_to_the_flow_solution(sampler: str, target: str) -> None:
    errors = {n: ode_error(sampler, n, target) for n in (1, 3, 5, 10, 20, 50, 250)}
    # Enough steps: the exact answer (DDIM is first order, so it needs more of them).
    assert errors[250] < (2e-3 if sampler == "dpmpp-2m" else 1.5e-2), errors
    # Fewer steps degrade gracefully: never worse than a single step, and improving with steps.
    assert all(error <= errors[1] for error in errors.values()), errors
    assert errors[50] < errors[5] / 4 and errors[250] < errors[20] / 4, errors


def test_second_order_beats_first_order_asymptotically() -> None:
    for n in (50, 100, 250):
        assert ode_error("dpmpp-2m", n) < ode_error("ddim", n) / 1.5


@pytest.mark.parametrize(("sampler", "n", "eta"), [("ddpm", 500, 0.0), ("ddim", 100, 1.0)])
def test_stochastic_samplers_reach_the_data_distribution(sampler: str, n: int, eta: float) -> None:
    x_T = torch.randn(1, 4000, 1, generator=torch.Generator().manual_seed(2))
    out = run_sampler(sampler, optimal_x0, x_T, SCHEDULE, "sample", spaced_steps(500, n), SeededNoise(3), eta=eta)
    assert float(out.mean()) == pytest.approx(MU, abs=0.03)
    assert float(out.std()) == pytest.approx(S, rel=0.06)


def test_warm_start_from_a_renoised_answer() -> None:
    """Starting at t = 100 from the exact data point re-noised keeps the sample near it."""
    x0 = MU + S * torch.randn(1, 256, 1, generator=torch.Generator().manual_seed(4))
    z = torch.randn(x0.shape, generator=torch.Generator().manual_seed(5))
    x_t = renoise(x0, 100, SCHEDULE, z)
    out = run_sampler("dpmpp-2m", optimal_x0, x_t, SCHEDULE, "sample", spaced_steps(500, 8, start=100), SeededNoise(6))
    cold = run_sampler("dpmpp-2m", optimal_x0, torch.randn(x0.shape), SCHEDULE, "sample", spaced_steps(500, 8), SeededNoise(6))
    assert float((out - x0).abs().mean()) < 0.5 * float((cold - x0).abs().mean())


def test_spaced_steps() -> None:
    assert spaced_steps(500, 1) == [500]
    assert spaced_steps(500, 2) == [500, 1]
    steps = spaced_steps(500, 10)
    assert steps[0] == 500 and steps[-1] == 1 and len(set(steps)) == 10 and steps == sorted(steps, reverse=True)
    assert spaced_steps(50, 50) == list(range(50, 0, -1))
    with pytest.raises(ValueError):
        spaced_steps(50, 51)


def test_ddpm_refuses_skipped_steps() -> None:
    with pytest.raises(ValueError, match="every step"):
        run_sampler("ddpm", optimal_x0, torch.zeros(1, 1, 1), SCHEDULE, "sample", [500, 250, 1], SeededNoise(0))
