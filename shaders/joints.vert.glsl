// Joint pass: one invocation per FLAME joint writes that joint's skinning transform.
//
// Joints are regressed from the shaped mesh, J = J_rest(shape) + sum_k exp_k * dJ_k (FLAME,
// Li et al. 2017, eq. 4; the regressor is linear, so its action on the expression basis is
// precomputed). Each joint's world transform is the product of local rigid transforms up its
// kinematic chain (SMPL, Loper et al. 2015, eq. 4); the rest joint location is then factored out so
// the transform applies to rest-pose vertices.
#version 430

#include "rotation.glsl"

const int N_JOINTS = 5;
const int N_EXP = 50;

uniform vec3 joint_rest[N_JOINTS];  // J for the current shape and zero expression
uniform int parents[N_JOINTS];

#include "frame.glsl"

layout(std430, binding = 3) readonly buffer JointExpDirs { float joint_exp_dirs[]; };  // (J, 50, 3)

out vec4 transform_col0;
out vec4 transform_col1;
out vec4 transform_col2;
out vec4 transform_col3;

vec3 joint_location(int joint) {
    vec3 location = joint_rest[joint];
    for (int k = 0; k < N_EXP; ++k) {
        int base = (joint * N_EXP + k) * 3;
        location += exp_coeffs[k] * vec3(joint_exp_dirs[base], joint_exp_dirs[base + 1],
                                         joint_exp_dirs[base + 2]);
    }
    return location;
}

mat4 local_transform(int joint) {
    vec3 offset = joint_location(joint);
    if (parents[joint] >= 0) {
        offset -= joint_location(parents[joint]);
    }
    mat3 rotation = rodrigues(joint_axis_angle(joint, pose));
    return mat4(vec4(rotation[0], 0.0), vec4(rotation[1], 0.0), vec4(rotation[2], 0.0),
                vec4(offset, 1.0));
}

void main() {
    int joint = gl_VertexID;
    mat4 world = local_transform(joint);
    for (int ancestor = parents[joint]; ancestor >= 0; ancestor = parents[ancestor]) {
        world = local_transform(ancestor) * world;
    }
    vec3 rest = joint_location(joint);
    world[3].xyz -= mat3(world) * rest;
    transform_col0 = world[0];
    transform_col1 = world[1];
    transform_col2 = world[2];
    transform_col3 = world[3];
}
