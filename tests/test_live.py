"""`posetalk live` as a user runs it: no microphone and no display here, so it must fall back to
the bundled sample and run headless, serving real frames to a real WebSocket client."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO, official_fixture_dirs

sys.path.insert(0, str(REPO / "clients" / "python"))
from posetalk_client import open_stream  # noqa: E402

TOKEN = "live-test-token"


def _start_live(*options: str) -> tuple[subprocess.Popen, int, str]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    process = subprocess.Popen(
        [sys.executable, "-m", "posetalk", "live", "--model-dir", str(official_fixture_dirs()[0]), "--port", "0",
         "--token", TOKEN, *options],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    startup = ""
    for line in process.stdout:
        startup += line
        if match := re.search(r"serving frames on ws://127\.0\.0\.1:(\d+)/", line):
            return process, int(match.group(1)), startup
    process.wait(timeout=10)
    pytest.fail("posetalk live never started serving")


async def _receive(port: int, n_frames: int) -> tuple[list, dict, dict]:
    async with open_stream(f"ws://127.0.0.1:{port}/") as client:
        await client.subscribe(["flame"], "json")
        frames = []
        async for frame in client.frames():
            frames.append(frame)
            if len(frames) == n_frames:
                break
        ack = await client.control("guidance", TOKEN, 1, audio=1.5)
        try:
            refused = await client.control("style", TOKEN, 2, style="calm")
        except Exception as error:  # the client raises the server's error reply
            refused = getattr(error, "message", {"error": str(error)})
        return frames, ack, refused


def test_live_falls_back_and_serves_frames() -> None:
    process, port, startup = _start_live("--duration", "6")
    try:
        frames, ack, refused = asyncio.run(asyncio.wait_for(_receive(port, 40), timeout=60))
        output = startup + process.communicate(timeout=60)[0]
    finally:
        process.kill()
    seqs = [f.seq for f in frames]
    assert seqs == list(range(seqs[0], seqs[0] + 40))
    assert all(abs(f.t - (f.seq + 0.5) / 25) < 1e-6 for f in frames)
    assert all(f.exp.shape == (50,) and f.pose.shape == (6,) for f in frames)
    assert ack.get("type") == "ack"
    assert "no style folder" in str(refused)
    assert process.returncode == 0
    assert "no microphone" in output and "running headless" in output
    assert re.search(r"(\d+) frames published, \d+ deadline misses, 0 failed ticks", output), output


def test_live_window_under_a_real_x_server(xvfb_display: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "posetalk", "live", "--model-dir", str(official_fixture_dirs()[0]), "--no-server",
         "--duration", "3"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "DISPLAY": xvfb_display},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "running headless" not in done.stdout
    assert re.search(r"(\d+) frames published, \d+ deadline misses, 0 failed ticks", done.stdout), done.stdout


def test_live_with_a_window_publishes_every_frame_on_this_cpu(xvfb_display: str) -> None:
    """The window draws in its own, lower-priority process at the level its governor finds, so on
    a 2-core machine without a GPU (software OpenGL) the default model still keeps up."""
    seconds = 30
    done = subprocess.run(
        [sys.executable, "-m", "posetalk", "live", "--no-server", "--duration", str(seconds)],
        capture_output=True, text=True, timeout=seconds + 150, env={**os.environ, "DISPLAY": xvfb_display},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    published, skipped = map(int, re.search(r"(\d+) frames published, \d+ deadline misses, 0 failed ticks, "
                                            r"(\d+) frames skipped", done.stdout).groups())
    drawn, received = map(int, re.search(r"the window drew (\d+) frames \([\d.]+ fps\) of (\d+) received",
                                         done.stdout).groups())
    assert skipped == 0, done.stdout
    assert published >= 0.99 * seconds * 25, done.stdout
    assert received >= published - 50 and drawn >= 5 * seconds, done.stdout  # the window showed the stream


def _streaming_line(command: list[str]) -> str:
    """The start-up line in which a streaming command reports its configuration."""
    result = subprocess.run([sys.executable, "-m", "posetalk", *command], capture_output=True, text=True, timeout=120)
    lines = [line for line in result.stdout.splitlines() if line.startswith("posetalk: streaming ")]
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


def test_serve_and_live_build_the_same_stream_from_the_same_options() -> None:
    options = ["--model-dir", str(official_fixture_dirs()[0]), "--steps", "3", "--frames-per-tick", "4",
               "--context", "700", "--max-backlog", "1500", "--seed", "7", "--threads", "1"]
    live = _streaming_line(["live", "--no-window", "--no-server", "--duration", "0.5", *options])
    serve = _streaming_line(["serve", "--source", "mic", "--mic", "no-such-microphone-xyz", "--port", "0", *options])
    assert live == serve
    assert "x3, 4 frames/tick" in live and "context 700 ms" in live and "1500 ms behind" in live
    assert "1 thread, seed 7" in live
