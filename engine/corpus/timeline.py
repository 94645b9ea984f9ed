"""Phone-timed speech: the common currency between the corpus sources and the animator.

Every source (TTS engines that report their phoneme events, real speech force-aligned to its
transcript) converts its own phone symbols to :data:`PHONES`, ARPAbet's 39 phonemes of American
English (the CMU pronouncing dictionary's set) plus ``sil`` for silence and pauses. Times are in
seconds from the start of the clip's audio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VOWELS: tuple[str, ...] = (
    "aa", "ae", "ah", "ao", "aw", "ay", "eh", "er", "ey", "ih", "iy", "ow", "oy", "uh", "uw",
)
CONSONANTS: tuple[str, ...] = (
    "b", "ch", "d", "dh", "f", "g", "hh", "jh", "k", "l", "m", "n", "ng", "p", "r", "s", "sh",
    "t", "th", "v", "w", "y", "z", "zh",
)
SILENCE = "sil"
PHONES: tuple[str, ...] = (SILENCE, *VOWELS, *CONSONANTS)
PHONE_INDEX: dict[str, int] = {phone: i for i, phone in enumerate(PHONES)}
SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Phone:
    """One phone: ``label`` from :data:`PHONES`, [start, end) in seconds, lexical stress
    (0 none, 1 primary, 2 secondary; -1 unknown or not a vowel)."""

    label: str
    start: float
    end: float
    stress: int = -1

    def __post_init__(self) -> None:
        if self.label not in PHONE_INDEX:
            raise ValueError(f"unknown phone {self.label!r}; expected one of {PHONES}")
        if not self.end >= self.start:
            raise ValueError(f"phone {self.label!r} ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class TimedClip:
    """A clip of speech with its phones.

    Attributes:
        audio: (S,) float32 mono samples at 16 kHz, peak at most 1.
        phones: consecutive phones covering the clip (gaps are silence).
        source: where it comes from (``espeak-ng``, ``flite``, ``fsdd``, ...).
        speaker: voice or speaker name, unique within the source.
        language: BCP 47 code of the language spoken (``en``, ``es``, ``ja``, ...).
    """

    audio: np.ndarray
    phones: tuple[Phone, ...]
    source: str
    speaker: str
    language: str = "en"

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def phone_track(phones: tuple[Phone, ...], n_frames: int, fps: float) -> np.ndarray:
    """(n_frames,) int index into :data:`PHONES` of the phone at each frame's centre (sil in gaps)."""
    track = np.zeros(n_frames, np.int64)
    centres = (np.arange(n_frames) + 0.5) / fps
    for phone in phones:
        track[(centres >= phone.start) & (centres < phone.end)] = PHONE_INDEX[phone.label]
    return track
