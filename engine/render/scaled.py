"""Drawing at a resolution and MSAA of one's choosing, then filling a window with the result.

A window's own framebuffer has the window's size and the sample count it was created with; a
:class:`ScaledTarget` lets a live window trade sharpness for CPU time on software OpenGL
(:mod:`posetalk.render.governor`): the head is drawn into an off-screen framebuffer of
``scale`` x the window's size with ``samples`` MSAA samples (an
:class:`~posetalk.render.headless.Offscreen`), resolved, and drawn over the window with linear
filtering (the present pass).
"""

from __future__ import annotations

import moderngl

from posetalk.render.headless import Offscreen
from posetalk.render.shaders import shader_source


def scaled_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """Pixel size of a drawing at ``scale`` of ``size`` (each side at least 1)."""
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


class ScaledTarget:
    """An :class:`~posetalk.render.headless.Offscreen` of one size and sample count, remade when
    either changes, and the present pass that fills a window with it.

    GPU objects are created on first use and released by :meth:`release`.
    """

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self._key: tuple[tuple[int, int], int] | None = None
        self._target: Offscreen | None = None
        self._program: moderngl.Program | None = None
        self._vao: moderngl.VertexArray | None = None

    def framebuffer(self, size: tuple[int, int], samples: int) -> moderngl.Framebuffer:
        """The framebuffer to draw a frame of ``size`` pixels into, with ``samples`` MSAA samples."""
        if self._target is None or self._key != (size, samples):
            self._release_target()
            self._target = Offscreen(self.ctx, size, samples)
            self._key = (size, samples)
        return self._target.framebuffer

    def present(self, target: moderngl.Framebuffer, size: tuple[int, int]) -> None:
        """Present pass: resolve the drawing and fill ``size`` pixels of ``target`` with it."""
        assert self._target is not None, "draw into framebuffer() first"
        ctx = self.ctx
        self._target.resolve()
        if self._program is None:
            self._program = ctx.program(vertex_shader=shader_source("present.vert.glsl"),
                                        fragment_shader=shader_source("present.frag.glsl"))
            self._vao = ctx.vertex_array(self._program, [])
        target.use()
        ctx.viewport = (0, 0, *size)
        ctx.enable_only(moderngl.NOTHING)
        self._target.texture.use(0)
        self._program["image"].value = 0
        assert self._vao is not None
        self._vao.render(moderngl.TRIANGLES, vertices=3)

    def _release_target(self) -> None:
        if self._target is not None:
            self._target.release()
        self._target = self._key = None

    def release(self) -> None:
        self._release_target()
        for obj in (self._vao, self._program):
            if obj is not None:
                obj.release()
        self._vao = self._program = None
