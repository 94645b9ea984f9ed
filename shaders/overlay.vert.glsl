// Overlay pass, vertex stage: text quads given in pixels, origin at the top-left corner.
#version 430

uniform vec2 viewport;  // framebuffer size in pixels

in vec2 in_position;  // pixels
in vec2 in_uv;        // texel coordinates in the glyph atlas
in vec4 in_color;

out vec2 uv;
out vec4 color;

void main() {
    vec2 ndc = in_position / viewport * 2.0 - 1.0;
    gl_Position = vec4(ndc.x, -ndc.y, 0.0, 1.0);
    uv = in_uv;
    color = in_color;
}
