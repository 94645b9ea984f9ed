"""Reading PyTorch training files without executing arbitrary pickled code.

``torch.load(weights_only=True)`` refuses every global that is not allow-listed; published
DiffPoseTalk files pickle an ``argparse.Namespace`` of options that holds ``pathlib`` paths, so
exactly those classes are added. Anything else in a file is refused with its name.
"""

from __future__ import annotations

import argparse
import pathlib
import pickle
from pathlib import Path
from typing import Any

import torch

from posetalk.errors import PosetalkError

ALLOWED_GLOBALS: list[Any] = [
    argparse.Namespace,
    pathlib.Path,
    pathlib.PosixPath,
    pathlib.WindowsPath,
    pathlib.PurePath,
    pathlib.PurePosixPath,
    pathlib.PureWindowsPath,
    # Python 3.13 moved the concrete path classes into pathlib._local; files written there name them so.
    (pathlib.PosixPath, "pathlib._local.PosixPath"),
    (pathlib.WindowsPath, "pathlib._local.WindowsPath"),
    (pathlib.PurePosixPath, "pathlib._local.PurePosixPath"),
    (pathlib.PureWindowsPath, "pathlib._local.PureWindowsPath"),
]


def load_training_file(path: str | Path, what: str) -> dict[str, Any]:
    """Load a ``torch.save``d dictionary through the allow-list, on the CPU.

    Args:
        path: the file.
        what: what the file should be, for error messages ("denoiser checkpoint", …).
    Raises:
        PosetalkError: one line naming the file and the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise PosetalkError(f"{path}: no such {what} file")
    try:
        with torch.serialization.safe_globals(ALLOWED_GLOBALS):
            data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        refused = _refused_global(str(error))
        if refused:
            raise PosetalkError(f"{path}: refusing to unpickle {refused}, which is not on the allow-list of a {what}") from None
        raise PosetalkError(f"{path}: not a readable {what} (truncated or corrupt: {_first_line(error)})") from None
    except Exception as error:  # an untrusted file can break the reader in many ways; all mean "corrupt"
        raise PosetalkError(f"{path}: not a readable {what} (truncated or corrupt: {_first_line(error)})") from None
    if not isinstance(data, dict):
        raise PosetalkError(f"{path}: not a {what} (holds a {type(data).__name__}, expected a dict)")
    return data


def _refused_global(message: str) -> str | None:
    """The global named by torch's weights-only refusal message, if that is what it is."""
    for line in message.splitlines():
        if "Unsupported global: GLOBAL " in line:
            return line.split("Unsupported global: GLOBAL ", 1)[1].split()[0].rstrip(".,")
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0].split(". ")[0][:120] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
