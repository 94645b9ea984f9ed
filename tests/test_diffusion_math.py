"""Schedules, the DDPM step, guidance and thresholding against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from posetalk.diffusion.ddpm import ddpm_step, sample_ddpm
from posetalk.diffusion.guidance import Guidance, combine_branches, stack_branches
from posetalk.diffusion.noise import RecordingNoise, ReplayNoise, SeededNoise
from posetalk.diffusion.schedules import SCHEDULE_KINDS, make_schedule
from posetalk.diffusion.thresholding import DynamicThreshold


@pytest.mark.parametrize("kind", SCHEDULE_KINDS)
def test_schedule_invariants(kind: str) -> None:
    s = make_schedule(kind, 100)
    assert s.num_steps == 100 and s.betas[0] == 0 and s.alpha_bars[0] == 1
    torch.testing.assert_close(s.alpha_bars[1:], torch.cumprod(1 - s.betas[1:], 0), rtol=1e-5, atol=1e-6)
    assert torch.all(s.alpha_bars[1:] < s.alpha_bars[:-1])
    assert torch.all(s.sigmas_inflex <= s.sigmas_flex + 1e-7)


def test_linear_schedule_by_hand() -> None:
    s = make_schedule("linear", 3, beta_1=0.1, beta_T=0.3)
    torch.testing.assert_close(s.betas, torch.tensor([0.0, 0.1, 0.2, 0.3]))
    assert s.alpha_bars[3].item() == pytest.approx(0.9 * 0.8 * 0.7, rel=1e-6)
    # beta_tilde_2 = (1 - abar_1) / (1 - abar_2) * beta_2 = 0.1 / 0.28 * 0.2
    assert s.sigmas_inflex[2].item() == pytest.approx(math.sqrt(0.1 / 0.28 * 0.2), rel=1e-6)
    assert s.sigma(2, 1.0).item() == pytest.approx(math.sqrt(0.2), rel=1e-6)


def test_cosine_schedule_by_hand() -> None:
    s = make_schedule("cosine", 4)
    f = [math.cos((t / 4 + 0.008) / 1.008 * math.pi / 2) ** 2 for t in range(5)]
    expected = [min(max(1 - f[t] / f[t - 1], 1e-4), 0.999) for t in range(1, 5)]
    torch.testing.assert_close(s.betas[1:], torch.tensor(expected), rtol=1e-5, atol=1e-6)


def test_unknown_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown diffusion schedule"):
        make_schedule("exponential", 10)  # type: ignore[arg-type]


def test_sample_step_recovers_clean_signal_with_perfect_prediction() -> None:
    """With the true x_0 predicted, every step keeps x_t on the forward-process mean path."""
    s = make_schedule("linear", 50)
    x0 = torch.randn(2, 5, 3)
    x = torch.sqrt(s.alpha_bars[50]) * x0
    for t in range(50, 0, -1):
        x = ddpm_step(x, x0, t, s, "sample", torch.tensor(0.0), torch.zeros_like(x))
        torch.testing.assert_close(x, torch.sqrt(s.alpha_bars[t - 1]) * x0, rtol=1e-4, atol=1e-5)


def test_noise_step_matches_sample_step_for_consistent_predictions() -> None:
    """eps- and x0-parametrised posterior means agree when eps and x0 describe the same x_t."""
    s = make_schedule("cosine", 20)
    x0, eps = torch.randn(1, 4, 2), torch.randn(1, 4, 2)
    for t in (20, 7, 2):
        x_t = torch.sqrt(s.alpha_bars[t]) * x0 + torch.sqrt(1 - s.alpha_bars[t]) * eps
        zero = torch.zeros_like(x_t)
        a = ddpm_step(x_t, eps, t, s, "noise", torch.tensor(0.0), zero)
        b = ddpm_step(x_t, x0, t, s, "sample", torch.tensor(0.0), zero)
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_sampler_draws_one_noise_per_step_but_the_last() -> None:
    s = make_schedule("linear", 10)
    recorder = RecordingNoise(SeededNoise(3))
    x = sample_ddpm(lambda x, t: torch.zeros_like(x), torch.ones(1, 2, 2), s, "sample", recorder)
    assert len(recorder.draws) == 9
    replayed = sample_ddpm(lambda x, t: torch.zeros_like(x), torch.ones(1, 2, 2), s, "sample", ReplayNoise(recorder.draws))
    torch.testing.assert_close(x, replayed, rtol=0, atol=0)


def test_replay_refuses_wrong_shape_and_exhaustion() -> None:
    replay = ReplayNoise([torch.zeros(2, 3)])
    with pytest.raises(RuntimeError, match="shape"):
        replay((3, 2))
    replay((2, 3))
    with pytest.raises(RuntimeError, match="exhausted"):
        replay((2, 3))


def test_seeded_noise_is_reproducible_and_private() -> None:
    a, b = SeededNoise(7), SeededNoise(7)
    torch.manual_seed(0)
    first = a((4,))
    torch.manual_seed(1)
    assert torch.equal(first, b((4,)))
    assert not torch.equal(a((4,)), SeededNoise(8)((4,)))


def _branches(*values: float) -> torch.Tensor:
    return torch.tensor(values).reshape(len(values), 1)


def test_incremental_guidance_by_hand() -> None:
    g = Guidance(("audio", "style"), (2.0, 3.0), "incremental")
    # y0 + 2 (y1 - y0) + 3 (y2 - y1) = 1 + 2*1 + 3*2 = 9
    assert combine_branches(_branches(1.0, 2.0, 4.0), g).item() == pytest.approx(9.0)


def test_independent_guidance_keeps_published_accumulation() -> None:
    g = Guidance(("audio", "style"), (2.0, 3.0), "independent")
    # out1 = 1 + 2 (2 - 1) = 3; out2 = 3 + 3 (4 - 3) = 6 (the second term is taken against out1)
    assert combine_branches(_branches(1.0, 2.0, 4.0), g).item() == pytest.approx(6.0)


def test_unit_scales_reduce_to_the_fully_conditioned_branch() -> None:
    for mode in ("incremental", "independent"):
        g = Guidance(("audio", "style"), (1.0, 1.0), mode)
        assert combine_branches(_branches(1.0, 2.0, 4.0), g).item() == pytest.approx(4.0)


def test_guidance_sorts_conditions_audio_first() -> None:
    g = Guidance(("style", "audio"), (3.0, 1.5))
    assert g.conditions == ("audio", "style") and g.scales == (1.5, 3.0)


def test_branch_stacking_per_mode() -> None:
    audio, audio_null = torch.full((1, 2, 1), 1.0), torch.full((1, 2, 1), 0.0)
    person, person_null = torch.full((1, 1, 1), 1.0), torch.full((1, 1, 1), 0.0)
    for mode, expected_audio, expected_person in (
        ("incremental", [0, 1, 1], [0, 0, 1]),
        ("independent", [0, 1, 0], [0, 0, 1]),
    ):
        a, p = stack_branches(Guidance(("audio", "style"), (1, 1), mode), audio, audio_null, person, person_null)
        assert a[:, 0, 0].tolist() == expected_audio and p[:, 0, 0].tolist() == expected_person
    # An unguided condition keeps its real value in every branch.
    a, p = stack_branches(Guidance(("style",), (2.0,)), audio, audio_null, person, person_null)
    assert a[:, 0, 0].tolist() == [1, 1] and p[:, 0, 0].tolist() == [0, 1]


def test_guidance_validation() -> None:
    with pytest.raises(ValueError):
        Guidance(("audio",), (1.0, 2.0))
    with pytest.raises(ValueError):
        Guidance(("audio", "audio"), (1.0, 2.0))
    with pytest.raises(ValueError):
        Guidance(("pitch",), (1.0,))  # type: ignore[arg-type]


def test_dynamic_threshold_by_hand() -> None:
    x = torch.tensor([[[0.1, -0.2, 0.5, -2.0]], [[0.01, 0.02, -0.03, 0.04]]])
    out = DynamicThreshold(ratio=0.5, min=0.1, max=1.0)(x)
    # Sample 0: median |x| = 0.35 -> clamp to +-0.35. Sample 1: median 0.025 -> raised to min 0.1.
    torch.testing.assert_close(out[0, 0], torch.tensor([0.1, -0.2, 0.35, -0.35]))
    torch.testing.assert_close(out[1], x[1])
