"""`posetalk probe`: which speech front-end carries mouth shapes from the training voices to real ones.

Each front-end's features of every frame, computed as the stream computes them
(:mod:`posetalk.evaluation.frontends`), go through a classifier trained to tell the frame's viseme
on the training material, then tested on voices it never saw: held-out TTS voices and held-out real
speakers (force-aligned). A front-end whose features hold the articulation, not the voice, scores
about as well on the real speakers as on held-out TTS.

- ``whisper tiny.en`` and ``whisper base``: frozen encoders, a linear classifier (multinomial
  logistic regression) on their features;
- ``log-mel``: a convolutional encoder learned on the training chunks' log-mel spectrograms, with
  its classifier (the model's alternative to a pretrained encoder);
- ``pocketsphinx``: its phone recogniser on the whole clip, phones mapped to visemes, nothing
  trained (it hears the future, which a stream cannot).

Viseme classes: MPEG-4's 14 visemes (ISO/IEC 14496-2, Annex C, Table C-5: the face-animation
visemes of one or a few phonemes each) with the ARPAbet phones each holds, and silence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from posetalk.corpus.timeline import SAMPLE_RATE, SILENCE, Phone, TimedClip
from posetalk.evaluation.frontends import (
    StreamCut,
    mel_chunks,
    n_frames,
    pocketsphinx_phones,
    whisper_features,
)

Clips = Sequence[tuple[str, TimedClip]]

VISEMES: dict[str, tuple[str, ...]] = {
    "silence": (SILENCE,),
    "p b m": ("p", "b", "m"),
    "f v": ("f", "v"),
    "th dh": ("th", "dh"),
    "t d": ("t", "d"),
    "k g": ("k", "g", "ng", "hh"),
    "ch jh sh": ("ch", "jh", "sh", "zh"),
    "s z": ("s", "z"),
    "n l": ("n", "l"),
    "r": ("r", "er"),
    "A (car)": ("aa", "ah", "ay", "aw"),
    "e (bed)": ("eh", "ae", "ey"),
    "I (tip)": ("ih", "iy", "y"),
    "Q (top)": ("ao", "ow", "oy"),
    "U (book)": ("uh", "uw", "w"),
}
"""Viseme class -> the ARPAbet phones it holds (MPEG-4's visemes 1-14 in order, silence first).
Diphthongs go with their nucleus, hh and ng with the velars, er with r, y with I, w with U."""
CLASS_OF: dict[str, int] = {phone: index for index, phones in enumerate(VISEMES.values()) for phone in phones}


def frame_labels(phones: Sequence[Phone], count: int, fps: int) -> np.ndarray:
    """(count,) int64 viseme class of the phone under each frame's centre (silence past the last)."""
    centres = (np.arange(count) + 0.5) / fps
    labels = np.full(count, CLASS_OF[SILENCE], np.int64)
    for phone in phones:
        labels[(centres >= phone.start) & (centres < phone.end)] = CLASS_OF[phone.label]
    return labels


@dataclass(frozen=True)
class Scores:
    """Frame accuracy (share of frames whose viseme is right) and balanced accuracy (mean over the
    classes present of the share of their frames found), on one test set."""

    accuracy: float
    balanced: float
    frames: int


def scores(predicted: np.ndarray, labels: np.ndarray) -> Scores:
    """Scores of (N,) predicted against (N,) true classes."""
    recalls = [float(np.mean(predicted[labels == c] == c)) for c in np.unique(labels)]
    return Scores(float(np.mean(predicted == labels)), float(np.mean(recalls)), len(labels))


class LinearProbe:
    """Multinomial logistic regression on standardised features, fitted by full-batch L-BFGS."""

    def __init__(self, l2: float = 1e-3, iterations: int = 200) -> None:
        self.l2, self.iterations = l2, iterations

    def fit(self, features: np.ndarray, labels: np.ndarray) -> LinearProbe:
        """Fit on (N, D) features and (N,) classes."""
        self.mean, self.std = features.mean(0), features.std(0) + 1e-6
        x = torch.from_numpy((features - self.mean) / self.std).float()
        y = torch.from_numpy(labels)
        self.layer = nn.Linear(x.shape[1], len(VISEMES))
        optimiser = torch.optim.LBFGS(self.layer.parameters(), max_iter=self.iterations, line_search_fn="strong_wolfe")

        def loss() -> torch.Tensor:
            optimiser.zero_grad()
            value = nn.functional.cross_entropy(self.layer(x), y) + self.l2 * self.layer.weight.square().sum()
            value.backward()
            return value

        optimiser.step(loss)
        return self

    @torch.inference_mode()
    def predict(self, features: np.ndarray) -> np.ndarray:
        """(N,) most likely class of (N, D) features."""
        x = torch.from_numpy((features - self.mean) / self.std).float()
        return self.layer(x).argmax(1).numpy()


class MelEncoder(nn.Module):
    """Log-mel chunk (B, n_mels, C at 100 Hz) -> (B, C / 4, classes) viseme logits at 25 fps:
    three 1-D convolutions (the last two stride 2) and a per-frame classifier."""

    def __init__(self, n_mels: int = 80, width: int = 192) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv1d(n_mels, width, 5, padding=2), nn.GELU(),
            nn.Conv1d(width, width, 5, stride=2, padding=2), nn.GELU(),
            nn.Conv1d(width, width, 5, stride=2, padding=2), nn.GELU(),
            nn.Conv1d(width, len(VISEMES), 1),
        )

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        return self.layers(mels).transpose(1, 2)


