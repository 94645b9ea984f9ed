"""The user's configuration directory for posetalk (tokens the bridges keep between runs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_config_dir() -> Path:
    """``%APPDATA%\\posetalk`` on Windows, ``~/Library/Application Support/posetalk`` on macOS,
    ``$XDG_CONFIG_HOME/posetalk`` (default ``~/.config/posetalk``) elsewhere."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "posetalk"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "posetalk"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "posetalk"
