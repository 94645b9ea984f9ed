"""The two lip-sync methods VTubers use today, as baselines for the default model.

Each peer maps (S,) float32 mono audio at 16 kHz to per-frame mouth values at a frame rate
``fps``, frame ``i`` covering [i / fps, (i + 1) / fps) s and valued at its centre; there are
``L = int(S / 16000 * fps)`` frames, as in :mod:`posetalk.pipeline.offline`.

- :class:`VolumeMouth`: the mouth follows the loudness, like VTube Studio's simple (volume)
  lip-sync: its microphone settings are a gain and a volume limit (noise gate), and its
  ``VoiceVolume`` parameter (0-1) drives ``MouthOpen`` through the model's parameter smoothing
  (VTube Studio wiki, "Lipsync" and "VTS Model Settings"). VTube Studio's exact formula is not
  published; this is the usual form: RMS level in dB, a linear ramp from a gate level to a
  full-open level, attack/release smoothing.
- :class:`ULipSyncMouth`: uLipSync (hecomi, github.com/hecomi/uLipSync; VTube Studio's
  "advanced" lip-sync is built on it) through the ``pylipsync`` package: per analysis frame the
  MFCCs of a 64 ms window are matched (cosine similarity) against the package's default profile
  (one female recording each of A, I, U, E, O and silence, ``pylipsync/phonemes/template.json``),
  the ratios are scaled by the loudness (log10 RMS mapped from [-2.5, -1.5] to [0, 1]), and an
  avatar smooths them as ``uLipSyncBlendShape`` does before they drive the mouth.

``pylipsync`` is a training/evaluation dependency (``dev``/``train`` extras), imported inside
:class:`ULipSyncMouth`'s methods.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from posetalk.corpus.timeline import SAMPLE_RATE
from posetalk.errors import PosetalkError

VOWELS = ("A", "I", "U", "E", "O")
PYLIPSYNC_VOWELS = {"A": "aa", "I": "ih", "U": "ou", "E": "ee", "O": "oh"}
"""pylipsync's phoneme names (its template folders) for uLipSync's five vowels."""
OPENING_WEIGHTS = np.array([1.0, 0.3, 0.3, 0.5, 0.7])
"""Jaw opening of each vowel's mouth shape (A, I, U, E, O): the usual VTuber rig, where A is the
open mouth, O a rounded half-open one, E half open, I and U nearly closed."""
WIDTH_WEIGHTS = np.array([0.0, 1.0, -1.0, 1.0, -1.0])
"""Lip width of each vowel (A, I, U, E, O): spread for I and E, rounded for U and O."""


class MouthPeer(Protocol):
    """A lip-sync method under comparison."""

    name: str

    def mouth_opening(self, audio: np.ndarray, fps: float) -> np.ndarray:
        """(L,) mouth opening per frame, 0 closed to 1 fully open."""
        ...

    def lip_width(self, audio: np.ndarray, fps: float) -> np.ndarray | None:
        """(L,) lip width per frame, -1 rounded to 1 spread, 0 neutral; None if the method has none."""
        ...


def frame_count(audio: np.ndarray, fps: float) -> int:
    """``L``: whole output frames in the audio."""
    return int(len(audio) / SAMPLE_RATE * fps)


def _check(audio: np.ndarray, fps: float) -> None:
    if not isinstance(audio, np.ndarray) or audio.ndim != 1 or audio.size == 0:
        raise PosetalkError("lip-sync needs (S,) mono audio samples at 16 kHz")
    if not np.all(np.isfinite(audio)):
        raise PosetalkError("lip-sync audio holds NaN or infinite samples")
    if not fps > 0:
        raise PosetalkError(f"frame rate must be positive, got {fps}")


def _at_frames(values: np.ndarray, times: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """(T, ...) values at ``times`` (s) -> (n_frames, ...) linearly interpolated at frame centres."""
    centres = (np.arange(n_frames) + 0.5) / fps
    flat = values.reshape(len(values), -1)
    columns = [np.interp(centres, times, flat[:, k]) for k in range(flat.shape[1])]
    return np.stack(columns, axis=1).reshape((n_frames,) + values.shape[1:]).astype(np.float32)


@dataclass(frozen=True)
class VolumeMouth:
    """Volume-driven mouth: RMS level -> gated linear ramp -> attack/release smoothing.

    The defaults are a plain user setting, not tuned on any evaluation data: a headset microphone
    puts conversational speech around -30 to -15 dBFS RMS and room noise below -55 dBFS, so the
    mouth starts to open at -50 dBFS and is fully open at -20 dBFS; it opens within tens of
    milliseconds and closes a little slower, as a lip-sync smoothing slider set low does.

    Attributes:
        gate_db: RMS level (dBFS) below which the mouth stays closed (VTS's "volume limit").
        full_db: level at which the mouth is fully open.
        gain_db: microphone gain added to the level first (VTS's "audio gain").
        attack_s: time constant (s) of the opening.
        release_s: time constant (s) of the closing.
        hop_s: analysis hop (s); each analysis frame's RMS is over twice the hop.
    """

    gate_db: float = -50.0
    full_db: float = -20.0
    gain_db: float = 0.0
    attack_s: float = 0.03
    release_s: float = 0.08
    hop_s: float = 0.01
    name: str = "volume"

    def level_db(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T,) RMS level in dBFS (gain included) of windows of 2 hops every hop, and (T,) their
        centre times in s."""
        hop = max(1, round(self.hop_s * SAMPLE_RATE))
        padded = np.pad(audio.astype(np.float64), (hop // 2, hop + hop // 2))
        n = max(1, len(audio) // hop)
        power = np.square(padded)
        cumulative = np.concatenate([[0.0], np.cumsum(power)])
        starts = np.arange(n) * hop
        mean_power = (cumulative[starts + 2 * hop] - cumulative[starts]) / (2 * hop)
        times = (starts + hop / 2) / SAMPLE_RATE
        return 10 * np.log10(mean_power + 1e-12) + self.gain_db, times

    def mouth_opening(self, audio: np.ndarray, fps: float) -> np.ndarray:
        _check(audio, fps)
        level, times = self.level_db(audio)
        target = np.clip((level - self.gate_db) / (self.full_db - self.gate_db), 0.0, 1.0)
        attack = 1.0 - np.exp(-self.hop_s / self.attack_s)
        release = 1.0 - np.exp(-self.hop_s / self.release_s)
        smoothed = np.empty_like(target)
        value = 0.0
        for t, goal in enumerate(target):
            value += (attack if goal > value else release) * (goal - value)
            smoothed[t] = value
        return _at_frames(smoothed, times, frame_count(audio, fps), fps)

    def lip_width(self, audio: np.ndarray, fps: float) -> None:
        _check(audio, fps)
        return None


def smooth_damp(targets: np.ndarray, smooth_time: float, dt: float) -> np.ndarray:
    """Unity's ``Mathf.SmoothDamp`` applied frame by frame: a critically damped spring following
    ``targets`` (T, C) sampled every ``dt`` s, reaching a step in about ``smooth_time`` s, never
    overshooting (Game Programming Gems 4, ch. 1.10, the approximation Unity documents)."""
    omega = 2.0 / smooth_time
    x = omega * dt
    decay = 1.0 / (1.0 + x + 0.48 * x * x + 0.235 * x * x * x)
    value = np.zeros(targets.shape[1])
    velocity = np.zeros(targets.shape[1])
    out = np.empty_like(targets, dtype=np.float64)
    for t, target in enumerate(targets):
        change = value - target
        temp = (velocity + omega * change) * dt
        velocity = (velocity - omega * temp) * decay
        moved = target + (change + temp) * decay
        overshot = (target > value) == (moved > target)
        velocity = np.where(overshot, 0.0, velocity)
        value = np.where(overshot, target, moved)
        out[t] = value
    return out


class ULipSyncMouth:
    """uLipSync's vowel weights (through ``pylipsync``) and the mouth a VTuber avatar makes of them.

    Analysis runs at :attr:`analysis_fps` (Unity's usual 60 frames a second), the weights are
    smoothed with ``SmoothDamp`` at ``uLipSyncBlendShape``'s default smoothness (0.05 s; applied
    to pylipsync's volume-scaled weights, where uLipSyncBlendShape smooths the ratios and the
    volume apart), then interpolated to the requested frame rate. The mouth of the weights
    ``w`` (A, I, U, E, O):

        opening = A + 0.3 I + 0.3 U + 0.5 E + 0.7 O   (clipped to [0, 1])
        width   = I + E - U - O                       (in [-1, 1])

    The last analysis is kept, so asking for the opening and then the width of the same audio
    runs pylipsync once.
    """

    name = "ulipsync"
    analysis_fps = 60
    window_ms = 64.0
    smoothness_s = 0.05

    def __init__(self) -> None:
        self._last: tuple[bytes, np.ndarray, np.ndarray] | None = None

    def _analysed(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, 5) smoothed A, I, U, E, O weights at the analysis rate and (T,) their centre times (s)."""
        key = hashlib.blake2b(audio.astype(np.float32).tobytes(), digest_size=16).digest()
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._last[2]
        from pylipsync import PhonemeAnalyzer

        hop = SAMPLE_RATE // self.analysis_fps
        if len(audio) < hop:
            raise PosetalkError(f"uLipSync needs at least {hop / SAMPLE_RATE * 1000:.0f} ms of audio")
        segments = PhonemeAnalyzer().extract_phoneme_segments(
            audio.astype(np.float32), SAMPLE_RATE, window_size_ms=self.window_ms, fps=self.analysis_fps,
        )
        names = [PYLIPSYNC_VOWELS[vowel] for vowel in VOWELS]
        raw = np.array([[{p.name: p.target for p in segment.phonemes}[name] for name in names] for segment in segments])
        weights = smooth_damp(raw, self.smoothness_s, hop / SAMPLE_RATE)
        times = (np.arange(len(segments)) + 0.5) * hop / SAMPLE_RATE
        self._last = (key, weights, times)
        return weights, times

    def vowel_weights(self, audio: np.ndarray, fps: float) -> np.ndarray:
        """(L, 5) A, I, U, E, O weights per frame, each in [0, 1], summing to at most 1."""
        _check(audio, fps)
        weights, times = self._analysed(audio)
        return _at_frames(weights, times, frame_count(audio, fps), fps)

    def mouth_opening(self, audio: np.ndarray, fps: float) -> np.ndarray:
        return np.clip(self.vowel_weights(audio, fps) @ OPENING_WEIGHTS, 0.0, 1.0).astype(np.float32)

    def lip_width(self, audio: np.ndarray, fps: float) -> np.ndarray:
        return np.clip(self.vowel_weights(audio, fps) @ WIDTH_WEIGHTS, -1.0, 1.0).astype(np.float32)


def peers() -> list[MouthPeer]:
    """The peers the default model is compared with."""
    return [VolumeMouth(), ULipSyncMouth()]
