"""``GET /mesh.glb`` from a real server, posed by an independent numpy implementation of glTF
morph targets and skinning written here from the formulas, against the engine's CPU posing
(:func:`posetalk.rig.flame.flame_vertices`).

The reference reads only the served asset:

    P = POSITION + Σ_t w_t Δ_t                        glTF 2.0, "Morph Targets"
    J = J̄ + Σ_t w_t ΔJ_t                              FLAME eq. 4 (J regressed from the shaped mesh)
    G_j = G_parent(j) · [R_j | J_j - J_parent(j)]      glTF 2.0, "Transformations"; SMPL eq. 4
    v = Σ_i ω_i G_{k_i} T(-J_{k_i}) P                 glTF 2.0, "Skins"; linear blend skinning

(Li et al., "Learning a model of facial shape and expression from 4D scans", SIGGRAPH Asia 2017;
Loper et al., "SMPL", SIGGRAPH Asia 2015), with w_t the shape or expression coefficient a target
names, or entry e of R - I for a pose corrective, and R_j from Rodrigues' formula
R = I + sin θ K + (1 - cos θ) K².
"""

from __future__ import annotations

import asyncio
import json
import struct
import urllib.request
from dataclasses import replace

import numpy as np
import pytest

from posetalk.rig.flame import FlameModel, flame_vertices
from posetalk.rig.head import built_in_head
from tests.stream_support import paused_playback, running_server, synthetic_head, url

from posetalk_client import open_stream  # noqa: E402  (stream_support puts clients/python on the path)

TOLERANCE_M = 1e-5  # 0.01 mm: float32 storage and displacements under 0.1 µm stored as zero
COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
DTYPES = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}


def http_get(url: str) -> tuple[str, bytes]:
    """(Content-Type, body) of ``url``."""
    with urllib.request.urlopen(url, timeout=60) as answer:
        return answer.headers["Content-Type"], answer.read()


def fetch_glb(head: FlameModel) -> bytes:
    """The rig a real server that has ``head`` names in ``hello`` (``GET /mesh.glb``)."""

    async def scenario() -> bytes:
        async with running_server(paused_playback(10), head=head) as server:
            async with open_stream(url(server)) as stream:
                rig = stream.hello["channels"]["flame"]["rig"]
            content_type, body = await asyncio.to_thread(http_get, f"http://127.0.0.1:{server.port}{rig}")
            assert content_type == "model/gltf-binary"
            return body

    return asyncio.run(scenario())


class Glb:
    """A GLB file's JSON and BIN chunks (glTF 2.0, "GLB File Format Specification")."""

    def __init__(self, data: bytes) -> None:
        magic, version, length = struct.unpack_from("<4sII", data)
        assert (magic, version, length) == (b"glTF", 2, len(data))
        json_length, json_type = struct.unpack_from("<I4s", data, 12)
        assert json_type == b"JSON" and json_length % 4 == 0
        self.json = json.loads(data[20 : 20 + json_length])
        bin_length, bin_type = struct.unpack_from("<I4s", data, 20 + json_length)
        assert bin_type == b"BIN\0"
        self.binary = data[28 + json_length : 28 + json_length + bin_length]

    def view(self, index: int, dtype: type, count: int) -> np.ndarray:
        view = self.json["bufferViews"][index]
        little_endian = np.dtype(dtype).newbyteorder("<")
        return np.frombuffer(self.binary, dtype=little_endian, count=count, offset=view["byteOffset"])

    def accessor(self, index: int) -> np.ndarray:
        """(count, components) values; sparse accessors over zeros or a base view; MAT4 as (count, 4, 4)."""
        accessor = self.json["accessors"][index]
        size, dtype, count = COMPONENTS[accessor["type"]], DTYPES[accessor["componentType"]], accessor["count"]
        if "bufferView" in accessor:
            values = self.view(accessor["bufferView"], dtype, count * size).reshape(count, size).copy()
        else:
            values = np.zeros((count, size), dtype)
        if "sparse" in accessor:
            sparse = accessor["sparse"]
            indices = sparse["indices"]
            rows = self.view(indices["bufferView"], DTYPES[indices["componentType"]], sparse["count"])
            assert np.all(np.diff(rows.astype(np.int64)) > 0)
            values[rows] = self.view(sparse["values"]["bufferView"], dtype, sparse["count"] * size).reshape(-1, size)
        if accessor["type"] == "MAT4":
            return values.reshape(count, 4, 4).transpose(0, 2, 1)  # stored column-major
        return values


def rodrigues(axis_angle: np.ndarray) -> np.ndarray:
    angle = float(np.linalg.norm(axis_angle))
    if angle == 0.0:
        return np.eye(3)
    x, y, z = axis_angle / angle
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


