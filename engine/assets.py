"""The folders of files shipped inside the package (shaders, browser viewer, data, default model).

Each is package data found through ``importlib.resources``, so an editable install and a wheel
installed anywhere read the same files; pyproject.toml maps ``shaders/`` and ``clients/web/`` in as
the sub-packages ``posetalk.shaders`` and ``posetalk.viewer``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from posetalk.errors import PosetalkError


def package_dir(package: str) -> Path:
    """The folder on disk of the installed ``package`` (e.g. ``"posetalk.shaders"``)."""
    folder = resources.files(package)
    if not isinstance(folder, Path):
        raise PosetalkError(f"{package} is installed inside an archive ({folder}): install posetalk unpacked, as pip does")
    return folder
