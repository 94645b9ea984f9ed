"""The training set in the model's terms: coefficient statistics, normalised motion, window
samples with cached audio features, and batches for the denoiser and the style encoder."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.training.features import WindowSample
from posetalk.training.sequences import AnimatedSequence, Persona

STD_FLOOR = 0.01
"""Smallest standard deviation in the statistics: components the animator never moves (and the
unmodelled jaw rotations) normalise to zero instead of amplifying rounding noise."""
SHAPE_STD_FLOOR = 1.0


def coefficient_stats(sequences: list[AnimatedSequence], personas: list[Persona]) -> CoefficientStats:
    """Per-component mean and std of every animation's coefficients and the personas' shapes."""
    exp = np.concatenate([e for s in sequences for e in s.exp]).astype(np.float64)
    pose = np.concatenate([p for s in sequences for p in s.pose]).astype(np.float64)
    shape = np.stack([p.shape for p in personas]).astype(np.float64)
    return CoefficientStats(
        exp_mean=exp.mean(0).astype(np.float32), exp_std=np.maximum(exp.std(0), STD_FLOOR).astype(np.float32),
        pose_mean=pose.mean(0).astype(np.float32), pose_std=np.maximum(pose.std(0), STD_FLOOR).astype(np.float32),
        shape_mean=shape.mean(0).astype(np.float32), shape_std=np.maximum(shape.std(0), SHAPE_STD_FLOOR).astype(np.float32),
    )


def normalised_motion(exp: np.ndarray, pose: np.ndarray, stats: CoefficientStats) -> np.ndarray:
    """(L, 50) exp, (L, 6) pose -> (L, 54) normalised motion [exp, global rotation, jaw pitch]
    (the layout of :func:`posetalk.model.motion.coefficients_to_motion` with head pose)."""
    e = (exp - stats.exp_mean) / stats.exp_std
    p = (pose - stats.pose_mean) / stats.pose_std
    return np.concatenate([e, p[:, :4]], axis=1).astype(np.float32)


@dataclass
class TrainingSet:
    """Everything the training loops sample from.

    Attributes:
        motions: per sequence, per animation, (L, 54) normalised motion.
        persona_of: per sequence, the persona index of each animation.
        shapes: (P, 100) normalised persona shapes.
        windows: the window samples; features[i] belongs to windows[i].
        features: (N, n_prev + n_motions, d_encoder) float16 cached audio features.
    """

    motions: list[list[np.ndarray]]
    persona_of: list[tuple[int, ...]]
    shapes: np.ndarray
    windows: list[WindowSample]
    features: np.ndarray

    @cached_property
    def animations_of(self) -> dict[int, list[tuple[int, int]]]:
        """(sequence, animation) of every animation of each persona."""
        owned: dict[int, list[tuple[int, int]]] = {}
        for s, owners in enumerate(self.persona_of):
            for a, p in enumerate(owners):
                owned.setdefault(p, []).append((s, a))
        return owned

    @classmethod
    def build(cls, sequences: list[AnimatedSequence], personas: list[Persona], stats: CoefficientStats,
              windows: list[WindowSample], features: np.ndarray) -> TrainingSet:
        motions = [[normalised_motion(e, p, stats) for e, p in zip(s.exp, s.pose, strict=True)] for s in sequences]
        shapes = np.stack([(p.shape - stats.shape_mean) / stats.shape_std for p in personas]).astype(np.float32)
        return cls(motions, [s.personas for s in sequences], shapes, windows, features)


@dataclass(frozen=True)
class DenoiserBatch:
    """A batch of windows (B of them).

    Attributes:
        motion: (B, L, 54) target motion x_0 (zeros past a sequence's end).
        prev_motion: (B, L_p, 54) the frames before the window (zeros where there are none).
        n_prev: (B,) how many prefix frames exist (the rest takes the learned start prefix).
        audio: (B, L_p + L, d_encoder) encoder features of prefix and window.
        indicator: (B, L) 1 for frames with heard audio.
        valid: (B, L) 1 for frames inside the sequence.
        shape: (B, 100) normalised identity.
        persona: (B,) persona index (for the style feature).
        sequence, animation: (B,) where each window comes from.
    """

    motion: torch.Tensor
    prev_motion: torch.Tensor
    n_prev: torch.Tensor
    audio: torch.Tensor
    indicator: torch.Tensor
    valid: torch.Tensor
    shape: torch.Tensor
    persona: torch.Tensor
    sequence: np.ndarray
    animation: np.ndarray


def denoiser_batch(data: TrainingSet, rows: np.ndarray, n_prev: int, n_motions: int, rng: np.random.Generator) -> DenoiserBatch:
    """The windows ``rows`` of ``data``, each with one of its sequence's animations drawn at random."""
    b, d = len(rows), data.motions[0][0].shape[1]
    motion = np.zeros((b, n_motions, d), np.float32)
    prev = np.zeros((b, n_prev, d), np.float32)
    have = np.zeros(b, np.int64)
    indicator = np.zeros((b, n_motions), np.float32)
    valid = np.zeros((b, n_motions), np.float32)
    sequence = np.zeros(b, np.int64)
    animation = np.zeros(b, np.int64)
    persona = np.zeros(b, np.int64)
    for i, row in enumerate(rows):
        window = data.windows[row]
        s = window.sequence
        a = int(rng.integers(len(data.motions[s])))
        track = data.motions[s][a]
        part = track[window.first : window.first + n_motions]
        motion[i, : len(part)] = part
        valid[i, : len(part)] = 1
        indicator[i, : window.n_real] = 1
        have[i] = min(n_prev, window.first)
        if have[i]:
            prev[i, n_prev - have[i] :] = track[window.first - have[i] : window.first]
        sequence[i], animation[i], persona[i] = s, a, data.persona_of[s][a]
    return DenoiserBatch(
        torch.from_numpy(motion), torch.from_numpy(prev), torch.from_numpy(have),
        torch.from_numpy(data.features[rows].astype(np.float32)), torch.from_numpy(indicator), torch.from_numpy(valid),
        torch.from_numpy(data.shapes[persona]), torch.from_numpy(persona), sequence, animation,
    )


def style_clips(data: TrainingSet, n_frames: int, personas: np.ndarray, per_persona: int,
                rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(len(personas) * per_persona, n_frames, 54) motion clips and their persona labels: random
    windows of random animations of each persona (short animations padded by repeating the end)."""
    clips, labels = [], []
    for p in personas:
        owned = data.animations_of[int(p)]
        for _ in range(per_persona):
            s, a = owned[int(rng.integers(len(owned)))]
            clips.append(motion_window(data.motions[s][a], n_frames, rng))
            labels.append(int(p))
    return torch.from_numpy(np.stack(clips)), torch.tensor(labels)


def motion_window(track: np.ndarray, n_frames: int, rng: np.random.Generator | None) -> np.ndarray:
    """(n_frames, d) window of (L, d) ``track`` at a random start (the start when rng is None),
    padded with its last frame when the track is shorter."""
    if len(track) < n_frames:
        return np.concatenate([track, np.repeat(track[-1:], n_frames - len(track), axis=0)])
    start = 0 if rng is None else int(rng.integers(0, len(track) - n_frames + 1))
    return track[start : start + n_frames]
