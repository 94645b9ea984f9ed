// posetalk browser viewer: connects to the engine that serves it, poses the head on the GPU from
// the `flame` channel at the display's refresh rate, shows fps and latency.

import * as THREE from "three";
import { StreamConnection } from "./connection.js";
import { HeadView } from "./head.js";
import { FrameInterpolator, PlaybackClock } from "./motion.js";
import { FrameStats } from "./stats.js";

const params = new URLSearchParams(window.location.search);
const token = params.get("token");
const query = token ? `?token=${encodeURIComponent(token)}` : "";
const wsUrl = `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}/${query}`;

const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(window.devicePixelRatio);
renderer.setSize(window.innerWidth, window.innerHeight);
document.body.appendChild(renderer.domElement);

const scene = new THREE.Scene();
scene.background = new THREE.Color(0x20232a);
scene.add(new THREE.HemisphereLight(0xffffff, 0x404040, 1.6));
const key = new THREE.DirectionalLight(0xffffff, 1.8);
key.position.set(0.5, 0.6, 1.0);
scene.add(key);
const camera = new THREE.PerspectiveCamera(30, window.innerWidth / window.innerHeight, 0.01, 10);
camera.position.set(0, 0, 0.6);

const head = new HeadView(scene);
const stats = new FrameStats();
const overlay = document.getElementById("overlay");
const motion = new FrameInterpolator();
const clock = new PlaybackClock();
let shape = null; // frames carry the identity only when it changes: keep the last one
let status = "connecting";
let draws = 0;

// State the browser test reads and drives (THREE and the scene let it render the engine's posing).
window.posetalkViewer = {
  stats, head, THREE, scene, camera, renderer,
  get status() { return status; },
  get connections() { return connection.connections; },
  get draws() { return draws; },
};

async function loadMesh() {
  const sphere = await head.load(`/mesh.glb${query}`);
  camera.position.set(sphere.center.x, sphere.center.y, sphere.center.z + sphere.radius * 4.2);
  camera.lookAt(sphere.center);
}

const connection = new StreamConnection(wsUrl, () => ["flame"], {
  onFrame(frame) {
    stats.add(frame);
    const { exp, pose } = frame.arrays;
    if (!exp || !pose) return;
    shape = frame.arrays.shape ?? shape;
    clock.observe(frame.t, performance.now() / 1000);
    motion.push({ t: frame.t, exp, pose, shape });
  },
  onStatus(text) {
    status = text;
  },
});

window.addEventListener("resize", () => {
  camera.aspect = window.innerWidth / window.innerHeight;
  camera.updateProjectionMatrix();
  renderer.setSize(window.innerWidth, window.innerHeight);
});

function draw() {
  const t = clock.audioTime(performance.now() / 1000);
  const sample = t === null ? null : motion.sample(t);
  if (sample) head.apply(sample);
  renderer.render(scene, camera);
  draws += 1;
  overlay.textContent =
    `${status}\nfps ${stats.fps}   latency ${stats.latencyMs.toFixed(1)} ms\n` +
    `frames ${stats.frames}   seq ${stats.lastSeq}   gaps ${stats.gaps}`;
  requestAnimationFrame(draw);
}

loadMesh().catch((error) => console.error("posetalk: no head", error)).finally(() => {
  connection.open();
  draw();
});
