// The head's rig from GET /mesh.glb (docs/protocol.md): FLAME's blend shapes as morph targets and
// its joints as bones, posed by three.js on the GPU from one frame of the `flame` channel.
//
// FLAME (Li et al. 2017, eqs. 1-5): T_P = T̄ + B_S(β) + B_E(ψ) + B_P(θ) are the morph targets'
// weights; the joints J = J̄ + Σ_t w_t ΔJ_t follow the weights (mesh.extras.posetalk.joint_deltas),
// so each frame sets every bone's offset from its parent and its inverse bind matrix T(-J); the
// global and jaw rotations (pose_joints) turn their bones.

import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";

/** Load the asset at `url` and return its rig. */
export async function loadRig(url) {
  const gltf = await new GLTFLoader().loadAsync(url);
  let mesh = null;
  gltf.scene.traverse((object) => {
    if (object.isSkinnedMesh) mesh = object;
  });
  if (!mesh) throw new Error(`${url} holds no skinned mesh`);
  return new HeadRig(gltf.scene, mesh);
}

export class HeadRig {
  constructor(root, mesh) {
    const rig = mesh.userData.posetalk;
    this.root = root;
    this.mesh = mesh;
    this.bones = mesh.skeleton.bones;
    this.parents = this.bones.map((bone) => this.bones.indexOf(bone.parent));
    this.rotations = this.bones.map(() => new THREE.Matrix4());
    this.poseJoints = rig.pose_joints.map((name) => this.boneIndex(name));
    this.targets = rig.targets; // [kind, index] per morph target
    this.targetJoints = this.targets.map(([kind]) => (kind === "shape" || kind === "exp" ? -1 : this.boneIndex(kind)));
    this.restJoints = rig.joints;
    this.jointDeltas = rig.joint_deltas; // (T, J, 3) metres per unit weight
    mesh.frustumCulled = false; // its bounding sphere is the rest pose's
  }

  boneIndex(name) {
    const index = this.bones.findIndex((bone) => bone.name === name);
    if (index < 0) throw new Error(`the rig has no joint ${name}`);
    return index;
  }

  /** Pose from one frame: exp (50), pose (6: global then jaw axis-angle, radians), shape (100). */
  pose(exp, pose, shape) {
    const axis = new THREE.Vector3();
    this.bones.forEach((bone, j) => {
      bone.quaternion.identity();
      this.rotations[j].identity();
    });
    this.poseJoints.forEach((j, k) => {
      axis.set(pose[3 * k], pose[3 * k + 1], pose[3 * k + 2]);
      const angle = axis.length();
      if (angle === 0) return;
      this.bones[j].quaternion.setFromAxisAngle(axis.divideScalar(angle), angle);
      this.rotations[j].makeRotationFromQuaternion(this.bones[j].quaternion);
    });

    const influences = this.mesh.morphTargetInfluences;
    this.targets.forEach(([kind, index], t) => {
      if (kind === "shape") {
        influences[t] = shape ? shape[index] : 0;
      } else if (kind === "exp") {
        influences[t] = exp[index];
      } else {
        // Entry (row, col) of R - I; three.js matrices are column-major.
        const row = Math.floor(index / 3);
        const col = index % 3;
        influences[t] = this.rotations[this.targetJoints[t]].elements[col * 4 + row] - (row === col ? 1 : 0);
      }
    });

    const joints = this.restJoints.map((joint) => joint.slice());
    influences.forEach((weight, t) => {
      if (weight === 0) return;
      this.jointDeltas[t].forEach((delta, j) => {
        for (let c = 0; c < 3; c += 1) joints[j][c] += weight * delta[c];
      });
    });
    this.bones.forEach((bone, j) => {
      const parent = this.parents[j] >= 0 ? joints[this.parents[j]] : [0, 0, 0];
      bone.position.set(joints[j][0] - parent[0], joints[j][1] - parent[1], joints[j][2] - parent[2]);
      this.mesh.skeleton.boneInverses[j].makeTranslation(-joints[j][0], -joints[j][1], -joints[j][2]);
    });
    this.root.updateMatrixWorld(true);
  }

  /** (3 V) posed positions as three.js computes them (its CPU mirror of the GPU's morph + skin). */
  posedPositions() {
    const count = this.mesh.geometry.attributes.position.count;
    const out = new Float32Array(count * 3);
    const vertex = new THREE.Vector3();
    for (let i = 0; i < count; i += 1) {
      this.mesh.getVertexPosition(i, vertex);
      vertex.toArray(out, 3 * i);
    }
    return out;
  }
}
