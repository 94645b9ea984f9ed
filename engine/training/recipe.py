"""The default model's recipe, from a corpus folder to a model folder, in resumable phases.

Phases (each saved under ``OUT/work/`` and skipped when already done):
1. sequences: corpus clips (short ones joined), augmented copies, animations for personas;
   coefficient statistics;
2. features: window samples cut as the stream cuts them, encoded once by frozen Whisper;
3. style encoder: contrastive training;
4. denoiser: DiffPoseTalk's losses on the cached features;
5. export: ``denoiser.pt``, ``style_encoder.pt``, ``stats.npz``, ``shape.npy``, the style presets
   under ``styles/``, the licence notice and the loss curves.

With ``init`` (a model folder this recipe wrote), the run fine-tunes that model: its style encoder
is kept (phase 3 is skipped) and the denoiser starts from its weights; the coefficient statistics
are the corpus's, as always (the same seeded corpus gives them to within 1 %).
"""

from __future__ import annotations

import json
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from posetalk.audio.chunks import context_frames
from posetalk.checkpoint.arrays import CoefficientStats, load_stats
from posetalk.checkpoint.models import load_denoiser, load_style_encoder
from posetalk.corpus.store import read_corpus
from posetalk.diffusion.schedules import make_schedule
from posetalk.files import atomic_write
from posetalk.model.config import denoiser_config_from_args, style_encoder_config_from_args
from posetalk.model.style_encoder import StyleEncoder
from posetalk.model.talking_head import DiffPoseTalk
from posetalk.training.dataset import TrainingSet, coefficient_stats, motion_window
from posetalk.training.features import WindowPlanOptions, WindowSample, encode_windows, plan_windows
from posetalk.training.loops import LoopOptions, train_denoiser, train_style_encoder
from posetalk.training.objectives import LossWeights
from posetalk.training.rig_loss import built_in_mouth_vertices
from posetalk.training.sequences import animate_sequences, group_short_clips, make_personas
from posetalk.training.architecture import DENOISER_ARGS, STYLE_ARGS
from posetalk.training.whisper_weights import WHISPER_LICENCE, packaged_whisper_encoder

@dataclass(frozen=True)
class RecipeOptions:
    corpus: Path
    out: Path
    seed: int = 0
    personas: int = 40
    augmented_copies: int = 1
    augmented_copies_real: int = 3
    animations_per_sequence: int = 3
    style_steps: int = 1500
    denoiser_steps: int = 20000
    denoiser_minutes: float | None = None
    batch_size: int = 48
    learning_rate: float = 3e-4
    lip_gap_weight: float = LossWeights().lip_gap
    head_weight: float = LossWeights().head
    threads: int | None = None
    init: Path | None = None


def _sequences_phase(options: RecipeOptions):
    rng = np.random.default_rng(options.seed)
    clips = [clip for _, clip in read_corpus(options.corpus)]
    clips = group_short_clips(clips, rng)
    personas = make_personas(options.personas, rng)
    with tqdm(total=len(clips), desc="animating", unit="clip") as bar:
        sequences = animate_sequences(clips, personas, options.augmented_copies, options.augmented_copies_real,
                                      options.animations_per_sequence,
                                      DENOISER_ARGS["fps"], rng, on_clip=bar.update)
    return sequences, personas


def prepare(options: RecipeOptions) -> tuple[TrainingSet, CoefficientStats, list[str]]:
    """Phases 1 and 2 (or their saved results): the training set, its statistics and the persona names."""
    work = options.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    saved = work / "training_set.pt"
    if saved.is_file():
        data = torch.load(saved, weights_only=True)
        features = np.load(work / "features.npy", mmap_mode="r")
        windows = [WindowSample(*map(int, row)) for row in data["windows"].tolist()]
        motions = [[m.numpy() for m in seq] for seq in data["motions"]]
        training = TrainingSet(motions, [tuple(p) for p in data["persona_of"]], data["shapes"].numpy(), windows,
                               features)
        return training, load_stats(work / "stats.npz"), list(data["persona_names"])
    sequences, personas = _sequences_phase(options)
    stats = coefficient_stats(sequences, personas)
    np.savez(work / "stats.npz", **{k: getattr(stats, k) for k in stats.__dataclass_fields__})
    fps, n_motions, n_prev = DENOISER_ARGS["fps"], DENOISER_ARGS["n_motions"], DENOISER_ARGS["n_prev_motions"]
    windows = plan_windows([len(s.audio) for s in sequences], n_motions, fps, WindowPlanOptions(),
                           np.random.default_rng(options.seed + 1))
    encoder = whisper_encoder()
    n_context = context_frames(DENOISER_ARGS["audio_context_ms"], n_prev, fps)
    with tqdm(total=len(windows), desc="speech features", unit="window") as bar:
        features = encode_windows(encoder, [s.audio for s in sequences], windows, n_prev, n_motions, n_context, fps,
                                  on_batch=bar.update)
    np.save(work / "features.npy", features)
    training = TrainingSet.build(sequences, personas, stats, windows, features)
    with atomic_write(saved) as stream:  # written last and whole: its presence means the phase is done
        torch.save({
            "motions": [[torch.from_numpy(m) for m in seq] for seq in training.motions],
            "persona_of": [list(p) for p in training.persona_of], "shapes": torch.from_numpy(training.shapes),
            "windows": torch.tensor([[w.sequence, w.first, w.heard_end, w.n_real] for w in windows]),
            "persona_names": [p.name for p in personas],
        }, stream)
    return training, stats, [p.name for p in personas]


