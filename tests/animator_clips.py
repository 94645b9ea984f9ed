"""Hand-built phone-timed clips for the animator and mouth-measure tests.

Audio is shaped to the phones: vowels and voiced consonants are harmonic tones (vowels louder),
unvoiced consonants noise bursts, silences digital silence. Pitch follows a gentle declination with
a rise on every primary-stressed vowel.
"""

from __future__ import annotations

import numpy as np

from posetalk.corpus.timeline import SAMPLE_RATE, SILENCE, VOWELS, Phone, TimedClip

VOICED_CONSONANTS = frozenset({"b", "d", "g", "v", "dh", "z", "zh", "jh", "m", "n", "ng", "l", "r", "w", "y"})
BASE_F0_HZ = 120.0
STRESS_RISE = 1.35  # F0 multiplier on a stressed vowel's peak (a pitch accent of about 5 semitones)


def phones_from(spec: list[tuple[str, float] | tuple[str, float, int]], start: float = 0.0) -> tuple[Phone, ...]:
    """Consecutive phones from (label, duration s[, stress]) entries."""
    phones = []
    time = start
    for entry in spec:
        label, length = entry[0], entry[1]
        stress = entry[2] if len(entry) > 2 else (0 if label in VOWELS else -1)
        phones.append(Phone(label, time, time + length, stress))
        time += length
    return tuple(phones)


def synthetic_audio(phones: tuple[Phone, ...], duration: float, seed: int = 0) -> np.ndarray:
    """(S,) float32 16 kHz audio shaped to ``phones`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n = int(round(duration * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    f0 = BASE_F0_HZ * (1.0 - 0.1 * t / max(duration, 1e-9))
    for phone in phones:
        if phone.label in VOWELS and phone.stress == 1:
            middle, width = 0.5 * (phone.start + phone.end), 0.3 * max(phone.end - phone.start, 0.05)
            f0 = f0 * (1.0 + (STRESS_RISE - 1.0) * np.exp(-0.5 * ((t - middle) / width) ** 2))
    phase = 2.0 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    tone = sum(np.sin(k * phase) / k for k in range(1, 8))
    noise = rng.normal(0.0, 1.0, n)
    audio = np.zeros(n)
    for phone in phones:
        a, b = int(round(phone.start * SAMPLE_RATE)), int(round(phone.end * SAMPLE_RATE))
        ramp = np.minimum(1.0, np.minimum(np.arange(b - a), np.arange(b - a)[::-1]) / 80.0)
        if phone.label == SILENCE:
            continue
        if phone.label in VOWELS:
            level = 0.5 if phone.stress == 1 else 0.3
            audio[a:b] = level * tone[a:b] * ramp
        elif phone.label in VOICED_CONSONANTS:
            audio[a:b] = 0.12 * tone[a:b] * ramp
        else:
            audio[a:b] = 0.08 * noise[a:b] * ramp
    return (audio / max(1.0, np.abs(audio).max())).astype(np.float32)


def make_clip(spec: list, tail: float = 0.0, seed: int = 0) -> TimedClip:
    """A clip of the phones of ``spec`` (see :func:`phones_from`) plus ``tail`` seconds of silence."""
    phones = phones_from(spec)
    duration = phones[-1].end + tail
    return TimedClip(
        audio=synthetic_audio(phones, duration, seed), phones=phones,
        source="test", speaker="synthetic",
    )


# "Bob spams, (pause) five movies. He wants it." with stress marks, framed by pauses.
SENTENCE: list = [
    ("sil", 0.5), ("b", 0.07), ("aa", 0.14, 1), ("b", 0.06), ("s", 0.1), ("p", 0.05),
    ("ae", 0.15, 1), ("m", 0.08), ("z", 0.09), ("sil", 0.45), ("f", 0.09), ("ay", 0.2, 1),
    ("v", 0.06), ("m", 0.07), ("uw", 0.12, 1), ("v", 0.06), ("iy", 0.15, 0), ("z", 0.1),
    ("sil", 0.2), ("hh", 0.06), ("iy", 0.1, 0), ("w", 0.07), ("aa", 0.12, 1), ("n", 0.05),
    ("t", 0.06), ("s", 0.08), ("ih", 0.08, 0), ("t", 0.06), ("sil", 0.6),
]
