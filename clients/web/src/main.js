// posetalk browser viewer: connects to the engine that serves it, draws the head, shows fps and latency.

import * as THREE from "three";
import { StreamConnection } from "./connection.js";
import { HeadView } from "./head.js";
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
let status = "connecting";
let latest = null; // newest frame not yet drawn: a slow page skips stale frames instead of lagging

// State the browser test reads.
window.posetalkViewer = { stats, get status() { return status; }, get connections() { return connection.connections; } };

async function loadMesh() {
  const answer = await fetch(`/mesh.json${query}`);
  if (!answer.ok) return;
  const sphere = head.load(await answer.json());
  camera.position.set(sphere.center.x, sphere.center.y, sphere.center.z + sphere.radius * 4.2);
  camera.lookAt(sphere.center);
}

function chooseChannels(hello) {
  return "vertices" in hello.channels ? ["vertices"] : ["head"];
}

const connection = new StreamConnection(wsUrl, chooseChannels, {
  onFrame(frame) {
    stats.add(frame);
    latest = frame;
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
  if (latest) {
    head.apply(latest);
    latest = null;
  }
  renderer.render(scene, camera);
  overlay.textContent =
    `${status}\nfps ${stats.fps}   latency ${stats.latencyMs.toFixed(1)} ms\n` +
    `frames ${stats.frames}   seq ${stats.lastSeq}   gaps ${stats.gaps}`;
  requestAnimationFrame(draw);
}

loadMesh().finally(() => {
  connection.open();
  draw();
});