@dataclass
class MelData:
    """Every tick's log-mel chunk and the viseme of each frame it emits (-1 where it emits none)."""

    mels: np.ndarray
    positions: np.ndarray
    labels: np.ndarray


def mel_data(clips: Clips, cut: StreamCut) -> MelData:
    """The ticks of ``clips`` for :class:`MelEncoder`."""
    mels, positions, labels = [], [], []
    for _, clip in clips:
        chunk_mels, chunk_positions = mel_chunks(clip.audio, cut)
        clip_labels = frame_labels(clip.phones, n_frames(len(clip.audio), cut.fps), cut.fps)
        first = np.arange(len(chunk_mels)) * cut.frames_per_tick
        emitted = first[:, None] + np.arange(cut.frames_per_tick)[None]
        mels.append(chunk_mels)
        positions.append(chunk_positions)
        labels.append(np.where(chunk_positions >= 0, clip_labels[np.minimum(emitted, len(clip_labels) - 1)], -1))
    return MelData(np.concatenate(mels), np.concatenate(positions), np.concatenate(labels))


def _mel_logits(encoder: MelEncoder, mels: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """(B, k, classes) logits of the emitted frames."""
    frames = encoder(mels)
    index = positions.clamp(min=0)[:, :, None].expand(-1, -1, frames.shape[2])
    return frames.gather(1, index)


def fit_mel_encoder(data: MelData, epochs: int, seed: int, batch_size: int = 64) -> MelEncoder:
    """A :class:`MelEncoder` trained with cross-entropy (AdamW) on every emitted frame of ``data``."""
    torch.manual_seed(seed)
    encoder = MelEncoder(data.mels.shape[1])
    optimiser = torch.optim.AdamW(encoder.parameters(), lr=2e-3, weight_decay=1e-2)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(data.mels))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            logits = _mel_logits(encoder, torch.from_numpy(data.mels[rows]), torch.from_numpy(data.positions[rows]))
            loss = nn.functional.cross_entropy(logits.reshape(-1, len(VISEMES)), torch.from_numpy(data.labels[rows]).reshape(-1),
                                               ignore_index=-1)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return encoder.eval()


@torch.inference_mode()
def predict_mel(encoder: MelEncoder, data: MelData) -> tuple[np.ndarray, np.ndarray]:
    """(predicted, true) classes of every emitted frame of ``data``."""
    logits = _mel_logits(encoder, torch.from_numpy(data.mels), torch.from_numpy(data.positions))
    keep = data.labels >= 0
    return logits.argmax(2).numpy()[keep], data.labels[keep]


