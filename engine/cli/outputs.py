"""Output paths checked before the slow work, so a mistyped ``-o`` fails at once, not after minutes."""

from __future__ import annotations

import os
from pathlib import Path

from posetalk.errors import PosetalkError


def writable_folder(folder: Path) -> None:
    """Create ``folder`` and its parents where missing, and check that files can be made in it.

    Raises:
        PosetalkError: ``folder`` or one of its parents is a file, or it cannot be created or
            written to.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise PosetalkError(f"{folder}: cannot write here (not a folder, or inside a file)") from None
    except OSError as error:
        raise PosetalkError(f"{folder}: cannot write here ({error.strerror or error})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PosetalkError(f"{folder}: cannot write here (no permission)")


def writable_file(path: Path) -> None:
    """:func:`writable_folder` of ``path``'s folder, and ``path`` not a folder itself.

    Raises:
        PosetalkError: as :func:`writable_folder`, or ``path`` is a folder.
    """
    writable_folder(path.parent)
    if path.is_dir():
        raise PosetalkError(f"{path}: is a folder; give a file name")
