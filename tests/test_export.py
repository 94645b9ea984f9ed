"""ONNX bundles: the export of the fixture and the default model, their graphs against PyTorch,
whole offline clips and streams on ONNX Runtime against torch, the bundle's integrity checks and
``posetalk export check`` as a command. Real ONNX Runtime sessions throughout (CPU provider)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import soundfile
import torch

from posetalk.audio.ring import AudioRingBuffer
from posetalk.backends.onnx_cache import cached_bundle
from posetalk.backends.onnxruntime_backend import OnnxRuntimeBackend
from posetalk.backends.torch_backend import TorchBackend
from posetalk.checkpoint.arrays import load_shape, load_stats, load_style
from posetalk.checkpoint.models import load_denoiser
from posetalk.diffusion.guidance import Guidance
from posetalk.diffusion.noise import ReplayNoise, SeededNoise
from posetalk.errors import PosetalkError
from posetalk.export.bundle import MANIFEST, load_bundle
from posetalk.export.check import TOLERANCE, check_bundle, speech_chunks
from posetalk.export.write import export_bundle
from posetalk.pipeline.model_files import default_model_dir
from posetalk.pipeline.offline import SamplingOptions, generate
from posetalk.stream.config import StreamConfig
from posetalk.stream.generator import StreamGenerator
from tests.conftest import OFFICIAL_BASE, REPO, require_fixture
from tests.onnx_support import THREADS, session_backend

FIXTURE = OFFICIAL_BASE
END_TO_END_TOLERANCE = 1e-4
"""Largest deviation of whole clips and streams (normalised-coefficient units) on ONNX Runtime from torch."""


@pytest.fixture(scope="module")
def fixture_model():
    return load_denoiser(require_fixture(FIXTURE / "denoiser.pt"))


@pytest.fixture(scope="module")
def fixture_backend(fixture_model, tmp_path_factory) -> OnnxRuntimeBackend:
    return session_backend(tmp_path_factory, fixture_model)


@pytest.fixture
def copied_bundle(fixture_backend, tmp_path) -> Path:
    """A copy of the fixture's bundle that a test may damage."""
    return Path(shutil.copytree(fixture_backend.bundle.folder, tmp_path / "bundle"))


