"""Output files: written whole or not at all, with the mode a new file gets (0666 less the umask)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile

from posetalk.data import SPEECH_SAMPLE
from posetalk.errors import PosetalkError
from posetalk.files import atomic_write
from posetalk.render.video import mp4_file
from tests.conftest import SHARED_FIXTURES

BASE = SHARED_FIXTURES / "official" / "base"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def umask_027() -> Iterator[None]:
    """This process's umask set to 027 for the test (restored after)."""
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def test_infer_writes_coefficients_with_mode_0644_under_umask_022(tmp_path: Path) -> None:
    clip = tmp_path / "one_second.wav"
    soundfile.write(clip, soundfile.read(SPEECH_SAMPLE)[0][:16000], 16000)
    out = tmp_path / "motion.npz"
    done = subprocess.run(
        [sys.executable, "-m", "posetalk", "infer", str(clip), "--model-dir", str(BASE), "--seed", "0", "-o", str(out)],
        capture_output=True, text=True, timeout=600, umask=0o022,
    )
    assert done.returncode == 0, done.stderr
    assert mode(out) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["motion.npz", "one_second.wav"]  # no temporary left


def test_atomic_write_follows_the_umask(tmp_path: Path, umask_027: None) -> None:
    target = tmp_path / "new" / "folder" / "data.bin"
    with atomic_write(target) as stream:
        stream.write(b"payload")
    assert target.read_bytes() == b"payload" and mode(target) == 0o640


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target) as stream:
        stream.write(b"half of the new")
        raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


def test_an_unwritable_place_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(PosetalkError, match="cannot write here"), atomic_write(tmp_path / "a_file" / "out.npz"):
        pass
    (tmp_path / "a_folder").mkdir()
    with pytest.raises(PosetalkError, match="cannot write here"), atomic_write(tmp_path / "a_folder"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "a_folder"]


def test_mp4_appears_complete_with_the_usual_mode(tmp_path: Path, umask_027: None) -> None:
    out = tmp_path / "video.mp4"
    with mp4_file(out, (32, 32), 10, None) as writer:
        for i in range(5):
            writer.write(np.full((32, 32, 3), 40 * i, np.uint8))
    assert mode(out) == 0o640
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 5


def test_an_interrupted_mp4_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "video.mp4"
    with pytest.raises(KeyboardInterrupt), mp4_file(out, (32, 32), 10, None) as writer:
        writer.write(np.zeros((32, 32, 3), np.uint8))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