Features = Callable[[str, np.ndarray], np.ndarray]
"""(clip id, (S,) audio) -> (L, D) features of the clip's frames."""


def feature_set(clips: Clips, features: Features, fps: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) features and (N,) viseme classes of every frame of ``clips``."""
    xs, ys = [], []
    for clip_id, clip in clips:
        x = features(clip_id, clip.audio)
        xs.append(x)
        ys.append(frame_labels(clip.phones, len(x), fps))
    return np.concatenate(xs), np.concatenate(ys)


@dataclass(frozen=True)
class ProbeResult:
    """One front-end's scores per test set after training on ``trained_on``, and what computing its
    features cost (ms per second of audio, one thread; NaN where not measured)."""

    frontend: str
    trained_on: str
    tests: dict[str, Scores]
    ms_per_second: float


def probe_whisper(name: str, encoder, cut: StreamCut, trains: dict[str, Clips], tests: dict[str, Clips]) -> list[ProbeResult]:
    """A linear probe on Whisper ``encoder``'s stream features, one per training set (features
    computed once per clip)."""
    cache: dict[str, np.ndarray] = {}
    spent = [0.0, 0.0]  # seconds computing, seconds of audio

    def features(clip_id: str, audio: np.ndarray) -> np.ndarray:
        if clip_id not in cache:
            started = time.perf_counter()
            cache[clip_id] = whisper_features(encoder, audio, cut)
            spent[0] += time.perf_counter() - started
            spent[1] += len(audio) / SAMPLE_RATE
        return cache[clip_id]

    results = []
    for trained_on, train in trains.items():
        probe = LinearProbe().fit(*feature_set(train, features, cut.fps))
        tested = {}
        for test_name, clips in tests.items():
            x, y = feature_set(clips, features, cut.fps)
            tested[test_name] = scores(probe.predict(x), y)
        results.append(ProbeResult(name, trained_on, tested, 1000 * spent[0] / spent[1]))
    return results


def probe_mel(cut: StreamCut, trains: dict[str, Clips], tests: dict[str, Clips], epochs: int, seed: int) -> list[ProbeResult]:
    """A convolutional encoder learned on the log-mel chunks, one per training set."""
    test_data = {name: mel_data(clips, cut) for name, clips in tests.items()}
    results = []
    for trained_on, train in trains.items():
        encoder = fit_mel_encoder(mel_data(train, cut), epochs, seed)
        tested = {name: scores(*predict_mel(encoder, data)) for name, data in test_data.items()}
        results.append(ProbeResult("log-mel + learned conv", trained_on, tested, float("nan")))
    return results


def probe_pocketsphinx(tests: dict[str, Clips], fps: int) -> ProbeResult:
    """PocketSphinx's phone recogniser, its phones' visemes against the reference's."""
    results, started, seconds = {}, time.perf_counter(), 0.0
    for name, clips in tests.items():
        predicted, true = [], []
        for _, clip in clips:
            count = n_frames(len(clip.audio), fps)
            predicted.append(frame_labels(pocketsphinx_phones(clip.audio), count, fps))
            true.append(frame_labels(clip.phones, count, fps))
            seconds += len(clip.audio) / SAMPLE_RATE
        results[name] = scores(np.concatenate(predicted), np.concatenate(true))
    return ProbeResult("pocketsphinx phones", "(its own model)", results, 1000 * (time.perf_counter() - started) / seconds)


def chance(tests: dict[str, Clips], train: Clips, fps: int) -> ProbeResult:
    """Always the training set's most frequent viseme: the floor every front-end must clear."""
    counts = np.bincount(np.concatenate([frame_labels(c.phones, n_frames(len(c.audio), fps), fps) for _, c in train]),
                         minlength=len(VISEMES))
    majority = int(np.argmax(counts))
    results = {}
    for name, clips in tests.items():
        true = np.concatenate([frame_labels(c.phones, n_frames(len(c.audio), fps), fps) for _, c in clips])
        results[name] = scores(np.full_like(true, majority), true)
    return ProbeResult(f"majority class ({list(VISEMES)[majority]})", "tts", results, float("nan"))
