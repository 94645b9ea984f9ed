// Head pass, vertex stage: each render vertex fetches the skinned position and normal of the mesh
// vertex it shows (render vertices split mesh vertices along texture seams).
#version 430

layout(std430, binding = 0) readonly buffer Positions { float positions[]; };  // (V, 3) skinned
layout(std430, binding = 1) readonly buffer Normals { float normals[]; };      // (V, 3) unnormalised

uniform mat4 model_view;
uniform mat4 projection;

in int in_vertex;  // index of the skinned vertex this render vertex shows
#ifdef ALBEDO_TEXTURE
in vec2 in_uv;
out vec2 uv;
#else
in vec3 in_color;     // sRGB
out vec3 base_color;  // linear
#endif

out vec3 view_position;
out vec3 view_normal;

#include "color.glsl"

vec3 fetch(int vertex, bool normal) {
    int i = vertex * 3;
    return normal ? vec3(normals[i], normals[i + 1], normals[i + 2])
                  : vec3(positions[i], positions[i + 1], positions[i + 2]);
}

void main() {
    vec4 position = model_view * vec4(fetch(in_vertex, false), 1.0);
    view_position = position.xyz;
    view_normal = mat3(model_view) * fetch(in_vertex, true);
#ifdef ALBEDO_TEXTURE
    uv = in_uv;
#else
    base_color = srgb_to_linear(in_color);
#endif
    gl_Position = projection * position;
}
