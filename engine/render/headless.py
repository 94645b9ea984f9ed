"""Headless rendering: an EGL context and multisampled off-screen framebuffers."""

from __future__ import annotations

import moderngl
import numpy as np

from posetalk.errors import PosetalkError
from posetalk.render.camera import Camera
from posetalk.render.renderer import Renderer

REQUIRED_GL = 430  # storage buffers in the vertex stage


def create_headless_context() -> moderngl.Context:
    """A standalone OpenGL 4.3+ context through EGL (no display needed)."""
    try:
        ctx = moderngl.create_standalone_context(backend="egl", require=REQUIRED_GL)
    except Exception as error:  # moderngl raises plain Exception for every EGL failure
        raise PosetalkError(f"cannot create a headless OpenGL {REQUIRED_GL} context: {error}") from None
    return ctx


class Offscreen:
    """A multisampled framebuffer of one size and the single-sample texture it resolves into."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], samples: int) -> None:
        self.ctx = ctx
        self.size = size
        samples = min(samples, ctx.max_samples)
        self._msaa = ctx.framebuffer(
            color_attachments=[ctx.renderbuffer(size, 4, samples=samples)],
            depth_attachment=ctx.depth_renderbuffer(size, samples=samples),
        )
        self.texture = ctx.texture(size, 4)
        """What :meth:`resolve` leaves: the drawing, one sample per pixel, linearly filtered."""
        self.texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self._resolved = ctx.framebuffer(color_attachments=[self.texture])

    @property
    def framebuffer(self) -> moderngl.Framebuffer:
        """The multisampled framebuffer to draw into."""
        return self._msaa

    def resolve(self) -> None:
        """Average the samples of what was drawn into :attr:`texture`."""
        self.ctx.copy_framebuffer(self._resolved, self._msaa)

    def read(self) -> np.ndarray:
        """(H, W, 3) uint8 sRGB image of what was drawn, row 0 at the top."""
        self.resolve()
        data = self._resolved.read(components=3, alignment=1)
        width, height = self.size
        return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)[::-1].copy()

    def release(self) -> None:
        for fbo in (self._msaa, self._resolved):
            for attachment in (*fbo.color_attachments, fbo.depth_attachment):
                if attachment is not None:
                    attachment.release()
            fbo.release()


def render_image(
    renderer: Renderer, target: Offscreen, exp: np.ndarray, pose: np.ndarray, camera: Camera
) -> np.ndarray:
    """Pose, draw and read back one frame: (H, W, 3) uint8."""
    renderer.pose(exp, pose)
    renderer.head_pass(target.framebuffer, camera)
    return target.read()
