"""The renderer: every GPU object and GL state setting of posetalk, for one context and one head.

Passes, in order, one method each:

0. shape pass (transform feedback, V points, only when the identity shape changes): the shaped
   template T + B_S(shape);
1. joint pass (transform feedback, 5 points): uploads the frame's 50 expression and 6 pose floats
   (the only per-frame upload) and computes the 5 skinning transforms;
2. skin pass (transform feedback, V points): blend shapes and skinning into the positions buffer;
3. normal pass (transform feedback, V points): smooth vertex normals of the posed mesh;
4. head pass: draws the posed head with three-point lighting;
5. overlay pass (optional): a text panel, drawn by :class:`posetalk.render.overlay.Overlay`.

The window and headless paths both drive this class; they only supply the framebuffer. GPU objects
are created on first use and released by :meth:`Renderer.release`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import moderngl
import numpy as np

from posetalk.render.camera import Camera
from posetalk.render.geometry import HeadGeometry
from posetalk.render.shaders import shader_source
from posetalk.rig.flame import N_EXP, N_SHAPE

N_POSE = 6


@dataclass(frozen=True)
class Lighting:
    """Three lights in view space (directions towards the light) plus a sky/ground ambient.

    Colours are linear RGB intensities.
    """

    key_direction: tuple[float, float, float] = (-0.55, 0.55, 0.65)
    key_color: tuple[float, float, float] = (1.05, 0.98, 0.90)
    fill_direction: tuple[float, float, float] = (0.75, 0.05, 0.55)
    fill_color: tuple[float, float, float] = (0.22, 0.25, 0.32)
    rim_direction: tuple[float, float, float] = (0.4, 0.6, -0.7)
    rim_color: tuple[float, float, float] = (0.55, 0.58, 0.65)
    ambient_sky: tuple[float, float, float] = (0.16, 0.17, 0.20)
    ambient_ground: tuple[float, float, float] = (0.07, 0.06, 0.06)


@dataclass(frozen=True)
class RenderConfig:
    """How frames look. ``background`` is sRGB; ``samples`` is the MSAA sample count."""

    background: tuple[float, float, float] = (0.19, 0.21, 0.25)
    samples: int = 4
    lighting: Lighting = field(default_factory=Lighting)


@dataclass
class _GpuObjects:
    """GPU objects of one head (created together, released together)."""

    shape_program: moderngl.Program
    joint_program: moderngl.Program
    skin_program: moderngl.Program
    normal_program: moderngl.Program
    head_program: moderngl.Program
    buffers: dict[str, moderngl.Buffer]
    shape_vao: moderngl.VertexArray
    joint_vao: moderngl.VertexArray
    skin_vao: moderngl.VertexArray
    normal_vao: moderngl.VertexArray
    head_vao: moderngl.VertexArray
    albedo: moderngl.Texture | None
    # Transform feedback draws need a complete framebuffer bound, even with rasterisation off
    # (a standalone EGL context has none); this 1x1 one serves the feedback passes.
    feedback_target: moderngl.Framebuffer

    def release(self) -> None:
        for obj in (self.shape_vao, self.joint_vao, self.skin_vao, self.normal_vao,
                    self.head_vao, self.shape_program, self.joint_program, self.skin_program,
                    self.normal_program,
                    self.head_program, *self.buffers.values(),
                    *self.feedback_target.color_attachments, self.feedback_target):
            obj.release()
        if self.albedo is not None:
            self.albedo.release()


def _normalized(vector: tuple[float, float, float]) -> tuple[float, ...]:
    array = np.asarray(vector, dtype=np.float64)
    return tuple(float(x) for x in array / np.linalg.norm(array))


def _matrix_bytes(matrix: np.ndarray) -> bytes:
    """Column-major float32 bytes of a (4, 4) matrix, as GLSL expects."""
    return np.ascontiguousarray(matrix.T, dtype=np.float32).tobytes()


class Renderer:
    """Draws one head with one GL context (which the caller owns and makes current)."""

    def __init__(
        self, ctx: moderngl.Context, geometry: HeadGeometry, config: RenderConfig = RenderConfig()
    ) -> None:
        self.ctx = ctx
        self.geometry = geometry
        self.config = config
        self._gpu: _GpuObjects | None = None
        self._shape = np.zeros(N_SHAPE, dtype=np.float32)
        self._uploaded_shape: np.ndarray | None = None

    # GPU objects ---------------------------------------------------------------------------

    def _objects(self) -> _GpuObjects:
        if self._gpu is None:
            self._gpu = self._create_objects()
            self._upload_shape(self._gpu)
        return self._gpu

    def _create_objects(self) -> _GpuObjects:
        ctx, geo = self.ctx, self.geometry
        shape_program = ctx.program(
            vertex_shader=shader_source("shape.vert.glsl"), varyings=["shaped"]
        )
        joint_program = ctx.program(
            vertex_shader=shader_source("joints.vert.glsl"),
            varyings=["transform_col0", "transform_col1", "transform_col2", "transform_col3"],
        )
        correctives = ["POSE_CORRECTIVES"] if geo.has_pose_correctives else []
        skin_program = ctx.program(
            vertex_shader=shader_source("skin.vert.glsl", correctives), varyings=["skinned"]
        )
        normal_program = ctx.program(
            vertex_shader=shader_source("normals.vert.glsl"), varyings=["normal"]
        )
        defines = ["ALBEDO_TEXTURE"] if geo.albedo is not None else []
        head_program = ctx.program(
            vertex_shader=shader_source("head.vert.glsl", defines),
            fragment_shader=shader_source("head.frag.glsl", defines),
        )
        buffers = {
            "template": ctx.buffer(geo.template.tobytes()),
            "shaped": ctx.buffer(reserve=geo.n_vertices * 12),
            "deltas": ctx.buffer(geo.deltas.tobytes()),
            "weights": ctx.buffer(geo.weights.tobytes()),
            "joint_exp_dirs": ctx.buffer(geo.joint_exp_dirs.tobytes()),
            "joints": ctx.buffer(reserve=len(geo.parents) * 64),
            "frame": ctx.buffer(reserve=(N_EXP + N_POSE) * 4),
            "positions": ctx.buffer(reserve=geo.n_vertices * 12),
            "normals": ctx.buffer(reserve=geo.n_vertices * 12),
            "faces": ctx.buffer(geo.faces.tobytes()),
            "ring_start": ctx.buffer(geo.ring_start.tobytes()),
            "ring_faces": ctx.buffer(geo.ring_faces.tobytes()),
            "corners": ctx.buffer(self._corner_records().tobytes()),
            "draw_faces": ctx.buffer(geo.draw_faces.tobytes()),
        }
        joint_program["parents"].write(geo.parents.tobytes())
        # Corner records are (vertex, colour, uv); each variant reads the fields it uses.
        if geo.albedo is not None:
            layout, attributes = "1i 3x4 2f", ["in_vertex", "in_uv"]
        else:
            layout, attributes = "1i 3f 2x4", ["in_vertex", "in_color"]
        head_vao = ctx.vertex_array(
            head_program,
            [(buffers["corners"], layout, *attributes)],
            index_buffer=buffers["draw_faces"],
            index_element_size=4,
        )
        albedo = None
        if geo.albedo is not None:
            image = np.ascontiguousarray(geo.albedo.image[::-1], dtype=np.uint8)
            albedo = ctx.texture((image.shape[1], image.shape[0]), 3, image.tobytes())
            albedo.build_mipmaps()
            albedo.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
        return _GpuObjects(
            shape_program=shape_program,
            joint_program=joint_program,
            skin_program=skin_program,
            normal_program=normal_program,
            head_program=head_program,
            buffers=buffers,
            shape_vao=ctx.vertex_array(shape_program, []),
            joint_vao=ctx.vertex_array(joint_program, []),
            skin_vao=ctx.vertex_array(skin_program, []),
            normal_vao=ctx.vertex_array(normal_program, []),
            head_vao=head_vao,
            albedo=albedo,
            feedback_target=ctx.framebuffer(color_attachments=[ctx.renderbuffer((1, 1), 4)]),
        )

    def _corner_records(self) -> np.ndarray:
        """Interleaved (vertex index, colour, uv) records of the render vertices."""
        geo = self.geometry
        records = np.zeros(
            len(geo.corner_vertex), dtype=[("vertex", "<i4"), ("color", "<f4", 3), ("uv", "<f4", 2)]
        )
        records["vertex"] = geo.corner_vertex
        records["color"] = geo.corner_color
        records["uv"] = geo.corner_uv
        return records

    def release(self) -> None:
        """Free every GPU object (the context itself belongs to the caller)."""
        if self._gpu is not None:
            self._gpu.release()
            self._gpu = None
            self._uploaded_shape = None

    # Per-frame inputs ----------------------------------------------------------------------

    def set_shape(self, shape: np.ndarray) -> None:
        """Set the (100,) identity shape; it is uploaded only when it changes."""
        self._shape = np.asarray(shape, dtype=np.float32).reshape(-1).copy()
        if self._gpu is not None:
            self._upload_shape(self._gpu)

    def _upload_shape(self, gpu: _GpuObjects) -> None:
        if self._uploaded_shape is None or not np.array_equal(self._uploaded_shape, self._shape):
            self._shape_pass(gpu)
            self._uploaded_shape = self._shape

    # Passes --------------------------------------------------------------------------------

    def _shape_pass(self, gpu: _GpuObjects) -> None:
        """Bake the shaped template and the shape's rest joints (on a shape change only)."""
        shape = self._shape
        nonzero = np.flatnonzero(shape)
        gpu.shape_program["shape"].write(shape.tobytes())
        gpu.shape_program["n_shape_active"].value = int(nonzero[-1] + 1) if len(nonzero) else 0
        rest = self.geometry.joint_rest(shape).astype(np.float32)
        gpu.joint_program["joint_rest"].write(rest.tobytes())
        gpu.buffers["template"].bind_to_storage_buffer(0)
        gpu.buffers["deltas"].bind_to_storage_buffer(1)
        gpu.feedback_target.use()
        gpu.shape_vao.transform(gpu.buffers["shaped"], moderngl.POINTS, self.geometry.n_vertices)

    def joint_pass(self, exp: np.ndarray, pose: np.ndarray) -> None:
        """Compute the 5 skinning transforms into the joints buffer."""
        gpu = self._objects()
        frame = np.concatenate(
            [np.asarray(exp, dtype=np.float32).reshape(N_EXP),
             np.asarray(pose, dtype=np.float32).reshape(N_POSE)]
        )
        gpu.buffers["frame"].write(frame.tobytes())
        gpu.buffers["frame"].bind_to_storage_buffer(5)
        gpu.buffers["joint_exp_dirs"].bind_to_storage_buffer(3)
        gpu.feedback_target.use()
        gpu.joint_vao.transform(gpu.buffers["joints"], moderngl.POINTS, len(self.geometry.parents))

    def skin_pass(self) -> None:
        """Blend and skin every vertex into the positions buffer (after :meth:`joint_pass`)."""
        gpu = self._objects()
        for binding, name in enumerate(("shaped", "deltas", "weights")):
            gpu.buffers[name].bind_to_storage_buffer(binding)
        gpu.buffers["joints"].bind_to_storage_buffer(4)
        gpu.buffers["frame"].bind_to_storage_buffer(5)
        gpu.feedback_target.use()
        gpu.skin_vao.transform(gpu.buffers["positions"], moderngl.POINTS, self.geometry.n_vertices)

    def normal_pass(self) -> None:
        """Smooth normals of the skinned mesh into the normals buffer (after :meth:`skin_pass`)."""
        gpu = self._objects()
        for binding, name in enumerate(("positions", "faces", "ring_start", "ring_faces")):
            gpu.buffers[name].bind_to_storage_buffer(binding)
        gpu.feedback_target.use()
        gpu.normal_vao.transform(gpu.buffers["normals"], moderngl.POINTS, self.geometry.n_vertices)

    def pose(self, exp: np.ndarray, pose: np.ndarray) -> None:
        """Pose the head: (50,) expression and (6,) global + jaw axis-angle."""
        self.joint_pass(exp, pose)
        self.skin_pass()
        self.normal_pass()

    def head_pass(
        self, target: moderngl.Framebuffer, camera: Camera, size: tuple[int, int] | None = None
    ) -> None:
        """Draw the posed head into ``target``, clearing it first.

        ``size`` is the drawable size in pixels, by default the framebuffer's own (a window's
        default framebuffer changes size when the window is resized).
        """
        gpu = self._objects()
        ctx = self.ctx
        target.use()
        size = size or target.size
        ctx.viewport = (0, 0, *size)
        ctx.enable_only(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        ctx.front_face = "ccw"
        ctx.cull_face = "back"
        ctx.clear(*self.config.background, 1.0, depth=1.0)
        program = gpu.head_program
        program["model_view"].write(_matrix_bytes(camera.view()))
        program["projection"].write(_matrix_bytes(camera.projection(size[0] / size[1])))
        light = self.config.lighting
        for name in ("key", "fill", "rim"):
            program[f"{name}_direction"].value = _normalized(getattr(light, f"{name}_direction"))
            program[f"{name}_color"].value = getattr(light, f"{name}_color")
        program["ambient_sky"].value = light.ambient_sky
        program["ambient_ground"].value = light.ambient_ground
        for binding, name in enumerate(("positions", "normals")):
            gpu.buffers[name].bind_to_storage_buffer(binding)
        if gpu.albedo is not None:
            gpu.albedo.use(0)
            program["albedo"].value = 0
        gpu.head_vao.render(moderngl.TRIANGLES)

    # Read-back -----------------------------------------------------------------------------

    def read_positions(self) -> np.ndarray:
        """(V, 3) float32 skinned vertices of the last :meth:`pose`."""
        data = self._objects().buffers["positions"].read()
        return np.frombuffer(data, dtype=np.float32).reshape(-1, 3).copy()

    def read_normals(self) -> np.ndarray:
        """(V, 3) float32 unit normals of the last :meth:`pose`."""
        data = self._objects().buffers["normals"].read()
        normals = np.frombuffer(data, dtype=np.float32).reshape(-1, 3)
        return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-20)
