// Present pass, vertex stage: one triangle that covers the viewport (no vertex buffer; the
// corners come from gl_VertexID: (0, 0), (2, 0), (0, 2) in texture coordinates).
#version 430

out vec2 uv;

void main() {
    vec2 corner = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
