// Normal pass: the smooth normal of every skinned vertex, captured by transform feedback: the
// area-weighted sum of the normals of the faces around it (run after the skinning pass).
#version 430

layout(std430, binding = 0) readonly buffer Positions { float positions[]; };  // (V, 3) skinned
layout(std430, binding = 1) readonly buffer Faces { int faces[]; };            // (F, 3)
layout(std430, binding = 2) readonly buffer RingStart { int ring_start[]; };   // (V + 1,)
layout(std430, binding = 3) readonly buffer RingFaces { int ring_faces[]; };   // faces per vertex

out vec3 normal;

vec3 skinned_position(int vertex) {
    return vec3(positions[vertex * 3], positions[vertex * 3 + 1], positions[vertex * 3 + 2]);
}

void main() {
    int vertex = gl_VertexID;
    vec3 sum = vec3(0.0);
    for (int i = ring_start[vertex]; i < ring_start[vertex + 1]; ++i) {
        int face = ring_faces[i] * 3;
        vec3 a = skinned_position(faces[face]);
        vec3 b = skinned_position(faces[face + 1]);
        vec3 c = skinned_position(faces[face + 2]);
        sum += cross(b - a, c - a);  // twice the face's area along its normal
    }
    normal = sum;
}
