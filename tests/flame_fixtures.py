"""The FLAME parity fixtures: ../shared/fixtures/flame and $POSETALK_FLAME_FIXTURE_DIR.

When the variable is set its folder is always used, so a missing or unreadable folder fails the
tests that read it instead of skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SHARED_FLAME = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "flame"
TOLERANCE = 1e-5  # metres, absolute


def _fixture_dirs() -> list[Path]:
    dirs = [SHARED_FLAME] if SHARED_FLAME.is_dir() else []
    extra = os.environ.get("POSETALK_FLAME_FIXTURE_DIR")
    if extra:
        dirs.append(Path(extra))
    return dirs


FIXTURES = _fixture_dirs()


def expected_arrays(folder: Path) -> dict[str, np.ndarray]:
    """The arrays of ``folder/flame_expected.npz``."""
    with np.load(folder / "flame_expected.npz") as data:
        return dict(data)
