"""`posetalk eval`'s building blocks on the fixture model, real clips and a synthetic clip."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from posetalk.animator.segments import long_silences
from posetalk.animator.style import NEUTRAL, PRESETS
from posetalk.animator.visemes import BILABIALS
from posetalk.cli import main
from posetalk.errors import PosetalkError
from posetalk.evaluation.clips import real_evaluation_clips, spread
from posetalk.evaluation.latency import run_latency
from posetalk.evaluation.metrics import pearson, pooled_rate, ratio_deviation_loss, relative_loss, relative_threshold
from posetalk.evaluation.mouth import MIN_PAUSE_S, bilabial_closure_rate, closed_in_pauses_rate
from posetalk.evaluation.report import (
    HIGHER_IS_BETTER,
    NEARER_THE_REFERENCE,
    jsonable,
    lip_sync_section,
    model_styles,
    run_set,
    streaming_section,
    style_section,
)
from posetalk.evaluation.runs import STREAM_DEFAULTS, ModelRunner, reference_motion
from posetalk.evaluation.scores import MouthTrack, motion_track, score_method
from posetalk.evaluation.style_stats import PRESET_RULES
from posetalk.evaluation.tables import lip_sync_text, report_text, streaming_text, style_text
from posetalk.pipeline.model_files import load_model_files, resolve_model_files
from tests.animator_clips import SENTENCE, make_clip
from tests.conftest import REPO, SHARED_FIXTURES

BASE = SHARED_FIXTURES / "official" / "base"
SPEECH = REPO.parent / "shared" / "speech"
FPS = 25
DEFINITIONS = {"closure_threshold_mm": 1.5, "min_pause_s": MIN_PAUSE_S, "relative_threshold": "15 %"}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One CPU thread, as ``posetalk eval`` runs (two spinning teams on a shared machine crawl)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory) -> Path:
    """The fixture model with style presets: neutral is its style.npy, the others perturbed."""
    folder = tmp_path_factory.mktemp("model")
    for name in ("denoiser.pt", "stats.npz", "shape.npy", "style.npy"):
        shutil.copy(BASE / name, folder / name)
    (folder / "styles").mkdir()
    style = np.load(BASE / "style.npy")
    rng = np.random.default_rng(0)
    for name in PRESETS:
        offset = 0.0 if name == "neutral" else rng.normal(0.0, 1.0, style.shape)
        np.save(folder / "styles" / f"{name}.npy", (style + offset).astype(np.float32))
    return folder


@pytest.fixture(scope="module")
def runner(model_folder) -> ModelRunner:
    return ModelRunner(load_model_files(resolve_model_files(model_folder)))


@pytest.fixture(scope="module")
def synthetic():
    return make_clip(SENTENCE, tail=0.3)


@pytest.fixture(scope="module")
def real_clips():
    """The two shortest-spread clips of the 'cards' speaker (about 2 s each)."""
    if not SPEECH.is_dir():
        pytest.fail(f"{SPEECH} is missing: these tests need the shared real-speech set")
    return real_evaluation_clips(SPEECH, ["cards"], per_speaker=2)["cards"]


def test_pearson_and_relative_rules():
    x = np.sin(np.linspace(0, 6, 50))
    assert pearson(x, x) == pytest.approx(1.0) and pearson(-x, x) == pytest.approx(-1.0)
    assert np.isnan(pearson(np.full(50, 0.3), x)) and np.isnan(pearson(x[:1], x[:1]))
    assert relative_threshold(np.arange(101.0)) == pytest.approx(0.15 * 95)
    assert pooled_rate([(1.0, 3), (float("nan"), 0), (0.0, 1)]) == pytest.approx(0.75)
    assert np.isnan(pooled_rate([(float("nan"), 0)]))
    assert relative_loss(0.8, 1.0, higher_is_better=True) == pytest.approx(20.0)
    assert relative_loss(1.2, 1.0, higher_is_better=False) == pytest.approx(20.0)
    assert relative_loss(1.2, 1.0, higher_is_better=True) == pytest.approx(-20.0)
    # a ratio half the target is as far from it as twice the target; the nearer one gains
    assert ratio_deviation_loss(1.0, 4.0, target=2.0) == pytest.approx(0.0)
    assert ratio_deviation_loss(2.0, 4.0, target=2.0) == pytest.approx(-100 * np.log(2))
    assert ratio_deviation_loss(1.0, 2.0, target=2.0) == pytest.approx(100 * np.log(2))
    assert np.isnan(ratio_deviation_loss(1.0, float("nan"), 2.0)) and np.isnan(ratio_deviation_loss(0.0, 1.0, 2.0))
    assert spread(list(range(10)), 3) == [0, 4, 9] and spread([1, 2], 5) == [1, 2]


def test_reference_against_itself_and_constant_mouths(synthetic):
    motion = reference_motion(synthetic, NEUTRAL, np.zeros(100), FPS, seed=0)
    reference = motion_track(motion.exp, motion.pose, motion.shape)
    phones = synthetic.phones
    scores = score_method([reference], [reference], [phones], FPS)
    assert scores.opening_r == pytest.approx(1.0) and scores.width_r == pytest.approx(1.0)
    assert scores.opening_mae_mm == 0.0 and scores.width_mae_mm == 0.0
    assert scores.bilabials == sum(p.label in BILABIALS for p in phones)
    assert scores.pauses == len(long_silences(phones, len(reference) / FPS, MIN_PAUSE_S)) >= 2
    assert scores.bilabial_closure_mm == pytest.approx(bilabial_closure_rate(reference.opening, phones, FPS))
    assert scores.closed_pauses_mm == pytest.approx(closed_in_pauses_rate(reference.opening, phones, FPS))
    assert scores.vowel_ratio > 1  # the animator opens aa/ae wider than iy/uw

    n = len(reference)
    shut = score_method([MouthTrack(np.zeros(n), np.zeros(n), True)], [reference], [phones], FPS)
    assert shut.bilabial_closure_mm == 1.0 and shut.closed_pauses_mm == 1.0  # always below 1.5 mm
    assert shut.relative_threshold == 0.0 and shut.bilabial_closure_relative == 0.0  # nothing below 0
    assert np.isnan(shut.opening_r) and shut.opening_mae_mm == pytest.approx(reference.opening.mean())
    gaping = score_method([MouthTrack(np.full(n, 0.7), None, False)], [reference], [phones], FPS)
    assert gaping.opening_mae_mm is None and gaping.width_r is None and gaping.bilabial_closure_mm is None
    assert gaping.bilabial_closure_relative == 0.0 and gaping.closed_pauses_relative == 0.0
    assert gaping.vowel_ratio == pytest.approx(1.0)


def test_lip_sync_section_on_real_clips_with_peers(runner, real_clips):
    runs = run_set(runner, real_clips, runner.loaded.style, STREAM_DEFAULTS, seed=0, first_index=0, with_peers=True,
                   label="test")
    for (_, clip), raw, gated in zip(real_clips, runs.stream, runs.gated):
        n_frames = int(len(clip.audio) / 16000 * FPS)
        assert raw.exp.shape == gated.exp.shape == (n_frames, 50) and raw.pose.shape == (n_frames, 6)
        np.testing.assert_array_equal(raw.pose[:, :3], gated.pose[:, :3])  # the gate leaves the head alone
    section = lip_sync_section(runs, FPS, with_peers=True)
    assert list(section["methods"]) == ["reference", "model", "volume", "ulipsync"]
    assert section["units"] == {"reference": "mm", "model": "mm", "volume": "0-1", "ulipsync": "0-1"}
    methods = section["methods"]
    assert methods["reference"].opening_r == pytest.approx(1.0)
    for name in ("model", "volume", "ulipsync"):
        assert -1.0 <= methods[name].opening_r <= 1.0 and methods[name].relative_threshold > 0
        assert methods[name].frames == methods["reference"].frames == sum(len(m.exp) for m in runs.reference)
    assert methods["volume"].width_r is None and -1.0 <= methods["ulipsync"].width_r <= 1.0
    assert methods["model"].opening_mae_mm > 0 and methods["volume"].opening_mae_mm is None
    text = lip_sync_text("2. Real speech", jsonable(section), DEFINITIONS)
    assert all(name in text for name in methods) and "Comparable across all methods" in text


def test_style_and_streaming_sections(runner, synthetic):
    clips = [("synthetic", synthetic)]
    runs = run_set(runner, clips, model_styles(runner.loaded)["neutral"], STREAM_DEFAULTS, seed=0, first_index=0,
                   with_peers=False, label="test")
    styles = model_styles(runner.loaded)
    section = jsonable(style_section(runner, styles, runs, STREAM_DEFAULTS, seed=0, seconds=1.0))
    assert section["clips"] == 1 and set(section["presets"]) == set(PRESETS)
    expected = sum(len(rules) for rules in PRESET_RULES.values())
    assert len(section["checks"]) == 2 * expected
    # The rules describe what the animator's presets do: its own motion passes every one.
    assert all(c["passed"] for c in section["checks"] if c["source"] == "reference")
    assert "PASS" in style_text(section)
    assert style_section(runner, {}, runs, STREAM_DEFAULTS, 0, 1.0) == {
        "skipped": "the model folder has no styles/neutral.npy and presets "
                   f"({', '.join(PRESET_RULES)}) to compare"}

    streaming = jsonable(streaming_section(runner, {"synthetic": runs}, styles["neutral"], STREAM_DEFAULTS, seed=0,
                                           steps=3))
    result = streaming["synthetic"]
    assert set(result["scores"]) == {"reference", "offline", "stream", "stream_gated"}
    assert result["scores"]["reference"]["opening_r"] == pytest.approx(1.0)
    assert set(result["loss_pct"]) == {"stream", "stream_gated"}
    assert set(result["loss_pct"]["stream"]) == set(HIGHER_IS_BETTER) | set(NEARER_THE_REFERENCE)
    assert result["scores"]["stream_gated"] == jsonable(lip_sync_section(runs, FPS, False)["methods"]["model"])
    text = streaming_text(streaming)
    assert "stream + silence gate" in text and "dpmpp-2m x3 per window" in text
    json.dumps(streaming, allow_nan=False)


def test_offline_sampler_runs_whole_windows(runner, synthetic):
    audio = synthetic.audio
    n_frames = int(len(audio) / 16000 * FPS)
    published = runner.offline(audio, runner.loaded.style, None, seed=1)
    few_steps = runner.offline(audio, runner.loaded.style, 3, seed=1)
    assert published.exp.shape == few_steps.exp.shape == (n_frames, 50)
    assert np.all(np.isfinite(few_steps.exp)) and not np.allclose(published.exp, few_steps.exp)
    again = runner.offline(audio, runner.loaded.style, 3, seed=1)
    np.testing.assert_array_equal(few_steps.exp, again.exp)


def test_report_text_covers_every_section(runner, synthetic):
    runs = run_set(runner, [("synthetic", synthetic)], None, STREAM_DEFAULTS, 0, 0, with_peers=True, label="test")
    lip_sync = lip_sync_section(runs, FPS, with_peers=True)
    data = jsonable({
        "model": "fixture", "definitions": DEFINITIONS, "seconds": {"tts": 1.0, "real": 2.0},
        "sections": {
            "tts": lip_sync, "real": {**lip_sync, "speakers": {"synthetic": 1}},
            "style": {"skipped": "no presets"},
            "streaming": streaming_section(runner, {"tts": runs}, None, STREAM_DEFAULTS, 0, 2),
            "latency": {"error": "posetalk bench failed: no model", "load_average": 0.5, "cores": 2},
        },
    })
    json.dumps(data, allow_nan=False)
    text = report_text(data)
    for title in ("1. Held-out TTS voices", "2. Real speech", "3. Style control", "4. Streaming vs offline",
                  "5. Latency", "skipped: no presets", "posetalk bench failed", "total 3 s"):
        assert title in text


def test_bad_input_is_one_line(tmp_path, capsys):
    with pytest.raises(PosetalkError, match="no such speech folder"):
        real_evaluation_clips(tmp_path / "nowhere", ["cards"], None)
    with pytest.raises(PosetalkError, match="nobody"):
        real_evaluation_clips(SPEECH, ["nobody"], None)
    assert main(["eval", "--model-dir", str(tmp_path / "missing")]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("posetalk: error:") and "no such model folder" in error and "\n" not in error
    latency = run_latency(tmp_path / "missing")
    assert latency["error"].startswith("posetalk bench failed:") and "no such model folder" in latency["error"]
    assert latency["cores"] >= 1 and latency["load_average"] >= 0


def test_eval_help_does_not_import_torch():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "posetalk", "eval", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--offline-steps ddpm|N" in done.stdout and "--speakers" in done.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "posetalk.evaluation.options" in imported  # eval's own (importlib's loads are not timed)
    assert not {name.split(".")[0] for name in imported} & {"torch", "numpy", "transformers"}
