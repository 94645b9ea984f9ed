"""The coefficient file format: an ``.npz`` with exp (L, 50), pose (L, 6), shape (L, 100), fps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posetalk.errors import UNREADABLE_ARRAY_FILE, PosetalkError
from posetalk.files import atomic_write

COLUMNS = {"exp": 50, "pose": 6, "shape": 100}
DEFAULT_FPS = 25


@dataclass(frozen=True)
class CoefficientSequence:
    exp: np.ndarray
    pose: np.ndarray
    shape: np.ndarray
    fps: int

    def __len__(self) -> int:
        return self.exp.shape[0]


def save_coefficients(path: str | Path, exp: np.ndarray, pose: np.ndarray, shape: np.ndarray, fps: int) -> None:
    """Write atomically: a crash or a full disk never leaves a half-written file at ``path``."""
    with atomic_write(path) as stream:
        np.savez(stream, exp=exp.astype(np.float32), pose=pose.astype(np.float32),
                 shape=shape.astype(np.float32), fps=np.int32(fps))


def load_coefficients(path: str | Path) -> CoefficientSequence:
    """Read a coefficient file, checking every array's shape; ``fps`` defaults to 25."""
    path = Path(path)
    if not path.is_file():
        raise PosetalkError(f"{path}: no such coefficient file")
    try:
        with np.load(path) as data:
            arrays = {}
            for name, width in COLUMNS.items():
                if name not in data.files:
                    raise PosetalkError(f"{path}: coefficient file lacks {name!r}")
                arrays[name] = np.asarray(data[name], dtype=np.float32)
            fps = int(data["fps"]) if "fps" in data.files else DEFAULT_FPS
    except UNREADABLE_ARRAY_FILE as error:
        raise PosetalkError(f"{path}: not a readable coefficient file ({str(error).splitlines()[0][:120]})") from None
    n_frames = arrays["exp"].shape[0]
    for name, width in COLUMNS.items():
        if arrays[name].ndim != 2 or arrays[name].shape != (n_frames, width):
            raise PosetalkError(f"{path}: {name} has shape {arrays[name].shape}, expected ({n_frames}, {width})")
        if not np.all(np.isfinite(arrays[name])):
            raise PosetalkError(f"{path}: {name} holds NaN or infinite values")
    return CoefficientSequence(arrays["exp"], arrays["pose"], arrays["shape"], fps)
