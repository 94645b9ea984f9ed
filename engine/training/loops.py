"""The two training loops: the style encoder (contrastive), then the denoiser (with the frozen
style encoder). Each runs for a step count or a time budget, shows progress, checkpoints every
few minutes in the published layout and resumes from its last checkpoint."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.diffusion.samplers import spaced_steps
from posetalk.model.style_encoder import StyleEncoder
from posetalk.model.talking_head import DiffPoseTalk
from posetalk.training.checkpoints import load_resume, save_published, save_resume
from posetalk.training.dataset import TrainingSet, denoiser_batch, motion_window, style_clips
from posetalk.training.objectives import (
    LossWeights,
    denoiser_losses,
    frame_weights,
    persona_head_statistics,
    supervised_contrastive,
)
from posetalk.training.rig_loss import MouthVertices

CHECKPOINT_EVERY_S = 120.0
FEW_STEP_GRIDS = (1, 2, 4, 8)
"""Step counts whose timesteps get extra training (half of all draws), so few-step sampling is good."""


@dataclass(frozen=True)
class LoopOptions:
    steps: int
    minutes: float | None
    batch_size: int
    learning_rate: float
    seed: int


def _lr(step: int, options: LoopOptions, warmup: int = 200) -> float:
    """Linear warm-up, then cosine decay to a tenth over ``options.steps``."""
    if step < warmup:
        return options.learning_rate * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, options.steps - warmup))
    return options.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _run(name: str, path: Path, module: torch.nn.Module, params: list[torch.nn.Parameter], options: LoopOptions,
         step_fn: Callable[[np.random.Generator], dict[str, torch.Tensor]], save: Callable[[int], None],
         ) -> list[dict[str, float]]:
    optimiser = torch.optim.AdamW(params, lr=options.learning_rate, weight_decay=0.01)
    rng = np.random.default_rng(options.seed)
    step = 0
    history: list[dict[str, float]] = []
    resume = load_resume(path)
    if resume is not None:
        module.load_state_dict(resume["model"])
        optimiser.load_state_dict(resume["optimiser"])
        step, history = resume["step"], list(resume["history"])
        rng = np.random.default_rng([options.seed, step])
        torch.manual_seed(options.seed + step)
    else:
        torch.manual_seed(options.seed)
    deadline = None if options.minutes is None else time.monotonic() + options.minutes * 60
    last_save = time.monotonic()
    module.train()
    with tqdm(total=options.steps, initial=step, desc=name, unit="step") as bar:
        while step < options.steps and (deadline is None or time.monotonic() < deadline):
            for group in optimiser.param_groups:
                group["lr"] = _lr(step, options)
            losses = step_fn(rng)
            optimiser.zero_grad(set_to_none=True)
            losses["total"].backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            step += 1
            history.append({"step": step, **{k: float(v.detach()) for k, v in losses.items()}})
            bar.update()
            bar.set_postfix(loss=f"{history[-1]['total']:.4f}")
            if time.monotonic() - last_save > CHECKPOINT_EVERY_S:
                save(step)
                save_resume(path, step, module, optimiser, {"history": history})
                last_save = time.monotonic()
    module.eval()
    save(step)
    save_resume(path, step, module, optimiser, {"history": history})
    return history


def train_style_encoder(encoder: StyleEncoder, args: dict[str, Any], data: TrainingSet, path: Path,
                        options: LoopOptions, personas_per_batch: int = 16,
                        head_style_weight: float = 1.0) -> list[dict[str, float]]:
    """Contrastive training of the style encoder on windows of the personas' animations, with a
    linear read-out of the feature trained to predict each persona's head statistics
    (:func:`~posetalk.training.objectives.persona_head_statistics`; the read-out is not kept)."""
    present = np.array(sorted({p for owners in data.persona_of for p in owners}))
    head_targets = torch.from_numpy(persona_head_statistics(data.motions, data.persona_of, len(data.shapes)))
    trained = torch.nn.ModuleDict({"encoder": encoder,
                                   "head_read_out": torch.nn.Linear(encoder.config.feature_dim, head_targets.shape[1])})

    def step_fn(rng: np.random.Generator) -> dict[str, torch.Tensor]:
        chosen = rng.choice(present, size=min(personas_per_batch, len(present)), replace=False)
        clips, labels = style_clips(data, encoder.config.n_motions, chosen, options.batch_size // len(chosen), rng)
        features = encoder(clips)
        contrastive = supervised_contrastive(features, labels)
        head_style = F.mse_loss(trained["head_read_out"](features), head_targets[labels])
        return {"total": contrastive + head_style_weight * head_style, "contrastive": contrastive,
                "head_style": head_style}

    def save(step: int) -> None:
        save_published(path, args, "encoder", encoder.encoder.state_dict(), step)

    return _run("style encoder", path, trained, list(trained.parameters()), options, step_fn, save)


def _timesteps(batch: int, num_steps: int, rng: np.random.Generator) -> torch.Tensor:
    """Half uniform over 1..T, half from the few-step samplers' grids."""
    uniform = rng.integers(1, num_steps + 1, size=batch)
    grids = np.concatenate([spaced_steps(num_steps, n) for n in FEW_STEP_GRIDS])
    few = grids[rng.integers(0, len(grids), size=batch)]
    return torch.from_numpy(np.where(rng.random(batch) < 0.5, uniform, few)).long()