def test_graphs_are_valid_onnx_with_dynamic_batch(fixture_backend) -> None:
    for entry in fixture_backend.bundle.graphs.values():
        graph = onnx.load(str(entry.file), load_external_data=False)
        assert max(o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")) >= 17
        batch = {i.type.tensor_type.shape.dim[0].dim_param for i in graph.graph.input}
        assert len(batch) == 1 and "" not in batch, f"{entry.file.name}: inputs share no dynamic batch dimension"


def test_fixture_graphs_match_torch(fixture_model, fixture_backend) -> None:
    deviations = check_bundle(fixture_backend, fixture_model)
    assert {name: d.max_abs_diff for name, d in deviations.items() if d.max_abs_diff > TOLERANCE["fp32"]} == {}


def test_default_model_graphs_match_torch(tmp_path_factory) -> None:
    """The shipped Whisper model: the log-mel front-end, the encoder, the memory and the denoiser."""
    model = load_denoiser(default_model_dir() / "denoiser.pt")
    deviations = check_bundle(session_backend(tmp_path_factory, model), model)
    assert {name: d.max_abs_diff for name, d in deviations.items() if d.max_abs_diff > TOLERANCE["fp32"]} == {}


def test_fp16_bundle_is_within_its_looser_bound(fixture_model, tmp_path) -> None:
    bundle = export_bundle(fixture_model, tmp_path / "fp16", "0" * 64, "fp16")
    assert bundle.precision == "fp16" and bundle.graphs["denoise"].precision == "fp16"
    deviations = check_bundle(OnnxRuntimeBackend(bundle, threads=THREADS), fixture_model)
    print({name: f"{d.max_abs_diff:.2e}" for name, d in deviations.items()})
    assert deviations["audio"].max_abs_diff <= TOLERANCE["fp32"]
    assert max(d.max_abs_diff for d in deviations.values()) <= TOLERANCE["fp16"]


@pytest.mark.parametrize("n_frames", [7, 36, 61])
def test_audio_graph_takes_every_chunk_length_and_batch(fixture_model, fixture_backend, n_frames) -> None:
    audio = speech_chunks(n_frames, fixture_backend.bundle.samples_per_frame, batch=2)
    with torch.no_grad():
        expected = fixture_model.audio_features(audio, n_frames)
    torch.testing.assert_close(fixture_backend.audio_features(audio, n_frames), expected, rtol=0, atol=TOLERANCE["fp32"])


def test_offline_clip_on_onnxruntime_equals_torch(fixture_model, fixture_backend) -> None:
    """The published sampler over the fixture's clip with its recorded noise, both guidance branches."""
    meta = json.loads((FIXTURE / "meta.json").read_text())
    options = SamplingOptions(Guidance(tuple(meta["cfg_cond"]), tuple(meta["cfg_scale"]), meta["cfg_mode"]))
    with np.load(FIXTURE / "expected.npz") as expected:
        audio, noise = expected["audio"], torch.from_numpy(expected["plain_noise"])
    stats, shape, style = load_stats(FIXTURE / "stats.npz"), load_shape(FIXTURE / "shape.npy"), load_style(FIXTURE / "style.npy")
    results = [generate(backend, stats, audio, shape, style, options, ReplayNoise(noise))
               for backend in (TorchBackend(fixture_model, cache_memory=False), fixture_backend)]
    deviation = max(np.abs(results[0].exp - results[1].exp).max(), np.abs(results[0].pose - results[1].pose).max())
    print(f"offline clip: max |onnxruntime - torch| = {deviation:.2e}")
    assert deviation <= END_TO_END_TOLERANCE


def test_stream_on_onnxruntime_equals_torch(fixture_model, fixture_backend) -> None:
    """Two-frame ticks with the streaming defaults, the same seeded noise on both backends."""
    with np.load(FIXTURE / "expected.npz") as expected:
        audio = expected["audio"][: 16000 * 2]
    stats, shape = load_stats(FIXTURE / "stats.npz"), load_shape(FIXTURE / "shape.npy")
    frames = []
    for backend in (TorchBackend(fixture_model), fixture_backend):
        ring = AudioRingBuffer()
        ring.write(audio)
        ring.close()
        generator = StreamGenerator(backend, stats, StreamConfig(frames_per_tick=2))
        state, exps = generator.start(shape, None, SeededNoise(0)), []
        while (plan := generator.plan(state, ring.end)) is not None:
            out, state = generator.tick(ring, state, plan)
            exps.append(np.concatenate([out.exp, out.pose], axis=1))
        frames.append(np.concatenate(exps))
    assert frames[0].shape == frames[1].shape and frames[0].shape[0] >= 45
    deviation = np.abs(frames[0] - frames[1]).max()
    print(f"stream: max |onnxruntime - torch| = {deviation:.2e} over {frames[0].shape[0]} frames")
    assert deviation <= END_TO_END_TOLERANCE


def test_cache_reuses_the_exported_bundle(fixture_model, fixture_backend) -> None:
    folder = fixture_backend.bundle.folder
    before = (folder / MANIFEST).stat().st_mtime_ns
    assert cached_bundle(fixture_model, folder.parent).folder == folder
    assert (folder / MANIFEST).stat().st_mtime_ns == before


def _one_line_error(folder: Path, *words: str) -> None:
    with pytest.raises(PosetalkError) as raised:
        load_bundle(folder)
    message = str(raised.value)
    assert "\n" not in message and all(w in message for w in words), message


def test_tampered_graph_is_refused(copied_bundle) -> None:
    folder = copied_bundle
    with open(folder / "denoise.onnx", "r+b") as file:
        file.seek(1000)
        byte = file.read(1)
        file.seek(1000)
        file.write(bytes([byte[0] ^ 1]))
    _one_line_error(folder, "denoise.onnx", "SHA-256")


def test_missing_file_is_refused(copied_bundle) -> None:
    folder = copied_bundle
    (folder / "memory.onnx").unlink()
    _one_line_error(folder, "memory.onnx", "missing")


@pytest.mark.parametrize("edit", ["not json", "version", "config"])
def test_corrupt_manifest_is_refused(copied_bundle, edit) -> None:
    folder = copied_bundle
    path = folder / MANIFEST
    manifest = json.loads(path.read_text())
    if edit == "not json":
        path.write_text(path.read_text()[:-20])
    elif edit == "version":
        path.write_text(json.dumps({**manifest, "format_version": 99}))
    else:
        del manifest["config"]["n_heads"]
        path.write_text(json.dumps(manifest))
    _one_line_error(folder, MANIFEST)


def test_cli_export_check_reports_every_graph(fixture_backend) -> None:
    checkpoint = require_fixture(FIXTURE / "denoiser.pt")
    command = ["export", "check", str(fixture_backend.bundle.folder), "--checkpoint", str(checkpoint), "--json"]
    result = subprocess.run([sys.executable, "-m", "posetalk", *command],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report["models"]) == {"audio", "memory", "denoise"} and report["passed"]
    assert all(m["max_abs_diff"] <= TOLERANCE["fp32"] for m in report["models"].values())


def _posetalk(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "posetalk", *map(str, arguments)],
                          capture_output=True, text=True, timeout=300, cwd=REPO)


