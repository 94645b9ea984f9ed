"""Training files: checkpoints in the published layout (``{'args', 'model', 'iter'}`` for the
denoiser, ``{'args', 'encoder', 'iter'}`` for the style encoder, ``args`` an
``argparse.Namespace``), written atomically, plus a resume file with the optimiser's state."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch

from posetalk.checkpoint.safe_load import load_training_file
from posetalk.files import atomic_write

RESUME_SUFFIX = ".resume.pt"


def _atomic_save(data: dict[str, Any], path: Path) -> None:
    with atomic_write(path) as stream:
        torch.save(data, stream)


def save_published(path: Path, args: dict[str, Any], weights_key: str, state: dict[str, torch.Tensor], step: int,
                   half_prefixes: tuple[str, ...] = ()) -> None:
    """Write a training file the engine's loader (and the published one) reads; tensors whose
    names start with ``half_prefixes`` are stored as float16 (the frozen speech encoder)."""
    stored = {k: (v.half() if k.startswith(half_prefixes) and v.is_floating_point() else v).detach().cpu().clone()
              for k, v in state.items()}
    _atomic_save({"args": argparse.Namespace(**args), weights_key: stored, "iter": step}, path)


def save_resume(path: Path, step: int, model: torch.nn.Module, optimiser: torch.optim.Optimizer, extra: dict[str, Any]) -> None:
    """Everything needed to go on training from ``step``."""
    _atomic_save({"step": step, "model": model.state_dict(), "optimiser": optimiser.state_dict(), **extra},
                 path.with_name(path.name + RESUME_SUFFIX))


def load_resume(path: Path) -> dict[str, Any] | None:
    """The resume state saved beside ``path``, or None when training starts afresh."""
    resume = path.with_name(path.name + RESUME_SUFFIX)
    if not resume.is_file():
        return None
    return load_training_file(resume, "training resume file")