def _prefix(start: torch.Tensor, known: torch.Tensor, have: torch.Tensor) -> torch.Tensor:
    """(B, L_p, d) prefix as the stream builds it: the last ``have`` frames known, the learned
    start rows ``have..`` of ``start`` (1, L_p, d) in front (``known`` holds its real frames at the end)."""
    n_prev = known.shape[1]
    j = torch.arange(n_prev)
    shifted = start[0][(j[None, :] + have[:, None]).clamp(max=n_prev - 1)]
    real = j[None, :] >= (n_prev - have[:, None])
    return torch.where(real[..., None], known, shifted)


def train_denoiser(model: DiffPoseTalk, args: dict[str, Any], style_encoder: StyleEncoder, data: TrainingSet,
                   stats: CoefficientStats, mouth: MouthVertices, path: Path, options: LoopOptions,
                   weights: LossWeights = LossWeights(), drop_audio: float = 0.1, drop_style: float = 0.1,
                   prefix_noise: float = 0.05) -> list[dict[str, float]]:
    """DiffPoseTalk's denoiser objective on cached window features (the speech encoder frozen)."""
    config = model.config
    n_prev, n_motions = config.n_prev_motions, config.n_motions
    schedule = model.schedule
    trainable = [p for n, p in model.named_parameters() if not n.startswith("audio_encoder.")]
    for p in model.audio_encoder.parameters():
        p.requires_grad_(False)
    style_encoder.eval()

    def style_of(batch, rng: np.random.Generator) -> torch.Tensor:
        clips = [motion_window(data.motions[s][a], style_encoder.config.n_motions, rng)
                 for s, a in zip(batch.sequence, batch.animation, strict=True)]
        with torch.no_grad():
            return style_encoder(torch.from_numpy(np.stack(clips)))

    def step_fn(rng: np.random.Generator) -> dict[str, torch.Tensor]:
        rows = rng.integers(0, len(data.windows), size=options.batch_size)
        batch = denoiser_batch(data, rows, n_prev, n_motions, rng)
        b = len(rows)
        features = model.audio_feature_map(batch.audio)
        prev_audio, audio = features[:, :n_prev], features[:, n_prev:]
        noisy_prev = batch.prev_motion + prefix_noise * torch.randn_like(batch.prev_motion)
        prev_motion = _prefix(model.start_motion_feat, noisy_prev, batch.n_prev)
        prev_audio = _prefix(model.start_audio_feat, prev_audio, batch.n_prev)
        drop_a = torch.from_numpy(rng.random(b) < drop_audio)[:, None, None]
        audio = torch.where(drop_a, model.null_audio_feat.expand(b, n_motions, -1), audio)
        style = style_of(batch, rng)
        person = model.person(batch.shape, style)
        drop_s = torch.from_numpy(rng.random(b) < drop_style)[:, None, None]
        person = torch.where(drop_s, model.person(batch.shape, None), person)
        t = _timesteps(b, schedule.num_steps, rng)
        alpha_bar = schedule.alpha_bars[t][:, None, None]
        x_t = alpha_bar.sqrt() * batch.motion + (1 - alpha_bar).sqrt() * torch.randn_like(batch.motion)
        predicted = model.denoising_net(x_t, audio, person, prev_motion, prev_audio, t, batch.indicator)[:, n_prev:]
        w = frame_weights(batch.valid, batch.indicator, weights.unheard)
        return denoiser_losses(predicted, batch.motion, prev_motion[:, -1:], w, stats, mouth, weights)

    def save(step: int) -> None:
        save_published(path, args, "model", model.state_dict(), step, half_prefixes=("audio_encoder.",))

    return _run("denoiser", path, model, trainable, options, step_fn, save)
