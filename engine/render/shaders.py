"""GLSL sources from ``shaders/`` (package data of ``posetalk.shaders``), with ``#include`` and ``#define``s.

Variants of one program are made by inserting ``#define NAME`` lines after ``#version``; shared code
comes in through ``#include "file.glsl"`` (resolved here, one level deep is all the shaders use).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from posetalk.assets import package_dir
from posetalk.errors import PosetalkError

SHADER_DIR = package_dir("posetalk.shaders")
_INCLUDE = re.compile(r'^\s*#include\s+"([^"]+)"\s*$', re.MULTILINE)
_VERSION = re.compile(r"^#version[^\n]*$", re.MULTILINE)


def _read(name: str) -> str:
    path = SHADER_DIR / name
    try:
        return path.read_text()
    except OSError:
        raise PosetalkError(f"{path}: shader file missing (is the installation complete?)") from None


def shader_source(name: str, defines: Iterable[str] = ()) -> str:
    """The text of ``shaders/<name>`` with its includes expanded and ``defines`` set."""
    text = _INCLUDE.sub(lambda match: _read(match.group(1)), _read(name))
    version = _VERSION.search(text)
    if version is None:
        raise PosetalkError(f"{SHADER_DIR / name}: no #version line")
    lines = [text[: version.end()], *(f"#define {define}" for define in defines)]
    return "\n".join(lines) + text[version.end() :]
