"""Reading published FLAME pickles without chumpy and without blind unpickling.

The published files (FLAME 2020 ``generic_model.pkl``, FLAME 2023) are protocol-2 pickles written
by Python 2: they need ``encoding='latin1'``, wrap most arrays in ``chumpy.ch.Ch`` objects and store
the joint regressor as a scipy sparse matrix, sometimes under module paths that newer scipy
versions moved (``scipy.sparse.csc`` became ``scipy.sparse._csc``). This module resolves only an
allow-list of classes; anything else is refused with a :class:`PosetalkError`.
"""

from __future__ import annotations

import codecs
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

from posetalk.errors import PosetalkError


class ChumpyArray:
    """Stand-in for ``chumpy.ch.Ch``: keeps the pickled state, whose ``x`` entry is the array."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.state: dict[str, Any] = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.state = state

    def to_array(self) -> np.ndarray:
        if "x" not in self.state:
            raise PosetalkError("a chumpy object in the FLAME file holds no array under 'x'")
        return np.asarray(self.state["x"])


def _allowed_classes() -> dict[tuple[str, str], Callable[..., Any]]:
    """(module, name) -> object, for every global a FLAME pickle may legitimately name."""
    array_reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    scalar_reconstruct = np.float64(0).__reduce__()[0]
    allowed: dict[tuple[str, str], Callable[..., Any]] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,
        ("__builtin__", "set"): set,
        ("builtins", "set"): set,
        ("chumpy.ch", "Ch"): ChumpyArray,
    }
    for numpy_core in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(numpy_core, "_reconstruct")] = array_reconstruct
        allowed[(numpy_core, "scalar")] = scalar_reconstruct
    for fmt in ("csc", "csr", "coo"):
        cls = getattr(scipy.sparse, f"{fmt}_matrix")
        for module in (f"scipy.sparse.{fmt}", f"scipy.sparse._{fmt}", "scipy.sparse"):
            allowed[(module, f"{fmt}_matrix")] = cls
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the allow-listed globals."""

    allowed = _allowed_classes()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise PosetalkError(
                f"{self.source}: refusing to unpickle {module}.{name} "
                "(not an array, sparse matrix or chumpy object)"
            ) from None

    def __init__(self, file: Any, source: Path) -> None:
        super().__init__(file, encoding="latin1")
        self.source = source


def _plain(value: Any) -> Any:
    """Replace chumpy stand-ins by their arrays; leave everything else as it is."""
    return value.to_array() if isinstance(value, ChumpyArray) else value


def load_flame_pickle(path: Path) -> dict[str, Any]:
    """Read a published FLAME pickle into a dict of numpy arrays, sparse matrices and strings."""
    try:
        with open(path, "rb") as file:
            data = _RestrictedUnpickler(file, path).load()
    except OSError as error:
        raise PosetalkError(f"{path}: cannot read FLAME file ({error.strerror})") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
        raise PosetalkError(f"{path}: not a readable FLAME pickle ({error})") from None
    if not isinstance(data, dict):
        raise PosetalkError(f"{path}: a FLAME pickle holds a dict, found {type(data).__name__}")
    return {key: _plain(value) for key, value in data.items()}
