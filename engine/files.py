"""Output files written whole or not at all, with the permissions any new file gets.

The engine's single-file outputs (coefficients, MP4 videos, style features, ARKit maps, converted
FLAME models, training checkpoints, the trained model's weights, the training-set and transcript
caches) go through :func:`atomic_write`: the data goes to a hidden temporary file beside the
target, which replaces the target in one ``os.replace`` once it is complete. The temporary file is
created with mode 0666 and the kernel applies the umask, so the result has the mode
``open(path, "w")`` would give it (0644 under the usual umask 022), unlike ``tempfile.mkstemp``'s
0600.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from posetalk.errors import PosetalkError

NEW_FILE_MODE = 0o666
"""What a new file asks for; the process's umask takes its bits away."""


def _create_beside(path: Path) -> tuple[Path, int]:
    """A new, empty hidden file in ``path``'s folder and its descriptor (never an existing file)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
        try:
            return temporary, os.open(temporary, flags, NEW_FILE_MODE)
        except FileExistsError:
            continue


@contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Yield a binary file to write ``path``'s new content to.

    On a clean exit the file is flushed to disk and replaces ``path`` (its folder is created if
    missing); on an exception it is removed and ``path`` is left as it was, so a crash, a full
    disk or Ctrl-C never leaves a half-written file under the real name.

    Raises:
        PosetalkError: ``path``'s folder cannot be created or written to, or ``path`` is a folder.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary, handle = _create_beside(path)
    except OSError as error:
        raise PosetalkError(f"{path}: cannot write here ({error.strerror or error})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.replace(temporary, path)
        except OSError as error:
            raise PosetalkError(f"{path}: cannot write here ({error.strerror or error})") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
