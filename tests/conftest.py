"""Shared test configuration: where the parity fixtures are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"


def official_fixture_dirs() -> list[Path]:
    """Every official fixture folder: ../shared/fixtures/official/* and $POSETALK_PARITY_DIR/*.

    When the variable is set its folder must be readable and hold fixtures; a test run that
    silently skipped them would prove nothing.
    """
    folders = sorted(p for p in (SHARED_FIXTURES / "official").glob("*") if (p / "expected.npz").is_file())
    extra = os.environ.get("POSETALK_PARITY_DIR")
    if extra:
        root = Path(extra)
        if not root.is_dir():
            raise RuntimeError(f"POSETALK_PARITY_DIR={extra} is not a readable directory")
        found = sorted(p for p in root.iterdir() if (p / "expected.npz").is_file())
        if not found:
            raise RuntimeError(f"POSETALK_PARITY_DIR={extra} holds no fixture folders (sub-folders with expected.npz)")
        folders += found
    return folders


def fixture_id(folder: Path) -> str:
    """A test id that names the folder, unique across the shared and extra roots."""
    origin = "shared" if folder.parent == SHARED_FIXTURES / "official" else "extra"
    return f"{origin}-{folder.name}"
