// The head mesh: geometry from GET /mesh.json, posed by the vertices channel or the head channel.

import * as THREE from "three";

export class HeadView {
  constructor(scene) {
    this.scene = scene;
    this.mesh = null;
  }

  /** Build the mesh from the engine's /mesh.json body. */
  load(body) {
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(new Float32Array(body.vertices), 3));
    geometry.setIndex(body.faces);
    if (body.colors) {
      geometry.setAttribute("color", new THREE.BufferAttribute(new Float32Array(body.colors), 3));
    }
    geometry.computeVertexNormals();
    geometry.computeBoundingSphere();
    const material = new THREE.MeshStandardMaterial({
      color: body.colors ? 0xffffff : 0xd9a98c,
      vertexColors: Boolean(body.colors),
      roughness: 0.7,
      side: THREE.DoubleSide,
    });
    this.mesh = new THREE.Mesh(geometry, material);
    this.scene.add(this.mesh);
    return geometry.boundingSphere;
  }

  /** Apply one decoded frame: posed vertices (metres) or, without them, the head quaternion. */
  apply(frame) {
    if (!this.mesh) return;
    const { vertices, head } = frame.arrays;
    if (vertices && vertices.length === this.mesh.geometry.attributes.position.array.length) {
      this.mesh.geometry.attributes.position.array.set(vertices);
      this.mesh.geometry.attributes.position.needsUpdate = true;
      this.mesh.geometry.computeVertexNormals();
    } else if (head) {
      this.mesh.quaternion.set(head[0], head[1], head[2], head[3]);
    }
  }
}
