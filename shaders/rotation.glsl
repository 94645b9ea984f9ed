// Rotation helpers shared by the joint and skinning passes.

// FLAME joint order: 0 global, 1 neck, 2 jaw, 3 left eye, 4 right eye. posetalk drives the
// global and jaw rotations; neck and eyes stay at rest.
vec3 joint_axis_angle(int joint, float pose[6]) {
    if (joint == 0) return vec3(pose[0], pose[1], pose[2]);
    if (joint == 2) return vec3(pose[3], pose[4], pose[5]);
    return vec3(0.0);
}

// Rodrigues' formula: rotation matrix of an axis-angle vector (radians).
mat3 rodrigues(vec3 axis_angle) {
    float angle = length(axis_angle);
    if (angle < 1e-12) return mat3(1.0);
    vec3 axis = axis_angle / angle;
    // Column-major skew-symmetric cross-product matrix K, so that K * v = axis x v.
    mat3 skew = mat3(0.0, axis.z, -axis.y,
                     -axis.z, 0.0, axis.x,
                     axis.y, -axis.x, 0.0);
    return mat3(1.0) + sin(angle) * skew + (1.0 - cos(angle)) * (skew * skew);
}
