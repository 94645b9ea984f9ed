"""The backend seam: every backend computes what the published modules compute.

Each backend is checked operation by operation against :class:`TorchBackend` without its fast
path (PyTorch's own decoder at every step, as the published code runs it), on the published
fixtures' weights.
"""

from __future__ import annotations

import pytest
import torch

from posetalk.backends.base import ModelBackend, person_features
from posetalk.backends.torch_backend import TorchBackend
from posetalk.checkpoint.models import load_denoiser
from tests.conftest import fixture_id, official_fixture_dirs, require_fixture

FOLDERS = official_fixture_dirs()
by_folder = pytest.mark.parametrize("folder", FOLDERS, ids=[fixture_id(f) for f in FOLDERS])
FAST_PATH_TOLERANCE = 1e-5


def _inputs(backend: ModelBackend, batch: int, seed: int = 0) -> dict[str, torch.Tensor | None]:
    config = backend.config
    g = torch.Generator().manual_seed(seed)
    shape = torch.randn(batch, 100, generator=g)
    style = torch.randn(batch, config.d_style, generator=g) if config.use_style else None
    return {
        "x_t": torch.randn(batch, config.n_motions, config.motion_dim, generator=g),
        "step": torch.randint(1, config.n_diff_steps + 1, (batch,), generator=g),
        "person": person_features(config, backend.embeddings, shape, style),
        "prev_motion": torch.randn(batch, config.n_prev_motions, config.motion_dim, generator=g),
        "indicator": torch.ones(batch, config.n_motions) if config.use_indicator else None,
        "prev_audio": torch.randn(batch, config.n_prev_motions, config.feature_dim, generator=g),
        "audio": torch.randn(batch, config.n_motions, config.feature_dim, generator=g),
    }


def _denoise(backend: ModelBackend, inputs: dict[str, torch.Tensor | None]) -> torch.Tensor:
    audio = backend.condition(inputs["prev_audio"], inputs["audio"])
    with torch.no_grad():
        return backend.denoise(inputs["x_t"], inputs["step"], inputs["person"], inputs["prev_motion"],
                               inputs["indicator"], audio)


@by_folder
def test_torch_memory_cache_matches_the_published_decoder(folder) -> None:
    model = load_denoiser(require_fixture(folder / "denoiser.pt"))
    reference, fast = TorchBackend(model, cache_memory=False), TorchBackend(model, cache_memory=True)
    inputs = _inputs(reference, batch=3)
    expected, got = _denoise(reference, inputs), _denoise(fast, inputs)
    config = model.config
    assert expected.shape == (3, config.n_prev_motions + config.n_motions, config.motion_dim)
    deviation = (got - expected).abs().max().item()
    assert deviation <= FAST_PATH_TOLERANCE, f"cached cross-attention deviates by {deviation:.2e}"


@by_folder
def test_rows_of_a_batch_are_independent(folder) -> None:
    """One call may carry several streams' branches: a row's result cannot depend on its neighbours."""
    backend = TorchBackend(load_denoiser(require_fixture(folder / "denoiser.pt")))
    together = _denoise(backend, _inputs(backend, batch=4))
    alone = _denoise(backend, {k: None if v is None else v[1:2] for k, v in _inputs(backend, batch=4).items()})
    torch.testing.assert_close(alone, together[1:2], rtol=0, atol=FAST_PATH_TOLERANCE)
