// The per-frame input, the only data the CPU sends each frame: 50 expression coefficients and
// the pose (global axis-angle, jaw axis-angle; radians), 56 floats in one storage buffer.
layout(std430, binding = 5) readonly buffer FrameInput {
    float exp_coeffs[50];
    float pose[6];
};
