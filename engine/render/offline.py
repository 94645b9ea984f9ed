"""Offline rendering of a coefficient sequence to video frames (headless, EGL)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from posetalk.render.camera import Camera, framing_camera
from posetalk.render.geometry import HeadGeometry
from posetalk.render.headless import Offscreen, create_headless_context, render_image
from posetalk.render.motion import resample
from posetalk.render.renderer import RenderConfig, Renderer


@dataclass(frozen=True)
class ClipMotion:
    """FLAME coefficients of a clip: exp (L, 50), pose (L, 6), shape (L, 100) at ``fps``."""

    exp: np.ndarray
    pose: np.ndarray
    shape: np.ndarray
    fps: float

    def at_rate(self, fps: float) -> ClipMotion:
        """The same motion resampled to ``fps`` by linear interpolation (duration kept)."""
        return ClipMotion(
            exp=resample(self.exp, self.fps, fps),
            pose=resample(self.pose, self.fps, fps),
            shape=resample(self.shape, self.fps, fps),
            fps=fps,
        )


class FrameSink(Protocol):
    def write(self, image: np.ndarray) -> None: ...


def render_frames(
    geometry: HeadGeometry,
    motion: ClipMotion,
    size: tuple[int, int],
    config: RenderConfig = RenderConfig(),
    camera: Camera | None = None,
) -> Iterator[np.ndarray]:
    """Yield one (H, W, 3) uint8 image per frame of ``motion`` (at its own rate)."""
    ctx = create_headless_context()
    renderer = Renderer(ctx, geometry, config)
    target = Offscreen(ctx, size, config.samples)
    camera = camera or framing_camera(geometry.center, geometry.radius)
    try:
        for exp, pose, shape in zip(motion.exp, motion.pose, motion.shape, strict=True):
            renderer.set_shape(shape)
            yield render_image(renderer, target, exp, pose, camera)
    finally:
        target.release()
        renderer.release()
        ctx.release()


def render_to(
    frames: Iterator[np.ndarray], sink: FrameSink, on_frame: Callable[[], None] | None = None
) -> int:
    """Feed frames to ``sink`` on a worker thread (encoding overlaps rendering); returns the count.

    The hand-over queue is bounded, so rendering never runs far ahead of a slow encoder.
    """
    handoff: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=4)
    failure: list[BaseException] = []

    def consume() -> None:
        try:
            while (image := handoff.get()) is not None:
                sink.write(image)
                if on_frame is not None:
                    on_frame()
        except BaseException as error:  # handed to the rendering thread below
            failure.append(error)
            while handoff.get() is not None:  # drain so the producer never blocks
                pass

    worker = threading.Thread(target=consume, name="posetalk-encoder", daemon=True)
    worker.start()
    count = 0
    try:
        for image in frames:
            handoff.put(image)
            count += 1
            if failure:
                break
    finally:
        handoff.put(None)
        worker.join()
    if failure:
        raise failure[0]
    return count
