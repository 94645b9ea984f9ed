// Shape pass: the identity-shaped template T + B_S(shape) of every vertex (FLAME, Li et al. 2017,
// eq. 2), captured by transform feedback. Runs only when the shape changes.
#version 430

const int N_SHAPE = 100;
const int N_DIRS = 186;  // 100 shape + 50 expression + 36 pose-corrective directions

uniform float shape[N_SHAPE];
uniform int n_shape_active;  // shape coefficients past this index are zero

layout(std430, binding = 0) readonly buffer Template { float template_positions[]; };  // (V, 3)
layout(std430, binding = 1) readonly buffer Deltas { float deltas[]; };               // (V, K, 3)

out vec3 shaped;

void main() {
    int vertex = gl_VertexID;
    shaped = vec3(template_positions[vertex * 3], template_positions[vertex * 3 + 1],
                  template_positions[vertex * 3 + 2]);
    for (int k = 0; k < n_shape_active; ++k) {
        int base = (vertex * N_DIRS + k) * 3;
        shaped += shape[k] * vec3(deltas[base], deltas[base + 1], deltas[base + 2]);
    }
}
