"""The interactive window (GLFW): live frames from a queue, drawn at up to the monitor's rate.

Frames (25 fps, stamped with audio time) come from a bounded, thread-safe queue that a producer
fills; the display loop drains it without blocking, interpolates the motion at the playback time,
and draws at the rate, resolution and MSAA that :class:`~posetalk.render.governor.RenderGovernor`
allows (on software OpenGL, drawing competes with the model for the CPU). Mouse: drag to orbit,
wheel to zoom. Keys: S saves a screenshot, Esc or Q closes.

Mesa cannot make a GLX (window) context current in a process that already used an EGL (headless)
context, so a process should use one path or the other.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import glfw
import moderngl
import numpy as np

from posetalk.errors import PosetalkError
from posetalk.render.camera import Camera, framing_camera
from posetalk.render.geometry import HeadGeometry
from posetalk.render.governor import RenderGovernor
from posetalk.render.motion import FrameInterpolator, PlaybackClock
from posetalk.render.overlay import Overlay
from posetalk.render.renderer import RenderConfig, Renderer
from posetalk.render.scaled import ScaledTarget, scaled_size
from posetalk.render.video import save_png
from posetalk.rig.flame import N_EXP, N_SHAPE
from posetalk.stream.frame import Frame
from posetalk.stream.health import StreamHealth

ORBIT_RADIANS_PER_PIXEL = 0.008
ZOOM_PER_WHEEL_STEP = 0.9


@dataclass(frozen=True)
class WindowConfig:
    """Attributes:
    size: initial window size in screen coordinates.
    title: window title.
    vsync: swap at the monitor's refresh rate (otherwise as fast as possible).
    max_fps: cap on the display rate; None means the monitor's refresh rate (the loop also
        sleeps to it where swapping does not wait, e.g. on a virtual X server). The governor
        may draw at a lower rate.
    playout_delay: seconds the display runs behind the newest frame.
    screenshot_dir: where the S key saves PNGs.
    render: look of the frames (its ``samples`` are the governor's best level's at most).
    """

    size: tuple[int, int] = (720, 720)
    title: str = "posetalk"
    vsync: bool = True
    max_fps: float | None = None
    playout_delay: float = 0.08
    screenshot_dir: Path = Path(".")
    render: RenderConfig = RenderConfig()


@dataclass(frozen=True)
class WindowStats:
    frames_drawn: int
    frames_received: int
    mean_fps: float
    screenshots: tuple[Path, ...]
    lowest_level: int
    """The cheapest governor level the window drew at (0: the best)."""


FPS_WINDOW_S = 1.0
"""Seconds of drawn frames the measured drawing rate is taken over."""


def _rate(times: deque[float]) -> float:
    """Frames per second over the last :data:`FPS_WINDOW_S` of ``times`` (perf-counter seconds of
    drawn frames, oldest first; older ones are dropped from it)."""
    while times and times[-1] - times[0] > FPS_WINDOW_S:
        times.popleft()
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0


def _refresh_rate() -> float:
    """The primary monitor's refresh rate in Hz (60 when GLFW cannot tell)."""
    monitor = glfw.get_primary_monitor()
    mode = glfw.get_video_mode(monitor) if monitor else None
    return float(mode.refresh_rate) if mode and mode.refresh_rate > 0 else 60.0


class _Input:
    """Mouse and keyboard state gathered by GLFW callbacks, applied once per displayed frame."""

    def __init__(self, window: object) -> None:
        self.orbit = np.zeros(2)
        self.zoom_steps = 0.0
        self.screenshot = False
        self._dragging = False
        self._last = np.zeros(2)
        glfw.set_mouse_button_callback(window, self._on_button)
        glfw.set_cursor_pos_callback(window, self._on_cursor)
        glfw.set_scroll_callback(window, self._on_scroll)
        glfw.set_key_callback(window, self._on_key)

    def _on_button(self, window: object, button: int, action: int, mods: int) -> None:
        if button == glfw.MOUSE_BUTTON_LEFT:
            self._dragging = action == glfw.PRESS
            self._last = np.array(glfw.get_cursor_pos(window))

    def _on_cursor(self, window: object, x: float, y: float) -> None:
        position = np.array([x, y])
        if self._dragging:
            self.orbit += position - self._last
        self._last = position

    def _on_scroll(self, window: object, dx: float, dy: float) -> None:
        self.zoom_steps += dy

    def _on_key(self, window: object, key: int, scancode: int, action: int, mods: int) -> None:
        if action != glfw.PRESS:
            return
        if key in (glfw.KEY_ESCAPE, glfw.KEY_Q):
            glfw.set_window_should_close(window, True)
        elif key == glfw.KEY_S:
            self.screenshot = True

    def apply(self, camera: Camera) -> Camera:
        d_yaw, d_pitch = -self.orbit * ORBIT_RADIANS_PER_PIXEL
        camera = camera.orbit(d_yaw, -d_pitch).zoom(ZOOM_PER_WHEEL_STEP**self.zoom_steps)
        self.orbit[:] = 0.0
        self.zoom_steps = 0.0
        return camera


