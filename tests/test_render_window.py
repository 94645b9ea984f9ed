"""The GLFW window under a real X server (Xvfb), in its own process as a user starts it:
opens, draws live frames fed from a queue, saves a screenshot and closes cleanly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from engine.pipeline.coefficients_file import save_coefficients


@pytest.fixture(scope="module")
def display():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    number = 90 + os.getpid() % 100
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


def test_render_window_draws_live_frames_and_closes(display, tmp_path):
    frames = 50
    pose = np.zeros((frames, 6), dtype=np.float32)
    pose[:, 3] = 0.25 * np.abs(np.sin(np.arange(frames) / 4))
    params = tmp_path / "params.npz"
    save_coefficients(params, np.zeros((frames, 50)), pose, np.zeros((frames, 100)), 25)
    command = [sys.executable, "-m", "engine", "view", str(params), "--size", "320x240",
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
