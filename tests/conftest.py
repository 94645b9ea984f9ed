"""Shared test configuration: where the parity fixtures are, and a private X server."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
OFFICIAL_BASE = SHARED_FIXTURES / "official" / "base"
_DISPLAYS = itertools.count()


def require_fixture(path: Path) -> Path:
    """``path``, or a failed test that names it: parity tests that vanished would prove nothing."""
    if not path.exists():
        where = " (../shared/fixtures must sit beside the checkout)" if path.is_relative_to(SHARED_FIXTURES) else ""
        pytest.fail(f"missing test fixture {path}{where}", pytrace=False)
    return path


def official_fixture_dirs() -> list[Path]:
    """Every official fixture folder: ../shared/fixtures/official/* and $POSETALK_PARITY_DIR/*.

    When the variable is set its folder must be readable and hold fixtures; a test run that
    silently skipped them would prove nothing. For the same reason, a missing shared folder still
    yields ``official/base``, whose tests then fail through :func:`require_fixture`.
    """
    shared = sorted(p for p in (SHARED_FIXTURES / "official").glob("*") if (p / "expected.npz").is_file())
    folders = shared or [OFFICIAL_BASE]
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


@pytest.fixture(scope="module")
def xvfb_display() -> Iterator[str]:
    """A private X server (Xvfb) for window tests; skips only where Xvfb is not installed."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    number = 90 + (os.getpid() + next(_DISPLAYS)) % 400
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 10
    while not socket.exists() and time.monotonic() < deadline and server.poll() is None:
        time.sleep(0.05)
    try:
        assert socket.exists(), "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)
