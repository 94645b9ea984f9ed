"""Drawing at a resolution and MSAA of one's choosing, then filling a window with the result.

A window's own framebuffer has the window's size and the sample count it was created with; a
:class:`ScaledTarget` lets a live window trade sharpness for CPU time on software OpenGL
(:mod:`posetalk.render.governor`): the head is drawn into an off-screen framebuffer of
``scale`` x the window's size with ``samples`` MSAA samples, resolved, and drawn over the
window with linear filtering (the present pass).
"""

from __future__ import annotations

import moderngl

from posetalk.render.shaders import shader_source


def scaled_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """Pixel size of a drawing at ``scale`` of ``size`` (each side at least 1)."""
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


class ScaledTarget:
    """Off-screen framebuffers of one size and sample count, remade when either changes.

    GPU objects are created on first use and released by :meth:`release`.
    """

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self._key: tuple[tuple[int, int], int] | None = None
        self._draw: moderngl.Framebuffer | None = None
        self._resolved: moderngl.Framebuffer | None = None
        self._image: moderngl.Texture | None = None
        self._program: moderngl.Program | None = None
        self._vao: moderngl.VertexArray | None = None

    def framebuffer(self, size: tuple[int, int], samples: int) -> moderngl.Framebuffer:
        """The framebuffer to draw a frame of ``size`` pixels into, with ``samples`` MSAA samples."""
        samples = min(samples, self.ctx.max_samples)
        if self._key != (size, samples):
            self._release_targets()
            ctx = self.ctx
            self._image = ctx.texture(size, 4)
            self._image.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self._resolved = ctx.framebuffer(color_attachments=[self._image],
                                             depth_attachment=None if samples else ctx.depth_renderbuffer(size))
            self._draw = self._resolved if not samples else ctx.framebuffer(
                color_attachments=[ctx.renderbuffer(size, 4, samples=samples)],
                depth_attachment=ctx.depth_renderbuffer(size, samples=samples),
            )
            self._key = (size, samples)
        assert self._draw is not None
        return self._draw

    def present(self, target: moderngl.Framebuffer, size: tuple[int, int]) -> None:
        """Present pass: resolve the drawing and fill ``size`` pixels of ``target`` with it."""
        assert self._draw is not None and self._resolved is not None and self._image is not None
        ctx = self.ctx
        if self._draw is not self._resolved:
            ctx.copy_framebuffer(self._resolved, self._draw)
        if self._program is None:
            self._program = ctx.program(vertex_shader=shader_source("present.vert.glsl"),
                                        fragment_shader=shader_source("present.frag.glsl"))
            self._vao = ctx.vertex_array(self._program, [])
        target.use()
        ctx.viewport = (0, 0, *size)
        ctx.enable_only(moderngl.NOTHING)
        self._image.use(0)
        self._program["image"].value = 0
        assert self._vao is not None
        self._vao.render(moderngl.TRIANGLES, vertices=3)

    def _release_targets(self) -> None:
        for fbo in {id(f): f for f in (self._draw, self._resolved) if f is not None}.values():
            for attachment in (*fbo.color_attachments, fbo.depth_attachment):
                if attachment is not None:
                    attachment.release()
            fbo.release()
        self._draw = self._resolved = self._image = None
        self._key = None

    def release(self) -> None:
        self._release_targets()
        for obj in (self._vao, self._program):
            if obj is not None:
                obj.release()
        self._vao = self._program = None
