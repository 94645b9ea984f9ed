"""The GLFW window under a real X server (Xvfb), in its own process as a user starts it:
opens, draws live frames fed from a queue, saves a screenshot and closes cleanly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import av
import numpy as np
import pytest

from posetalk.pipeline.coefficients_file import save_coefficients


@pytest.fixture(scope="module")
def display():
    """A private Xvfb server; it picks a free display number and reports it (-displayfd)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as report:
            number = report.readline().strip()  # written once the server accepts clients
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_render_window_draws_live_frames_and_closes(display, tmp_path):
    frames = 50
    pose = np.zeros((frames, 6), dtype=np.float32)
    pose[:, 3] = 0.25 * np.abs(np.sin(np.arange(frames) / 4))
    params = tmp_path / "params.npz"
    save_coefficients(params, np.zeros((frames, 50)), pose, np.zeros((frames, 100)), 25)
    command = [sys.executable, "-m", "posetalk", "view", str(params), "--size", "320x240",
               "--max-frames", "40", "--screenshot", "--screenshot-dir", str(tmp_path)]
    result = subprocess.run(
        command, env={**os.environ, "DISPLAY": display}, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    drawn, received = re.search(r"drew (\d+) frames .* received (\d+)", result.stdout).groups()
    assert int(drawn) == 40 and int(received) > 0
    shots = sorted(tmp_path.glob("posetalk_*.png"))
    assert len(shots) == 1
    with av.open(str(shots[0])) as container:
        shot = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert shot.shape == (240, 320, 3)
    assert shot.std() > 10, "the screenshot shows the head, not a blank window"
