// Overlay pass, fragment stage: the glyph atlas is a coverage mask.
#version 430

uniform sampler2D atlas;

in vec2 uv;
in vec4 color;

out vec4 frag_color;

void main() {
    float coverage = texelFetch(atlas, ivec2(uv), 0).r;
    frag_color = vec4(color.rgb, color.a * coverage);
}
