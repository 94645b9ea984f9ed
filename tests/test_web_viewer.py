"""The browser viewer in headless Chromium against a real `posetalk serve`: frames arrive, the
rendered pixels follow the stream (still when paused), and the page reconnects after a restart."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from posetalk.pipeline.coefficients_file import save_coefficients
from tests.stream_support import FLAME_FIXTURE, TOKEN, coefficients, start_serve

from posetalk_client import open_stream  # noqa: E402

playwright_api = pytest.importorskip("playwright.async_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium package is not installed")

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-unsafe-swiftshader",  # WebGL on the CPU (SwiftShader) without a GPU
]  # fmt: skip

# Draw the WebGL canvas into a small 2D canvas and return its RGB values.
READ_PIXELS = """() => {
  const source = document.querySelector('canvas');
  const small = document.createElement('canvas');
  small.width = 64; small.height = 64;
  const context = small.getContext('2d');
  context.drawImage(source, 0, 0, 64, 64);
  const data = context.getImageData(0, 0, 64, 64).data;
  return Array.from(data).filter((_, i) => i % 4 !== 3);
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def pixels(page) -> np.ndarray:
    return np.asarray(await page.evaluate(READ_PIXELS), dtype=np.float64)


async def frames_seen(page) -> int:
    return await page.evaluate("window.posetalkViewer.stats.frames")


async def control(port: int, action: str) -> None:
    async with open_stream(f"ws://127.0.0.1:{port}/") as stream:
        await stream.control(action, TOKEN, action)


def test_viewer_renders_the_stream_and_reconnects(tmp_path: Path) -> None:
    clip = coefficients(100)
    save_coefficients(tmp_path / "clip.npz", clip.exp * 0.6, clip.pose, clip.shape * 0, 25)
    port = free_port()
    serve_args = ("--params", tmp_path / "clip.npz", "--loop", "--flame", FLAME_FIXTURE, "--token", TOKEN)
    server, _ = start_serve(*serve_args, port=port)

    async def scenario() -> None:
        nonlocal server
        async with playwright_api.async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                headless=True, viewport={"width": 320, "height": 320},
            )  # fmt: skip
            page = await context.new_page()
            await page.goto(f"http://127.0.0.1:{port}/")
            await page.wait_for_function("window.posetalkViewer && window.posetalkViewer.stats.frames > 10", timeout=60000)

            # Frames arrive in order and the overlay reports them.
            overlay = await page.text_content("#overlay")
            assert "connected" in overlay and "fps" in overlay and "latency" in overlay
            assert await page.evaluate("window.posetalkViewer.stats.gaps") == 0

            # The head is drawn (not just background) and moves with the stream.
            first = await pixels(page)
            background = np.array([0x20, 0x23, 0x2A] * (first.size // 3), dtype=np.float64)
            assert np.mean(np.abs(first - background) > 10) > 0.02
            await asyncio.sleep(0.6)
            assert np.abs(await pixels(page) - first).mean() > 0.5

            # Paused stream: the picture stands still; resumed: it moves again.
            await control(port, "pause")
            await asyncio.sleep(0.3)
            still = await pixels(page)
            await asyncio.sleep(0.5)
            assert np.abs(await pixels(page) - still).max() == 0
            await control(port, "resume")
            await asyncio.sleep(0.6)
            assert np.abs(await pixels(page) - still).mean() > 0.5

            # The server restarts on the same port: the page reconnects and frames flow again.
            server.terminate()
            server.wait(30)
            await page.wait_for_function("!window.posetalkViewer.status.startsWith('connected')", timeout=30000)
            server, _ = start_serve(*serve_args, port=port)
            before = await frames_seen(page)
            await page.wait_for_function(f"window.posetalkViewer.stats.frames > {before + 10}", timeout=60000)
            assert await page.evaluate("window.posetalkViewer.connections") == 2
            await context.close()

    try:
        asyncio.run(scenario())
    finally:
        server.kill()
        server.wait(30)
