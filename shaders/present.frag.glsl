// Present pass, fragment stage: the image drawn at a lower resolution, filtered up to the window.
#version 430

uniform sampler2D image;

in vec2 uv;

out vec4 frag_color;

void main() {
    frag_color = vec4(texture(image, uv).rgb, 1.0);
}
