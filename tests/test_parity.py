"""Parity with the published DiffPoseTalk implementation, per fixture folder
(see ../shared/fixtures/README.md). Select with ``-k parity``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch

from posetalk.backends.torch_backend import TorchBackend
from posetalk.checkpoint.arrays import load_shape, load_stats, load_style
from posetalk.checkpoint.models import load_denoiser, load_style_encoder
from posetalk.diffusion.guidance import Guidance
from posetalk.diffusion.noise import ReplayNoise
from posetalk.diffusion.schedules import make_schedule
from posetalk.diffusion.thresholding import DynamicThreshold
from posetalk.model.talking_head import DiffPoseTalk
from posetalk.pipeline.offline import SamplingOptions, generate, normalise_audio
from posetalk.pipeline.style import extract_style
from tests.conftest import fixture_id, official_fixture_dirs, require_fixture

STAGE_TOLERANCE = 1e-4
FINAL_TOLERANCE = 1e-3

FOLDERS = official_fixture_dirs()
by_folder = pytest.mark.parametrize("folder", FOLDERS, ids=[fixture_id(f) for f in FOLDERS])


@cache
def model_of(folder: Path) -> DiffPoseTalk:
    return load_denoiser(require_fixture(folder / "denoiser.pt"))


@cache
def expected_of(folder: Path) -> dict[str, np.ndarray]:
    with np.load(require_fixture(folder / "expected.npz")) as data:
        return {k: data[k] for k in data.files}


def meta_of(folder: Path) -> dict:
    return json.loads((folder / "meta.json").read_text())


def style_of(folder: Path) -> np.ndarray | None:
    return load_style(folder / "style.npy") if (folder / "style.npy").is_file() else None


@by_folder
def test_parity_schedule(folder: Path) -> None:
    config = model_of(folder).config
    schedule = make_schedule(config.diff_schedule, config.n_diff_steps)
    expected = expected_of(folder)
    for name in ("betas", "alphas", "alpha_bars", "sigmas_flex", "sigmas_inflex"):
        np.testing.assert_allclose(getattr(schedule, name).numpy(), expected[f"sched_{name}"], rtol=0, atol=1e-6, err_msg=name)


@by_folder
def test_parity_audio_features(folder: Path) -> None:
    model, expected = model_of(folder), expected_of(folder)
    n_motions = model.config.n_motions
    window = torch.from_numpy(expected["audio"][: expected["stage_audio_in"].shape[1]])
    np.testing.assert_allclose(normalise_audio(window).numpy(), expected["stage_audio_in"][0], rtol=0, atol=STAGE_TOLERANCE)
    with torch.no_grad():
        features = model.audio_features(torch.from_numpy(expected["stage_audio_in"]), n_motions)
    np.testing.assert_allclose(features.numpy(), expected["stage_audio_feat"], rtol=0, atol=STAGE_TOLERANCE)


@by_folder
def test_parity_denoiser_call(folder: Path) -> None:
    model, e = model_of(folder), expected_of(folder)
    batch = e["stage_dn_motion"].shape[0]
    t = {k: torch.from_numpy(v) for k, v in e.items() if k.startswith("stage_")}
    with torch.no_grad():
        out = model.denoising_net(
            t["stage_dn_motion"],
            t["stage_audio_feat"].expand(batch, -1, -1),
            t["stage_dn_person"],
            t["stage_dn_prev_motion"],
            t["stage_dn_prev_audio"],
            t["stage_dn_step"],
            t.get("stage_dn_indicator"),
        )
    np.testing.assert_allclose(out.numpy(), e["stage_dn_out"], rtol=0, atol=STAGE_TOLERANCE)


@by_folder
def test_parity_style_extraction(folder: Path) -> None:
    if not (require_fixture(folder) / "style_encoder.pt").is_file():
        pytest.skip(f"{folder.name} uses no style")
    with np.load(folder / "motion_clip.npz") as clip:
        exp, pose = clip["exp"], clip["pose"]
    encoder = load_style_encoder(folder / "style_encoder.pt")
    style = extract_style(encoder, load_stats(folder / "stats.npz"), exp, pose, meta_of(folder)["style_start_frame"])
    np.testing.assert_allclose(style, np.load(folder / "style.npy"), rtol=0, atol=STAGE_TOLERANCE)


@pytest.mark.parametrize("variant", ["plain", "dynthresh"])
@by_folder
def test_parity_offline_pipeline(folder: Path, variant: str) -> None:
    model, e, meta = model_of(folder), expected_of(folder), meta_of(folder)
    guidance = Guidance(tuple(meta["cfg_cond"]), tuple(meta["cfg_scale"]), meta["cfg_mode"])
    threshold = DynamicThreshold(*meta["dynthresh"]) if variant == "dynthresh" else None
    options = SamplingOptions(guidance, threshold, float(meta.get("flexibility", 0)), int(meta.get("n_repetitions", 1)))
    noise = ReplayNoise(torch.from_numpy(e[f"{variant}_noise"]))
    result = generate(
        TorchBackend(model, cache_memory=False), load_stats(folder / "stats.npz"), e["audio"], load_shape(folder / "shape.npy"), style_of(folder), options, noise
    )
    assert noise.remaining == 0, "the sampler drew fewer noise tensors than the reference"
    expected_exp, expected_pose = e[f"{variant}_exp"], e[f"{variant}_pose"]
    exp = result.exp[0] if expected_exp.ndim == 2 else result.exp
    pose = result.pose[0] if expected_pose.ndim == 2 else result.pose
    np.testing.assert_allclose(exp, expected_exp, rtol=0, atol=FINAL_TOLERANCE)
    np.testing.assert_allclose(pose, expected_pose, rtol=0, atol=FINAL_TOLERANCE)
