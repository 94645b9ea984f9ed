// Head pass, fragment stage: three-point lighting in linear space (key, fill, rim) with a soft
// ambient and a weak specular, then encoded to sRGB.
#version 430

in vec3 view_position;
in vec3 view_normal;
#ifdef ALBEDO_TEXTURE
in vec2 uv;
uniform sampler2D albedo;
#else
in vec3 base_color;  // linear
#endif

// Lights in view space (they follow the camera, so the face stays lit while orbiting).
uniform vec3 key_direction;   // towards the light
uniform vec3 key_color;
uniform vec3 fill_direction;
uniform vec3 fill_color;
uniform vec3 rim_direction;
uniform vec3 rim_color;
uniform vec3 ambient_sky;
uniform vec3 ambient_ground;

out vec4 frag_color;

#include "color.glsl"

void main() {
    vec3 normal = normalize(view_normal);
    vec3 to_eye = normalize(-view_position);
    if (dot(normal, to_eye) < 0.0) normal = -normal;  // seen from inside (mouth cavity)
#ifdef ALBEDO_TEXTURE
    vec3 base = srgb_to_linear(texture(albedo, uv).rgb);
#else
    vec3 base = base_color;
#endif
    vec3 light = mix(ambient_ground, ambient_sky, 0.5 + 0.5 * normal.y);
    // Wrapped diffuse softens the terminator, as light does on skin.
    light += key_color * max((dot(normal, key_direction) + 0.2) / 1.2, 0.0);
    light += fill_color * max(dot(normal, fill_direction), 0.0);
    float facing = 1.0 - max(dot(normal, to_eye), 0.0);
    light += rim_color * pow(facing, 3.0) * max(dot(normal, rim_direction) + 0.3, 0.0);
    vec3 halfway = normalize(key_direction + to_eye);
    vec3 specular = key_color * 0.06 * pow(max(dot(normal, halfway), 0.0), 24.0);
    frag_color = vec4(linear_to_srgb(base * light + specular), 1.0);
}
