"""Model bundles: a folder of ONNX graphs described by ``manifest.json``, read without torch weights.

Layout (format version 1)::

    BUNDLE/manifest.json   format, format_version, opset, precision, the DenoiserConfig fields,
                           schedule {kind, steps}, samples_per_frame, max_audio_frames, graphs
                           {name: {file, precision, inputs, outputs}}, source_sha256 (of the checkpoint
                           file, or of the weights for a model without one), source_checkpoint (its
                           path when exported, or null), files {name: sha256}
    BUNDLE/arrays.npz      the learned embeddings (start_motion, start_audio[, null_audio][, null_style])
                           and the schedule's buffers (schedule_betas, ... as the checkpoint had them)
    BUNDLE/audio.onnx, memory.onnx, denoise.onnx
    BUNDLE/stats.npz, shape.npy[, style.npy][, styles/NAME.npy]
                           the model folder's other files, when the bundle was exported from one:
                           such a bundle is a model folder for ``--model-dir`` on the onnxruntime backend

Loading checks that every listed file exists and has its SHA-256, so a bundle that was modified,
truncated or mixed with another's files is refused with one line naming the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from posetalk.backends.base import LearnedEmbeddings
from posetalk.diffusion.schedules import Schedule
from posetalk.errors import UNREADABLE_ARRAY_FILE, PosetalkError
from posetalk.model.config import DenoiserConfig

FORMAT = "posetalk-onnx-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"
GRAPH_FILES = {"audio": "audio.onnx", "memory": "memory.onnx", "denoise": "denoise.onnx"}
EMBEDDINGS = ("start_motion", "start_audio", "null_audio", "null_style")
SCHEDULE_FIELDS = tuple(f.name for f in dataclasses.fields(Schedule))
Precision = Literal["fp32", "fp16"]


@dataclass(frozen=True)
class GraphEntry:
    file: Path
    precision: Precision
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Bundle:
    """A verified bundle: what a backend needs besides the ONNX files themselves."""

    folder: Path
    config: DenoiserConfig
    schedule: Schedule
    embeddings: LearnedEmbeddings
    graphs: dict[str, GraphEntry]
    samples_per_frame: int
    max_audio_frames: int
    precision: Precision
    opset: int
    source_sha256: str
    source_checkpoint: Path | None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def config_fields(config: DenoiserConfig) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


def write_arrays(folder: Path, schedule: Schedule, embeddings: LearnedEmbeddings) -> None:
    arrays = {name: getattr(embeddings, name).detach().cpu().float().numpy()
              for name in EMBEDDINGS if getattr(embeddings, name) is not None}
    arrays |= {f"schedule_{name}": getattr(schedule, name).cpu().numpy() for name in SCHEDULE_FIELDS}
    np.savez(folder / ARRAYS, **arrays)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest`` with the SHA-256 of every other file in ``folder`` (and its sub-folders) added."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != folder / MANIFEST)
    manifest = {**manifest, "files": {p.relative_to(folder).as_posix(): sha256(p) for p in files}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _field(manifest: dict[str, Any], path: Path, key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in manifest:
        raise PosetalkError(f"{path}: lacks the field {key!r}")
    if not isinstance(manifest[key], kind):
        raise PosetalkError(f"{path}: field {key!r} has the wrong type ({type(manifest[key]).__name__})")
    return manifest[key]


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise PosetalkError(f"{folder}: no such bundle folder")
    if not path.is_file():
        raise PosetalkError(f"{path}: missing; {folder} is not a model bundle (export one with `posetalk export onnx`)")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PosetalkError(f"{path}: unreadable or not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PosetalkError(f"{path}: not a {FORMAT} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise PosetalkError(f"{path}: format version {manifest.get('format_version')!r}; this engine reads {FORMAT_VERSION}")
    return manifest


def _verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    files = _field(manifest, folder / MANIFEST, "files", dict)
    for name, digest in files.items():
        parts = Path(name).parts
        if not parts or Path(name).is_absolute() or ".." in parts or name != Path(name).as_posix():
            raise PosetalkError(f"{folder / MANIFEST}: lists {name!r}, which is not a path inside the bundle")
        path = folder / name
        if not path.is_file():
            raise PosetalkError(f"{path}: missing from the bundle")
        if sha256(path) != digest:
            raise PosetalkError(f"{path}: SHA-256 differs from the manifest's; the file was modified or belongs to another bundle")


def _config(manifest: dict[str, Any], path: Path) -> DenoiserConfig:
    fields = _field(manifest, path, "config", dict)
    names = {f.name for f in dataclasses.fields(DenoiserConfig)}
    if set(fields) != names:
        wrong = sorted(names ^ set(fields))
        raise PosetalkError(f"{path}: config fields {wrong} are missing or unknown")
    return DenoiserConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


def _arrays(folder: Path, config: DenoiserConfig, listed: dict[str, str]) -> tuple[Schedule, LearnedEmbeddings]:
    path = folder / ARRAYS
    if ARRAYS not in listed:
        raise PosetalkError(f"{folder / MANIFEST}: does not list {ARRAYS}")
    try:
        with np.load(path) as data:
            arrays = {k: torch.from_numpy(data[k]) for k in data.files}
    except UNREADABLE_ARRAY_FILE as error:
        raise PosetalkError(f"{path}: unreadable ({error})") from None
    needed = [f"schedule_{n}" for n in SCHEDULE_FIELDS] + ["start_motion", "start_audio"]
    needed += ["null_audio"] * ("audio" in config.guiding_conditions) + ["null_style"] * ("style" in config.guiding_conditions)
    if missing := [k for k in needed if k not in arrays]:
        raise PosetalkError(f"{path}: lacks the arrays {missing}")
    schedule = Schedule(*(arrays[f"schedule_{n}"] for n in SCHEDULE_FIELDS))
    return schedule, LearnedEmbeddings(*(arrays.get(name) for name in EMBEDDINGS))


def _graphs(manifest: dict[str, Any], folder: Path) -> dict[str, GraphEntry]:
    path = folder / MANIFEST
    graphs = _field(manifest, path, "graphs", dict)
    if set(graphs) != set(GRAPH_FILES):
        raise PosetalkError(f"{path}: graphs {sorted(graphs)} are not {sorted(GRAPH_FILES)}")
    files = manifest["files"]
    entries = {}
    for name, entry in graphs.items():
        if not isinstance(entry, dict) or entry.get("file") not in files or entry.get("precision") not in ("fp32", "fp16"):
            raise PosetalkError(f"{path}: graph {name!r} names no listed file or no precision")
        entries[name] = GraphEntry(folder / entry["file"], entry["precision"], tuple(entry["inputs"]), tuple(entry["outputs"]))
    return entries


def load_bundle(folder: str | Path) -> Bundle:
    """Read and verify the bundle in ``folder``; any problem is one :class:`PosetalkError` line."""
    folder = Path(folder)
    manifest = _read_manifest(folder)
    path = folder / MANIFEST
    _verify_files(folder, manifest)
    config = _config(manifest, path)
    schedule, embeddings = _arrays(folder, config, manifest["files"])
    return Bundle(
        folder, config, schedule, embeddings, _graphs(manifest, folder),
        _field(manifest, path, "samples_per_frame", int), _field(manifest, path, "max_audio_frames", int),
        _field(manifest, path, "precision", str), _field(manifest, path, "opset", int),
        _field(manifest, path, "source_sha256", str),
        None if manifest.get("source_checkpoint") is None else Path(_field(manifest, path, "source_checkpoint", str)),
    )
