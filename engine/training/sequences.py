"""Training sequences: corpus clips joined into sequences long enough for a style window,
copies augmented toward real microphones, each animated by the procedural animator for several
personas (a speaking style and an identity).

A persona plays the part of a speaker in DiffPoseTalk's training data (sec. 3.1): windows of the
same persona are the style encoder's positives, and the denoiser learns to follow the persona's
style feature and identity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from posetalk.animator.animate import animate
from posetalk.animator.style import PRESETS, StyleParams, sample_identity, sample_style
from posetalk.corpus.augment import augment_clip
from posetalk.corpus.timeline import TimedClip
from posetalk.corpus.tts import ENGINES, join
from posetalk.pipeline.offline import normalise_audio

MIN_SEQUENCE_S = 3.0
"""Clips shorter than this are joined with others of the same speaker (with pauses)."""
JOIN_PAUSE_S = (0.15, 1.2)


@dataclass(frozen=True)
class Persona:
    """A speaking style and an identity (100 shape coefficients)."""

    name: str
    style: StyleParams
    shape: np.ndarray


@dataclass(frozen=True)
class AnimatedSequence:
    """One training sequence.

    Attributes:
        clip: the (possibly augmented) clip; its audio is what the model hears.
        audio: (S,) the clip's audio normalised to zero mean and unit variance.
        personas: persona index of each animation.
        exp: per animation, (L, 50) expression coefficients.
        pose: per animation, (L, 6) pose (global axis-angle, jaw axis-angle).
        augmented: whether the audio is an augmented copy.
    """

    clip: TimedClip
    audio: np.ndarray
    personas: tuple[int, ...]
    exp: tuple[np.ndarray, ...]
    pose: tuple[np.ndarray, ...]
    augmented: bool


def make_personas(n_random: int, rng: np.random.Generator) -> list[Persona]:
    """The named presets (neutral identity) and ``n_random`` random styles and identities."""
    personas = [Persona(name, style, np.zeros(100, np.float32)) for name, style in PRESETS.items()]
    personas += [
        Persona(f"random-{i}", sample_style(rng), sample_identity(rng).astype(np.float32)) for i in range(n_random)
    ]
    return personas


def _join(clips: Sequence[TimedClip], rng: np.random.Generator) -> TimedClip:
    """``clips`` in order with a random pause between each two."""
    return join(clips, rng.uniform(*JOIN_PAUSE_S, size=len(clips) - 1).tolist())


def group_short_clips(clips: Iterable[TimedClip], rng: np.random.Generator) -> list[TimedClip]:
    """Clips of at least MIN_SEQUENCE_S as they are; shorter ones joined per (source, speaker)
    into sequences of about MIN_SEQUENCE_S to 3 x MIN_SEQUENCE_S."""
    long, short = [], defaultdict(list)
    for clip in clips:
        (long.append(clip) if clip.duration >= MIN_SEQUENCE_S else short[(clip.source, clip.speaker)].append(clip))
    for group in short.values():
        order = rng.permutation(len(group))
        pending: list[TimedClip] = []
        target = rng.uniform(MIN_SEQUENCE_S, 3 * MIN_SEQUENCE_S)
        for index in order:
            pending.append(group[index])
            if sum(c.duration for c in pending) >= target:
                long.append(_join(pending, rng))
                pending, target = [], rng.uniform(MIN_SEQUENCE_S, 3 * MIN_SEQUENCE_S)
        if pending:
            long.append(_join(pending, rng))
    return long


def animate_sequences(
    clips: Sequence[TimedClip],
    personas: Sequence[Persona],
    n_augmented: int,
    n_augmented_real: int,
    animations_per_sequence: int,
    fps: int,
    rng: np.random.Generator,
    on_clip: Callable[[], None] | None = None,
) -> list[AnimatedSequence]:
    """Each clip as heard clean and in ``n_augmented`` augmented copies (``n_augmented_real`` for
    real recordings, the voices the model must serve), each animated for
    ``animations_per_sequence`` personas drawn at random."""
    sequences = []
    for index, clip in enumerate(clips):
        versions = [(clip, False)]
        for _ in range(n_augmented if clip.source in ENGINES else n_augmented_real):
            others = [clips[int(j)].audio for j in rng.choice(len(clips), size=min(3, len(clips)), replace=False) if j != index]
            versions.append((augment_clip(clip, rng, others), True))
        for version, augmented in versions:
            chosen = rng.choice(len(personas), size=animations_per_sequence, replace=False)
            animations = [
                animate(version, personas[p].style, fps=fps, seed=int(rng.integers(2**31)), identity=personas[p].shape)
                for p in chosen
            ]
            audio = normalise_audio(torch.from_numpy(version.audio.astype(np.float32))).numpy()
            sequences.append(AnimatedSequence(
                version, audio, tuple(int(p) for p in chosen),
                tuple(a.exp.astype(np.float32) for a in animations), tuple(a.pose.astype(np.float32) for a in animations),
                augmented,
            ))
        if on_clip is not None:
            on_clip()
    return sequences

