"""The FLAME parity fixtures: ../shared/fixtures/flame and $POSETALK_FLAME_FIXTURE_DIR.

The shared folder is always used, and the variable's folder when it is set, so a missing or
unreadable one fails the tests that read it (through :func:`tests.conftest.require_fixture`)
instead of skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tests.conftest import SHARED_FIXTURES, require_fixture

SHARED_FLAME = SHARED_FIXTURES / "flame"
TOLERANCE = 1e-5  # metres, absolute


def _fixture_dirs() -> list[Path]:
    extra = os.environ.get("POSETALK_FLAME_FIXTURE_DIR")
    return [SHARED_FLAME, Path(extra)] if extra else [SHARED_FLAME]


FIXTURES = _fixture_dirs()


def expected_arrays(folder: Path) -> dict[str, np.ndarray]:
    """The arrays of ``folder/flame_expected.npz``."""
    with np.load(require_fixture(folder / "flame_expected.npz")) as data:
        return dict(data)