def pose_asset(glb: Glb, shape: np.ndarray, exp: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """(V, 3) vertices of the asset posed by one frame's ``flame`` values, from the formulas above."""
    mesh = glb.json["meshes"][0]
    meta = mesh["extras"]["posetalk"]
    primitive = mesh["primitives"][0]
    skin = glb.json["skins"][0]
    nodes = glb.json["nodes"]
    names = [nodes[j]["name"] for j in skin["joints"]]
    rotations = {name: np.eye(3) for name in names}
    for k, name in enumerate(meta["pose_joints"]):
        rotations[name] = rodrigues(pose[3 * k : 3 * k + 3])
    weights = []
    for kind, index in meta["targets"]:
        if kind == "shape":
            weights.append(shape[index])
        elif kind == "exp":
            weights.append(exp[index])
        else:
            weights.append((rotations[kind] - np.eye(3))[index // 3, index % 3])
    weights = np.asarray(weights)
    assert len(weights) == len(primitive["targets"]) == len(mesh["extras"]["targetNames"])

    positions = glb.accessor(primitive["attributes"]["POSITION"]).astype(np.float64)
    for w, target in zip(weights, primitive["targets"], strict=True):
        positions += w * glb.accessor(target["POSITION"])
    joints = np.asarray(meta["joints"]) + np.einsum("t,tjc->jc", weights, np.asarray(meta["joint_deltas"]))

    node_joint = {node: j for j, node in enumerate(skin["joints"])}
    parent = {
        node_joint[child]: j for j, node in enumerate(skin["joints"]) for child in nodes[node].get("children", [])
    }
    world: dict[int, np.ndarray] = {}
    for j in sorted(range(len(names)), key=lambda j: depth(j, parent)):
        local = np.eye(4)
        local[:3, :3] = rotations[names[j]]
        local[:3, 3] = joints[j] - (joints[parent[j]] if j in parent else 0.0)
        world[j] = world[parent[j]] @ local if j in parent else local
    skinning = np.stack([world[j] @ translation(-joints[j]) for j in range(len(names))])

    slots = glb.accessor(primitive["attributes"]["JOINTS_0"]).astype(np.int64)
    influence = glb.accessor(primitive["attributes"]["WEIGHTS_0"]).astype(np.float64)
    homogeneous = np.concatenate([positions, np.ones((len(positions), 1))], axis=1)
    per_vertex = np.einsum("vs,vsrc->vrc", influence, skinning[slots])
    return np.einsum("vrc,vc->vr", per_vertex, homogeneous)[:, :3]


def depth(joint: int, parent: dict[int, int]) -> int:
    return 0 if joint not in parent else 1 + depth(parent[joint], parent)


def translation(offset: np.ndarray) -> np.ndarray:
    matrix = np.eye(4)
    matrix[:3, 3] = offset
    return matrix


def four_weights(model: FlameModel) -> FlameModel:
    """``model`` with each vertex bound to its four strongest joints (renormalised), as glTF stores it."""
    weights = model.lbs_weights.copy()
    weakest = np.argsort(weights, axis=1)[:, :-4]
    np.put_along_axis(weights, weakest, 0.0, axis=1)
    return replace(model, lbs_weights=weights / weights.sum(axis=1, keepdims=True))


def frames(n_frames: int, seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Random identities, expressions and global + jaw rotations of speech-like size."""
    rng = np.random.default_rng(seed)
    result = []
    for _ in range(n_frames):
        pose = np.concatenate([rng.normal(size=3) * 0.2, [rng.uniform(0.0, 0.35)], rng.normal(size=2) * 0.03])
        result.append((rng.normal(size=100), rng.normal(size=50) * 1.5, pose))
    return result


@pytest.mark.parametrize("head_name", ["built-in", "synthetic FLAME"])
def test_mesh_glb_posed_by_the_formulas_matches_the_engine(head_name: str) -> None:
    # The synthetic FLAME fixture binds vertices to all five joints and has pose correctives and
    # 100 identity components; glTF keeps four joints a vertex, so the engine poses the same
    # four-joint head here (the built-in head binds at most three and has no correctives).
    model = built_in_head().model if head_name == "built-in" else four_weights(synthetic_head())
    glb = Glb(fetch_glb(model))
    kinds = {kind for kind, _ in glb.json["meshes"][0]["extras"]["posetalk"]["targets"]}
    assert kinds == ({"shape", "exp"} if head_name == "built-in" else {"shape", "exp", "jaw"})
    for shape, exp, pose in frames(4, seed=7):
        expected = flame_vertices(model, shape[None], exp[None], pose[None])[0]
        posed = pose_asset(glb, shape, exp, pose)
        assert np.abs(posed - expected).max() < TOLERANCE_M
        # The pose moves the head by centimetres, so the comparison is not trivially small.
        assert np.abs(expected - model.v_template).max() > 100 * TOLERANCE_M


def test_mesh_glb_keeps_the_four_strongest_joints_of_a_vertex() -> None:
    model = synthetic_head()  # every vertex is bound to all five joints
    glb = Glb(fetch_glb(model))
    attributes = glb.json["meshes"][0]["primitives"][0]["attributes"]
    slots = glb.accessor(attributes["JOINTS_0"]).astype(np.int64)
    influence = glb.accessor(attributes["WEIGHTS_0"]).astype(np.float64)
    expected = four_weights(model).lbs_weights
    stored = np.zeros_like(expected)
    np.put_along_axis(stored, slots, influence, axis=1)
    assert np.abs(stored - expected).max() < 1e-6
    assert np.all(np.count_nonzero(stored, axis=1) == 4)
