"""Export a loaded DiffPoseTalk into a bundle folder (see :mod:`posetalk.export.bundle`)."""

from __future__ import annotations

import copy
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import torch

from posetalk.audio.chunks import SAMPLE_RATE
from posetalk.export.bundle import (
    FORMAT, FORMAT_VERSION, GRAPH_FILES, Bundle, Precision, config_fields, load_bundle, write_arrays, write_manifest,
)
from posetalk.export.graphs import GraphSpec, graph_specs, max_audio_frames, samples_per_frame
from posetalk.export.onnx_file import OPSET, export_graph
from posetalk.model.talking_head import DiffPoseTalk


def bundle_specs(model: DiffPoseTalk, precision: Precision) -> dict[str, GraphSpec]:
    """The graphs to export: fp16 casts the memory and denoiser graphs; the audio graph stays
    fp32 (Whisper's log-mel front-end holds float32 filters and a log that fp16 would clip)."""
    specs = graph_specs(model)
    if precision == "fp16":
        half = graph_specs(copy.deepcopy(model).half(), torch.float16)
        specs |= {"memory": half["memory"], "denoise": half["denoise"]}
    return specs


def export_bundle(model: DiffPoseTalk, folder: str | Path, source_sha256: str, precision: Precision = "fp32",
                  checkpoint: Path | None = None, companions: Mapping[str, Path] | None = None) -> Bundle:
    """Export ``model`` (on the CPU, in eval mode) to a new bundle at ``folder``; returns it, loaded.

    ``source_sha256`` is the SHA-256 of ``checkpoint``, the file the model was loaded from (or of
    its weights, :func:`posetalk.backends.onnx_cache.weights_sha256`, for a model without one).
    ``companions`` maps paths inside the bundle to files copied there (a model folder's
    statistics, identity and style presets), listed and hashed in the manifest like the graphs.

    The folder is written beside its destination and renamed into place when complete, so a
    failed export leaves nothing behind.
    """
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"{folder} exists; choose a new bundle folder")
    model = model.cpu().eval()
    with torch.no_grad():  # first use on real tensors: see export_graph
        model.audio_features(torch.zeros(1, 2 * samples_per_frame(model.config.fps)), 2)
    specs = bundle_specs(model, precision)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, spec in specs.items():
            export_graph(spec, staging / GRAPH_FILES[name])
        write_arrays(staging, model.schedule, model.embeddings)
        for name, source in (companions or {}).items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staging / name)
        config = model.config
        write_manifest(staging, {
            "format": FORMAT, "format_version": FORMAT_VERSION, "opset": OPSET, "precision": precision,
            "config": config_fields(config),
            "schedule": {"kind": config.diff_schedule, "steps": model.schedule.num_steps},
            "sample_rate": SAMPLE_RATE, "samples_per_frame": samples_per_frame(config.fps),
            "max_audio_frames": max_audio_frames(model),
            "graphs": {name: {"file": GRAPH_FILES[name], "precision": "fp32" if name == "audio" else precision,
                              "inputs": list(spec.inputs), "outputs": list(spec.outputs)} for name, spec in specs.items()},
            "source_sha256": source_sha256, "source_checkpoint": None if checkpoint is None else str(checkpoint.resolve()),
        })
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return load_bundle(folder)