@pytest.fixture(scope="module")
def model_folder_bundle(tmp_path_factory) -> Path:
    """The fixture's model folder exported by the command line: graphs, statistics, identity and style."""
    folder = tmp_path_factory.mktemp("folder_bundle") / "bundle"
    result = _posetalk("export", "onnx", "--model-dir", require_fixture(FIXTURE), "-o", folder)
    assert result.returncode == 0, result.stderr
    return folder


def test_a_bundle_of_a_model_folder_is_a_model_folder(model_folder_bundle, tmp_path) -> None:
    """``--model-dir BUNDLE`` samples on ONNX Runtime what ``--model-dir FOLDER`` samples on torch."""
    manifest = json.loads((model_folder_bundle / MANIFEST).read_text())
    companions = {"stats.npz", "shape.npy"} | ({"style.npy"} if (FIXTURE / "style.npy").is_file() else set())
    assert companions <= set(manifest["files"])
    speech = tmp_path / "speech.wav"
    with np.load(FIXTURE / "expected.npz") as expected:
        soundfile.write(speech, expected["audio"], 16000)
    outputs = {}
    for name, folder in (("torch", FIXTURE), ("onnxruntime", model_folder_bundle)):
        outputs[name] = tmp_path / f"{name}.npz"
        result = _posetalk("infer", speech, "--model-dir", folder, "--seed", "3", "--steps", "4", "-o", outputs[name])
        assert result.returncode == 0, result.stderr
    with np.load(outputs["torch"]) as torch_run, np.load(outputs["onnxruntime"]) as onnx_run:
        for key in ("exp", "pose"):
            np.testing.assert_allclose(onnx_run[key], torch_run[key], rtol=0, atol=END_TO_END_TOLERANCE)


def test_a_bundle_refuses_the_torch_backend_and_a_tampered_statistics_file(model_folder_bundle, tmp_path) -> None:
    speech = tmp_path / "speech.wav"
    soundfile.write(speech, np.zeros(16000, np.float32), 16000)
    result = _posetalk("infer", speech, "--model-dir", model_folder_bundle, "--backend", "torch", "-o", tmp_path / "a.npz")
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0
    assert "onnxruntime" in result.stderr and "Traceback" not in result.stderr
    tampered = Path(shutil.copytree(model_folder_bundle, tmp_path / "tampered"))
    with np.load(tampered / "stats.npz") as stats:
        arrays = {k: stats[k] for k in stats.files}
    np.savez(tampered / "stats.npz", **{**arrays, "exp_std": arrays["exp_std"] * 2})
    result = _posetalk("infer", speech, "--model-dir", tampered, "-o", tmp_path / "b.npz")
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0, result.stderr
    assert "stats.npz" in result.stderr and "SHA-256" in result.stderr
