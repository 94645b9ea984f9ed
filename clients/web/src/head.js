// The head in the scene: the rig from GET /mesh.glb, posed by the motion of the `flame` channel.

import { loadRig } from "./rig.js";

export class HeadView {
  constructor(scene) {
    this.scene = scene;
    this.rig = null;
  }

  /** Load the rig from `url` into the scene; returns the rest pose's bounding sphere. */
  async load(url) {
    this.rig = await loadRig(url);
    this.scene.add(this.rig.root);
    const geometry = this.rig.mesh.geometry;
    geometry.computeBoundingSphere();
    return geometry.boundingSphere;
  }

  /** Pose from one sample of motion: {exp, pose, shape}. */
  apply(motion) {
    if (this.rig) this.rig.pose(motion.exp, motion.pose, motion.shape);
  }

  /** Pose from `motion` (plain arrays) and return the posed positions (3 V, metres). */
  posedVertices(motion) {
    this.apply(motion);
    return Array.from(this.rig.posedPositions());
  }
}
