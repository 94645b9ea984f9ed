// Skinning pass: expression and pose blend shapes and linear blend skinning of every vertex,
// captured by transform feedback into the positions buffer (FLAME, Li et al. 2017, eqs. 1-5):
//   T_P = (T + B_S(shape)) + B_E(exp) + B_P(pose),   v = sum_j w_j G_j T_P
// The shaped template comes from the shape pass. Blend-shape deltas live in a storage buffer,
// vertex-major: (V, 100 shape + 50 exp + 36 pose, 3).
#version 430

#include "rotation.glsl"

const int N_JOINTS = 5;
const int N_SHAPE = 100;
const int N_EXP = 50;
const int N_POSE_DIRS = 36;
const int N_DIRS = N_SHAPE + N_EXP + N_POSE_DIRS;

#include "frame.glsl"

layout(std430, binding = 0) readonly buffer Shaped { float shaped[]; };  // (V, 3) T + B_S
layout(std430, binding = 1) readonly buffer Deltas { float deltas[]; };               // (V, K, 3)
layout(std430, binding = 2) readonly buffer Weights { float weights[]; };             // (V, 5)
layout(std430, binding = 4) readonly buffer Joints { mat4 joint_transforms[N_JOINTS]; };

out vec3 skinned;

vec3 delta(int vertex, int component) {
    int base = (vertex * N_DIRS + component) * 3;
    return vec3(deltas[base], deltas[base + 1], deltas[base + 2]);
}

void main() {
    int vertex = gl_VertexID;
    vec3 position = vec3(shaped[vertex * 3], shaped[vertex * 3 + 1], shaped[vertex * 3 + 2]);
    for (int k = 0; k < N_EXP; ++k) {
        position += exp_coeffs[k] * delta(vertex, N_SHAPE + k);
    }
#ifdef POSE_CORRECTIVES  // defined when the model has pose-corrective blend shapes
    // Pose correctives: entries of (R_j - I) for the non-root joints, row-major.
    for (int joint = 1; joint < N_JOINTS; ++joint) {
        vec3 axis_angle = joint_axis_angle(joint, pose);
        if (dot(axis_angle, axis_angle) == 0.0) continue;
        mat3 feature = rodrigues(axis_angle) - mat3(1.0);
        int first = N_SHAPE + N_EXP + (joint - 1) * 9;
        for (int row = 0; row < 3; ++row) {
            for (int col = 0; col < 3; ++col) {
                position += feature[col][row] * delta(vertex, first + row * 3 + col);
            }
        }
    }
#endif
    mat4 blended = mat4(0.0);
    for (int joint = 0; joint < N_JOINTS; ++joint) {
        blended += weights[vertex * N_JOINTS + joint] * joint_transforms[joint];
    }
    skinned = (blended * vec4(position, 1.0)).xyz;
}
