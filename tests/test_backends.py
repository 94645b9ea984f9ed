"""The backend seam: every backend computes what the published modules compute.

Each backend is checked operation by operation against :class:`TorchBackend` without its fast
path (PyTorch's own decoder at every step, as the published code runs it), on the published
fixtures' weights: torch with its cached cross-attention, and ONNX Runtime over the exported bundle.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from posetalk.backends.base import ModelBackend
from posetalk.backends.torch_backend import TorchBackend
from posetalk.checkpoint.models import load_denoiser
from posetalk.export.check import denoiser_inputs, denoise_once
from tests.conftest import fixture_id, official_fixture_dirs, require_fixture
from tests.onnx_support import session_backend

FOLDERS = official_fixture_dirs()
by_folder = pytest.mark.parametrize("folder", FOLDERS, ids=[fixture_id(f) for f in FOLDERS])
BACKENDS = ("torch", "onnxruntime")
by_backend = pytest.mark.parametrize("kind", BACKENDS)
TOLERANCE = {"torch": 1e-5, "onnxruntime": 1e-5}
"""Largest deviation from the published decoder, by backend (both measure below 1e-6)."""


def _backend(kind: str, folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelBackend, TorchBackend]:
    """The backend under test and the published decoder's reference, on the fixture's weights."""
    model = load_denoiser(require_fixture(folder / "denoiser.pt"))
    backend = TorchBackend(model, cache_memory=True) if kind == "torch" else session_backend(tmp_path_factory, model)
    return backend, TorchBackend(model, cache_memory=False)


@by_backend
@by_folder
def test_backend_matches_the_published_decoder(folder, kind, tmp_path_factory) -> None:
    backend, reference = _backend(kind, folder, tmp_path_factory)
    inputs = denoiser_inputs(reference, batch=3)
    expected, got = denoise_once(reference, inputs), denoise_once(backend, inputs)
    config = reference.config
    assert got.shape == expected.shape == (3, config.n_prev_motions + config.n_motions, config.motion_dim)
    assert got.device == backend.device and got.dtype == torch.float32
    deviation = (got - expected).abs().max().item()
    assert deviation <= TOLERANCE[kind], f"{kind} deviates from the published decoder by {deviation:.2e}"


@by_backend
@by_folder
def test_rows_of_a_batch_are_independent(folder, kind, tmp_path_factory) -> None:
    """One call may carry several streams' branches: a row's result cannot depend on its neighbours."""
    backend, _ = _backend(kind, folder, tmp_path_factory)
    inputs = denoiser_inputs(backend, batch=4)
    together = denoise_once(backend, inputs)
    alone = denoise_once(backend, {k: None if v is None else v[1:2] for k, v in inputs.items()})
    torch.testing.assert_close(alone, together[1:2], rtol=0, atol=TOLERANCE[kind])
