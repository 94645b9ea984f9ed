"""The small numpy files that go with a checkpoint: coefficient statistics, identity, style."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posetalk.errors import UNREADABLE_ARRAY_FILE, PosetalkError
from posetalk.model.config import EXP_DIM, SHAPE_DIM

POSE_DIM = 6
STAT_SIZES = {"exp": EXP_DIM, "pose": POSE_DIM, "shape": SHAPE_DIM}


@dataclass(frozen=True)
class CoefficientStats:
    """Per-component mean and standard deviation of the training set's FLAME coefficients.

    Each attribute is a float32 array: exp_* (50,), pose_* (6,), shape_* (100,).
    """

    exp_mean: np.ndarray
    exp_std: np.ndarray
    pose_mean: np.ndarray
    pose_std: np.ndarray
    shape_mean: np.ndarray
    shape_std: np.ndarray


def _read_array(path: Path, what: str, allow_pickle: bool = False) -> np.ndarray | np.lib.npyio.NpzFile:
    if not path.is_file():
        raise PosetalkError(f"{path}: no such {what} file")
    try:
        return np.load(path, allow_pickle=allow_pickle)
    except UNREADABLE_ARRAY_FILE as error:
        raise PosetalkError(f"{path}: not a readable {what} ({str(error).splitlines()[0][:120]})") from None


def load_stats(path: str | Path) -> CoefficientStats:
    """Read a statistics ``.npz`` with exp/pose/shape means and standard deviations."""
    path = Path(path)
    data = _read_array(path, "coefficient statistics")
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise PosetalkError(f"{path}: coefficient statistics must be an .npz archive, found a single array")
    fields = {}
    with data:
        for name, size in STAT_SIZES.items():
            for suffix in ("mean", "std"):
                key = f"{name}_{suffix}"
                if key not in data.files:
                    raise PosetalkError(f"{path}: coefficient statistics lack {key!r}")
                value = np.asarray(data[key], dtype=np.float32).reshape(-1)
                if value.shape != (size,):
                    raise PosetalkError(f"{path}: {key} has {value.size} values, expected {size}")
                if not np.all(np.isfinite(value)) or (suffix == "std" and np.any(value <= 0)):
                    raise PosetalkError(f"{path}: {key} holds non-finite or non-positive values")
                fields[key] = value
    return CoefficientStats(**fields)


def _vector_from(path: Path, what: str, key: str) -> np.ndarray:
    data = _read_array(path, what)
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            if key not in data.files:
                raise PosetalkError(f"{path}: {what} archive has no {key!r} array")
            data = data[key]
    if not np.issubdtype(data.dtype, np.number):
        raise PosetalkError(f"{path}: {what} must be numeric, found dtype {data.dtype}")
    return np.asarray(data, dtype=np.float32)


def load_shape(path: str | Path) -> np.ndarray:
    """(100,) identity shape: a (100,) or per-frame (L, 100) ``.npy`` (first frame used, as the
    published demo does), or an ``.npz`` with a ``shape`` array."""
    path = Path(path)
    shape = _vector_from(path, "identity shape", "shape")
    if shape.ndim == 2:
        shape = shape[0]
    if shape.shape != (SHAPE_DIM,):
        raise PosetalkError(f"{path}: identity shape must hold {SHAPE_DIM} coefficients, found shape {shape.shape}")
    if not np.all(np.isfinite(shape)):
        raise PosetalkError(f"{path}: identity shape holds NaN or infinite values")
    return shape


def load_style(path: str | Path, d_style: int | None = None) -> np.ndarray:
    """(d_style,) style feature from a ``.npy`` (or an ``.npz`` with a ``style`` array)."""
    path = Path(path)
    style = _vector_from(path, "style feature", "style")
    if style.ndim != 1 or (d_style is not None and style.shape[0] != d_style):
        expected = f"({d_style},)" if d_style is not None else "a vector"
        raise PosetalkError(f"{path}: style feature has shape {style.shape}, the checkpoint expects {expected}")
    if not np.all(np.isfinite(style)):
        raise PosetalkError(f"{path}: style feature holds NaN or infinite values")
    return style