@lru_cache(maxsize=1)
def whisper_encoder() -> torch.nn.Module:
    """The frozen Whisper encoder converted (once per process) from the training extra's CTranslate2
    model; the feature cache and the model share it."""
    return packaged_whisper_encoder()


def build_models() -> tuple[DiffPoseTalk, StyleEncoder]:
    """The default architecture, with Whisper's weights in its audio encoder."""
    config = denoiser_config_from_args(DENOISER_ARGS)
    model = DiffPoseTalk(config, whisper_encoder(), make_schedule(config.diff_schedule, config.n_diff_steps))
    with torch.no_grad():  # the learned start prefix and null embeddings start near the data, not at 0
        for name in ("start_motion_feat", "start_audio_feat", "null_style_feat", "null_audio_feat"):
            getattr(model, name).normal_(0.0, 0.02)
    return model, StyleEncoder(style_encoder_config_from_args(STYLE_ARGS))


def style_presets(style_encoder: StyleEncoder, data: TrainingSet, persona_names: list[str],
                  presets: list[str], windows_per_preset: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    """Each preset's style feature: the mean over windows of the preset persona's animations."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in presets:
        p = persona_names.index(name)
        owned = data.animations_of[p]
        picks = [owned[int(i)] for i in rng.integers(0, len(owned), size=windows_per_preset)]
        clips = np.stack([motion_window(data.motions[s][a], style_encoder.config.n_motions, rng) for s, a in picks])
        with torch.no_grad():
            out[name] = style_encoder(torch.from_numpy(clips)).mean(0).numpy().astype(np.float32)
    return out


def plot_losses(histories: dict[str, list[dict[str, float]]], path: Path) -> None:
    """Loss curves (moving average over 50 steps) of each loop, one panel each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(histories), figsize=(6 * len(histories), 4))
    for ax, (name, history) in zip(np.atleast_1d(axes), histories.items(), strict=True):
        for key in [k for k in history[0] if k != "step"] if history else []:
            values = np.array([h[key] for h in history])
            window = min(50, len(values))
            ax.plot(np.convolve(values, np.ones(window) / window, mode="valid"), label=key)
        ax.set_title(name), ax.set_xlabel("step"), ax.set_yscale("log"), ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run_recipe(options: RecipeOptions) -> Path:
    """All phases; returns the model folder (``options.out``)."""
    from posetalk.animator.style import PRESETS

    if options.threads:
        torch.set_num_threads(options.threads)
    data, stats, persona_names = prepare(options)
    work = options.out / "work"
    if options.init:
        model = load_denoiser(options.init / "denoiser.pt")
        style_encoder = load_style_encoder(options.init / "style_encoder.pt")
    else:
        model, style_encoder = build_models()
    style_path = work / "style_encoder.pt"
    style_steps = 0 if options.init else options.style_steps
    style_history = train_style_encoder(style_encoder, STYLE_ARGS, data, style_path,
                                        LoopOptions(style_steps, None, 128, 1e-3, options.seed),
                                        head_style_weight=options.head_weight)
    denoiser_path = work / "denoiser.pt"
    denoiser_history = train_denoiser(model, DENOISER_ARGS, style_encoder, data, stats, built_in_mouth_vertices(),
                                      denoiser_path,
                                      LoopOptions(options.denoiser_steps, options.denoiser_minutes,
                                                  options.batch_size, options.learning_rate, options.seed),
                                      LossWeights(lip_gap=options.lip_gap_weight, head=options.head_weight))
    out = options.out
    for name in ("denoiser.pt", "style_encoder.pt", "stats.npz"):
        with atomic_write(out / name) as stream:
            stream.write((work / name).read_bytes())
    np.save(out / "shape.npy", np.zeros(100, np.float32))
    presets = style_presets(style_encoder, data, persona_names, list(PRESETS))
    (out / "styles").mkdir(exist_ok=True)
    for name, feature in presets.items():
        np.save(out / "styles" / f"{name}.npy", feature)
    np.save(out / "style.npy", presets["neutral"])
    (out / "LICENSE-whisper.txt").write_text(WHISPER_LICENCE + "\n")
    plot_losses({"style encoder": style_history, "denoiser": denoiser_history}, out / "losses.png")
    summary = {"steps": {"style": len(style_history), "denoiser": len(denoiser_history)},
               "windows": len(data.windows), "sequences": len(data.motions),
               "final_loss": {k: float(np.mean([h[k] for h in denoiser_history[-200:]]))
                              for k in (denoiser_history[-1] if denoiser_history else {}) if k != "step"}}
    (out / "training.json").write_text(json.dumps(summary, indent=1))
    return out