class ViewerWindow:
    """A resizable window showing the head driven by frames from ``frames``.

    ``frames`` is a queue of frames or a frame-bus subscription; the window closes by itself once
    a subscription's stream has ``ended``. ``health``, when given, returns the latest health of
    the stream that makes the frames (or None before there is one); it is called for every drawn
    frame, shown in the overlay and fed to the governor.
    """

    def __init__(
        self,
        geometry: HeadGeometry,
        frames: queue.Queue[Frame],
        config: WindowConfig = WindowConfig(),
        health: Callable[[], StreamHealth | None] | None = None,
    ) -> None:
        self.geometry = geometry
        self.frames = frames
        self.config = config
        self.health = health
        self._screenshot_requested = threading.Event()

    def request_screenshot(self) -> None:
        """Save the next displayed frame as a PNG (thread-safe; the S key does the same)."""
        self._screenshot_requested.set()

    def _open(self) -> object:
        if not glfw.init():
            raise PosetalkError("cannot open a window: GLFW found no display (try posetalk render)")
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 4)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.SAMPLES, 0)  # anti-aliasing happens off-screen (ScaledTarget)
        glfw.window_hint(glfw.RESIZABLE, True)
        window = glfw.create_window(*self.config.size, self.config.title, None, None)
        if not window:
            glfw.terminate()
            raise PosetalkError("cannot open a window: no OpenGL 4.3 context on this display")
        glfw.make_context_current(window)
        glfw.swap_interval(1 if self.config.vsync else 0)
        return window

    def run(self, max_frames: int | None = None, on_open: Callable[[], None] | None = None) -> WindowStats:
        """Show the window until it is closed (or ``max_frames`` have been displayed);
        ``on_open`` is called once the window and its OpenGL context exist."""
        window = self._open()
        ctx = moderngl.create_context(require=430)
        if on_open is not None:
            on_open()
        renderer = Renderer(ctx, self.geometry, self.config.render)
        drawing = ScaledTarget(ctx)
        overlay = Overlay(ctx)
        controls = _Input(window)
        camera = framing_camera(self.geometry.center, self.geometry.radius)
        motion = FrameInterpolator()
        clock = PlaybackClock(self.config.playout_delay)
        governor = RenderGovernor()
        rest = (np.zeros(N_EXP), np.zeros(6), np.zeros(N_SHAPE))
        refresh = self.config.max_fps or _refresh_rate()
        drawn = received = 0
        screenshots: list[Path] = []
        recent: deque[float] = deque()
        lowest = 0
        started = last = time.perf_counter()
        try:
            while not glfw.window_should_close(window) and not getattr(self.frames, "ended", False):
                glfw.poll_events()
                received += self._drain(motion, clock)
                now_wall = time.time()
                display_time = clock.audio_time(now_wall)
                sample = motion.sample(display_time) if display_time is not None else None
                exp, pose, shape = sample if sample is not None else rest
                camera = controls.apply(camera)
                health = self.health() if self.health is not None else None
                fps = _rate(recent)
                level = governor.observe(time.perf_counter(), health, fps, governor.current.rate(refresh))
                lowest = max(lowest, governor.level)
                size = glfw.get_framebuffer_size(window)  # changes when the window is resized
                if min(size) > 0:  # zero while minimised
                    renderer.set_shape(shape)
                    renderer.pose(exp, pose)
                    small = scaled_size(size, level.scale)
                    renderer.head_pass(drawing.framebuffer(small, min(level.samples, self.config.render.samples)),
                                       camera, small)
                    drawing.present(ctx.screen, size)
                    lines = self._overlay_lines(fps, motion.latest, display_time, now_wall, health)
                    overlay.draw(ctx.screen, [*lines, level.describe()], size)
                    if controls.screenshot or self._screenshot_requested.is_set():
                        controls.screenshot = False
                        self._screenshot_requested.clear()
                        screenshots.append(self._screenshot(ctx.screen, size, len(screenshots)))
                glfw.swap_buffers(window)
                drawn += 1
                time.sleep(max(0.0, last + 1.0 / level.rate(refresh) - time.perf_counter()))
                last = time.perf_counter()
                recent.append(last)
                if max_frames is not None and drawn >= max_frames:
                    break
        finally:
            overlay.release()
            drawing.release()
            renderer.release()
            ctx.release()
            glfw.destroy_window(window)
            glfw.terminate()
        elapsed = max(time.perf_counter() - started, 1e-6)
        return WindowStats(drawn, received, drawn / elapsed, tuple(screenshots), lowest)

    def _drain(self, motion: FrameInterpolator, clock: PlaybackClock) -> int:
        """Move every waiting frame from the queue into the interpolator (never blocks)."""
        count = 0
        while True:
            try:
                frame = self.frames.get_nowait()
            except queue.Empty:
                return count
            motion.push(frame)
            clock.observe(frame.audio_time, time.time())
            count += 1

    @staticmethod
    def _overlay_lines(
        fps: float, latest: Frame | None, display_time: float | None, now_wall: float, health: StreamHealth | None
    ) -> list[str]:
        """The drawing rate; the latency from audio heard to the frame on screen: the stream's own
        (audio to publication, when its health says) plus how long ago the frame on screen was
        published; then the stream's health."""
        lines = [f"FPS {fps:5.1f}"]
        if latest is not None and display_time is not None:
            shown_after = now_wall - latest.wall_time + (latest.audio_time - display_time)
            produced = health.latency_ms / 1000 if health is not None and health.latency_ms is not None else 0.0
            lines.append(f"LATENCY {(produced + shown_after) * 1000:5.0f} MS")
        else:
            lines.append("LATENCY  -")
        return lines + (health.overlay_lines() if health is not None else [])

    def _screenshot(self, target: moderngl.Framebuffer, size: tuple[int, int], index: int) -> Path:
        width, height = size
        data = target.read(viewport=(0, 0, width, height), components=3, alignment=1)
        image = np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)[::-1]
        folder = self.config.screenshot_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"posetalk_{time.strftime('%Y%m%d_%H%M%S')}_{index:03d}.png"
        save_png(path, image)
        return path
