"""The browser viewer in headless Chromium against a real `posetalk serve`: frames arrive, the
rendered pixels follow the stream (still when paused), the page reconnects after a restart, it
poses the head on the GPU as the engine poses it on the CPU, and its subscription costs under a
kilobyte a frame."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import struct
from pathlib import Path

import numpy as np
import pytest

from posetalk.pipeline.coefficients_file import save_coefficients
from posetalk.rig.flame import flame_vertices
from posetalk.rig.head import built_in_head
from tests.render_support import save_diff
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


async def launch(playwright, tmp_path: Path, size: int = 320):
    """Headless Chromium with a fresh profile under ``tmp_path``."""
    return await playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
        headless=True, viewport={"width": size, "height": size},
    )  # fmt: skip


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
            context = await launch(playwright, tmp_path)
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


# Render the scene's depth (near..far fitted to the head) three times: the rig posed on the GPU by
# `motion`, a plain mesh at the engine's posed `positions`, and one at the rest pose. Returns the
# three grey images. Runs in one task, so the page's draw loop cannot re-pose the rig in between.
DEPTH_IMAGES = """(args) => {
  const { THREE, scene, camera, renderer, head } = window.posetalkViewer;
  const canvas = renderer.domElement;
  const read = () => {
    renderer.render(scene, camera);
    const copy = document.createElement('canvas');
    copy.width = canvas.width; copy.height = canvas.height;
    const context = copy.getContext('2d');
    context.drawImage(canvas, 0, 0);
    return Array.from(context.getImageData(0, 0, copy.width, copy.height).data).filter((_, i) => i % 4 === 0);
  };
  const sphere = head.rig.mesh.geometry.boundingSphere;
  const distance = camera.position.distanceTo(sphere.center);
  const [near, far] = [camera.near, camera.far];
  camera.near = distance - 1.2 * sphere.radius;
  camera.far = distance + 1.2 * sphere.radius;
  camera.updateProjectionMatrix();
  scene.overrideMaterial = new THREE.MeshDepthMaterial({ side: THREE.DoubleSide });
  head.apply(args.motion);
  const gpu = read();
  const geometry = new THREE.BufferGeometry();
  geometry.setIndex(new THREE.BufferAttribute(head.rig.mesh.geometry.index.array, 1));
  const plain = new THREE.Mesh(geometry);
  head.rig.root.visible = false;
  scene.add(plain);
  const images = [gpu];
  for (const positions of [args.positions, args.rest]) {
    geometry.setAttribute('position', new THREE.Float32BufferAttribute(positions, 3));
    images.push(read());
  }
  scene.remove(plain);
  head.rig.root.visible = true;
  scene.overrideMaterial = null;
  [camera.near, camera.far] = [near, far];
  camera.updateProjectionMatrix();
  return images;
}"""


def built_in_head_server(tmp_path: Path) -> tuple[object, int]:
    """``posetalk serve`` with the built-in head (no --flame), looping a 4 s clip."""
    clip = coefficients(100)
    save_coefficients(tmp_path / "clip.npz", clip.exp * 0.6, clip.pose, clip.shape, 25)
    return start_serve("--params", tmp_path / "clip.npz", "--loop", "--token", TOKEN)


def test_viewer_poses_the_head_on_the_gpu_as_the_engine_does(tmp_path: Path) -> None:
    model = built_in_head().model
    rng = np.random.default_rng(5)
    shape, exp = rng.normal(size=100), rng.normal(size=50)
    pose = np.array([0.08, -0.3, 0.05, 0.3, 0.01, -0.02])  # turned, tilted, mouth open
    expected = flame_vertices(model, shape[None], exp[None], pose[None])[0]
    motion = {"exp": exp.tolist(), "pose": pose.tolist(), "shape": shape.tolist()}
    server, port = built_in_head_server(tmp_path)

    async def scenario() -> tuple[np.ndarray, list[np.ndarray]]:
        async with playwright_api.async_playwright() as playwright:
            context = await launch(playwright, tmp_path)
            page = await context.new_page()
            await page.goto(f"http://127.0.0.1:{port}/")
            await page.wait_for_function("window.posetalkViewer && window.posetalkViewer.stats.frames > 5", timeout=120000)
            posed = await page.evaluate("(motion) => window.posetalkViewer.head.posedVertices(motion)", motion)
            images = await page.evaluate(
                DEPTH_IMAGES,
                {"motion": motion, "positions": expected.ravel().tolist(), "rest": model.v_template.ravel().tolist()},
            )
            await context.close()
            return np.asarray(posed).reshape(-1, 3), [np.asarray(image, dtype=np.float64) for image in images]

    try:
        posed, (gpu, engine, rest) = asyncio.run(scenario())
    finally:
        server.kill()
        server.wait(30)
    # three.js's own evaluation of the morph targets and skin (what its shaders compute) against
    # the engine's CPU posing: within 0.01 mm, for a pose that moves vertices by centimetres.
    assert np.abs(posed - expected).max() < 1e-5
    assert np.abs(expected - model.v_template).max() > 0.02
    # The GPU's picture (depth, 8 bits over the head's depth) matches the engine-posed mesh's,
    # pixel for pixel but for a few on edges, and differs clearly from the rest pose's.
    grey = [np.repeat(image.reshape(320, 320, 1), 3, axis=2).astype(np.uint8) for image in (gpu, engine)]
    saved = save_diff(tmp_path, "gpu_vs_engine_depth", *grey)
    assert np.mean(np.abs(gpu - engine) > 1) < 0.001, f"see {saved}"
    assert np.mean(np.abs(gpu - rest) > 2) > 0.05


def frame_counts(payload: bytes) -> tuple[int, ...]:
    """The seven array counts of a binary frame (docs/protocol.md, "frame (binary format)")."""
    header = struct.unpack_from("<4sHHIdd7I", payload)
    assert header[0] == b"PTKF"
    return header[6:]


def test_viewer_subscription_costs_under_a_kilobyte_per_frame(tmp_path: Path) -> None:
    server, port = built_in_head_server(tmp_path)
    sent: list[str] = []
    frames: list[bytes] = []

    def watch(websocket) -> None:
        websocket.on("framesent", lambda payload: sent.append(payload))
        websocket.on("framereceived", lambda payload: frames.append(payload) if isinstance(payload, bytes) else None)

    async def scenario() -> int:
        async with playwright_api.async_playwright() as playwright:
            context = await launch(playwright, tmp_path)
            page = await context.new_page()
            page.on("websocket", watch)
            await page.goto(f"http://127.0.0.1:{port}/")
            await page.wait_for_function("window.posetalkViewer && window.posetalkViewer.stats.frames > 50", timeout=120000)
            before_change = len(frames)
            async with open_stream(f"ws://127.0.0.1:{port}/") as stream:
                await stream.control("shape", TOKEN, 1, shape=[0.5] * 100)
            for _ in range(600):  # the frames seen here, which may lag the page's own count
                if len(frames) > before_change + 25:
                    break
                await asyncio.sleep(0.1)
            await context.close()
            return before_change

    try:
        before_change = asyncio.run(scenario())
    finally:
        server.kill()
        server.wait(30)
    assert [json.loads(text)["channels"] for text in sent] == [["flame"]]
    counts = [frame_counts(frame) for frame in frames]
    # exp and pose in every frame, nothing else but the shape, and no posed vertices.
    assert all(c[:2] == (50, 6) and c[3:] == (0, 0, 0, 0) for c in counts)
    with_shape = [i for i, c in enumerate(counts) if c[2] == 100]
    # The identity comes in the first frame and again once after it changed.
    assert with_shape[0] == 0 and len(with_shape) == 2 and with_shape[1] >= before_change, with_shape
    # Sizes by docs/protocol.md: the 56-byte header, then float32 arrays.
    sizes = [len(frame) for frame in frames]
    assert {sizes[i] for i in with_shape} == {56 + 4 * (50 + 6 + 100)} and max(sizes) <= 1024
    assert {size for i, size in enumerate(sizes) if i not in with_shape} == {56 + 4 * (50 + 6)}
