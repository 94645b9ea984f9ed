"""ONNX bundles shared by the test modules: each model is exported once per test session."""

from __future__ import annotations

import pytest

from posetalk.backends.onnx_cache import cached_bundle
from posetalk.backends.onnxruntime_backend import OnnxRuntimeBackend
from posetalk.model.talking_head import DiffPoseTalk

THREADS = 2


def session_backend(tmp_path_factory: pytest.TempPathFactory, model: DiffPoseTalk) -> OnnxRuntimeBackend:
    """ONNX Runtime over ``model``'s bundle, exported into this session's cache on first use."""
    return OnnxRuntimeBackend(cached_bundle(model, tmp_path_factory.getbasetemp() / "onnx-cache"), threads=THREADS)
