"""A text overlay (fps, latency, a stream's misses) drawn with a tiny built-in 5x7 pixel font."""

from __future__ import annotations

from functools import lru_cache

import moderngl
import numpy as np

from posetalk.render.shaders import shader_source

# 5x7 glyphs, one string of 7 rows per character ('#' = ink). "\x7f" is a solid block (panels).
GLYPHS: dict[str, tuple[str, ...]] = {
    "0": (".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
    "1": ("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."),
    "2": (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    "3": ("####.", "....#", "....#", ".###.", "....#", "....#", "####."),
    "4": ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    "5": ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    "6": (".###.", "#....", "#....", "####.", "#...#", "#...#", ".###."),
    "7": ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    "8": (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    "9": (".###.", "#...#", "#...#", ".####", "....#", "....#", ".###."),
    ".": (".....", ".....", ".....", ".....", ".....", ".##..", ".##.."),
    ":": (".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."),
    "%": ("##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##"),
    "/": (".....", "....#", "...#.", "..#..", ".#...", "#....", "....."),
    "-": (".....", ".....", ".....", "#####", ".....", ".....", "....."),
    " ": (".....",) * 7,
    "A": (".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "B": ("####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."),
    "C": (".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."),
    "D": ("####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."),
    "E": ("#####", "#....", "#....", "####.", "#....", "#....", "#####"),
    "F": ("#####", "#....", "#....", "####.", "#....", "#....", "#...."),
    "G": (".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".###."),
    "H": ("#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "I": (".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."),
    "K": ("#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"),
    "L": ("#....", "#....", "#....", "#....", "#....", "#....", "#####"),
    "M": ("#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"),
    "N": ("#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#"),
    "O": (".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "P": ("####.", "#...#", "#...#", "####.", "#....", "#....", "#...."),
    "R": ("####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"),
    "S": (".####", "#....", "#....", ".###.", "....#", "....#", "####."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."),
    "U": ("#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "W": ("#...#", "#...#", "#...#", "#.#.#", "#.#.#", "##.##", "#...#"),
    "X": ("#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"),
    "Y": ("#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."),
    "\x7f": ("#####",) * 7,
}
GLYPH_W, GLYPH_H = 5, 7
CELL_W, CELL_H = 6, 9  # glyph plus spacing, in font pixels


@lru_cache(maxsize=1)
def _atlas() -> tuple[np.ndarray, dict[str, int]]:
    """(7, 5 * n) uint8 coverage atlas and each character's column in it."""
    chars = list(GLYPHS)
    atlas = np.zeros((GLYPH_H, GLYPH_W * len(chars)), dtype=np.uint8)
    for i, char in enumerate(chars):
        rows = np.array([[c == "#" for c in row] for row in GLYPHS[char]], dtype=np.uint8)
        atlas[:, i * GLYPH_W : (i + 1) * GLYPH_W] = rows * 255
    return atlas, {char: i for i, char in enumerate(chars)}


def _quad(x0: float, y0: float, x1: float, y1: float, u0: float, v0: float, u1: float,
          v1: float, color: tuple[float, float, float, float]) -> list[tuple[float, ...]]:
    corners = [(x0, y0, u0, v0), (x1, y0, u1, v0), (x1, y1, u1, v1),
               (x0, y0, u0, v0), (x1, y1, u1, v1), (x0, y1, u0, v1)]
    return [(*corner, *color) for corner in corners]


def layout_text(lines: list[str], scale: int, origin: tuple[int, int] = (10, 10)) -> np.ndarray:
    """(N, 8) vertices (x, y, u, v, r, g, b, a) of a panel with ``lines`` of text, in pixels.

    Unknown characters are drawn as spaces; lower case is drawn upper case.
    """
    _, column = _atlas()
    solid = column["\x7f"] * GLYPH_W
    width = max((len(line) for line in lines), default=0) * CELL_W * scale
    height = len(lines) * CELL_H * scale
    pad = 2 * scale
    x, y = origin
    vertices = _quad(x - pad, y - pad, x + width + pad, y + height + pad,
                     solid + 1, 1, solid + 2, 2, (0.0, 0.0, 0.0, 0.55))
    for row, line in enumerate(lines):
        for col, char in enumerate(line.upper()):
            u = column.get(char, column[" "]) * GLYPH_W
            gx = x + col * CELL_W * scale
            gy = y + row * CELL_H * scale
            vertices += _quad(gx, gy, gx + GLYPH_W * scale, gy + GLYPH_H * scale,
                              u, 0, u + GLYPH_W, GLYPH_H, (0.95, 0.95, 0.9, 1.0))
    return np.asarray(vertices, dtype=np.float32)


class Overlay:
    """Draws text panels over a framebuffer. GPU objects are made on first use."""

    def __init__(self, ctx: moderngl.Context, scale: int = 2) -> None:
        self.ctx = ctx
        self.scale = scale
        self._program: moderngl.Program | None = None
        self._atlas: moderngl.Texture | None = None

    def _objects(self) -> tuple[moderngl.Program, moderngl.Texture]:
        if self._program is None or self._atlas is None:
            self._program = self.ctx.program(
                vertex_shader=shader_source("overlay.vert.glsl"),
                fragment_shader=shader_source("overlay.frag.glsl"),
            )
            atlas, _ = _atlas()
            self._atlas = self.ctx.texture((atlas.shape[1], atlas.shape[0]), 1, atlas.tobytes())
            self._atlas.filter = (moderngl.NEAREST, moderngl.NEAREST)
        return self._program, self._atlas

    def draw(
        self, target: moderngl.Framebuffer, lines: list[str], size: tuple[int, int] | None = None
    ) -> None:
        """Overlay pass: blend the text panel over what ``target`` holds (``size`` as for
        :meth:`posetalk.render.renderer.Renderer.head_pass`)."""
        program, atlas = self._objects()
        vertices = layout_text(lines, self.scale)
        ctx = self.ctx
        size = size or target.size
        target.use()
        ctx.viewport = (0, 0, *size)
        ctx.enable_only(moderngl.BLEND)
        ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        program["viewport"].value = tuple(float(v) for v in size)
        atlas.use(0)
        program["atlas"].value = 0
        buffer = ctx.buffer(vertices.tobytes())
        vao = ctx.vertex_array(program, [(buffer, "2f 2f 4f", "in_position", "in_uv", "in_color")])
        vao.render(moderngl.TRIANGLES)
        vao.release()
        buffer.release()

    def release(self) -> None:
        for obj in (self._program, self._atlas):
            if obj is not None:
                obj.release()
        self._program = self._atlas = None
