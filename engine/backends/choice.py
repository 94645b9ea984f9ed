"""Which backend runs a network, and building it: one rule for the command line and the evaluation."""

from __future__ import annotations

from typing import Literal

import torch

from posetalk.backends.base import ModelBackend
from posetalk.export.bundle import Bundle
from posetalk.model.talking_head import DiffPoseTalk

BackendName = Literal["torch", "onnxruntime"]


def default_backend_name(network: DiffPoseTalk | Bundle) -> BackendName:
    """torch for a torch model, onnxruntime for a bundle (which holds no PyTorch weights)."""
    return "onnxruntime" if isinstance(network, Bundle) else "torch"


def build_backend(network: DiffPoseTalk | Bundle, name: BackendName, device: torch.device | str = "cpu",
                  threads: int | None = None, cache_memory: bool = True) -> ModelBackend:
    """``network`` on backend ``name``.

    Args:
        device: where a bundle runs (a torch model runs where it is).
        threads: ONNX Runtime's intra-op threads (None: its default, one per core).
        cache_memory: torch: compute the cross-attention memory once per window.
    Raises:
        ValueError: a bundle asked to run on torch, or ONNX Runtime refusing the device.
    """
    if name == "torch":
        if isinstance(network, Bundle):
            raise ValueError(f"{network.folder}: a model bundle runs on the onnxruntime backend; torch needs the checkpoint")
        from posetalk.backends.torch_backend import TorchBackend

        return TorchBackend(network, cache_memory=cache_memory)
    from posetalk.backends.onnxruntime_backend import OnnxRuntimeBackend

    if isinstance(network, Bundle):
        return OnnxRuntimeBackend(network, device, threads=threads)
    from posetalk.backends.onnx_cache import cached_bundle

    return OnnxRuntimeBackend(cached_bundle(network), network.device, threads=threads)
