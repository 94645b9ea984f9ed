"""Articulatory targets of the ARPAbet phones on the built-in head, and how strongly each resists
coarticulation.

A phone's *target* is a point in a small articulatory space (:data:`CHANNELS`): the jaw's opening
angle (radians, the head's jaw pitch ``pose[3]``; positive opens) and lip coefficients of the built-in
head's own expression components (docs/built_in_head.md), at the strength a typical speaker reaches
for that phone. Its *dominance* is the α of Cohen & Massaro's dominance functions (see
:mod:`posetalk.animator.coarticulation`), one for the lip channels and one for the jaw: bilabials
and labiodentals own the lips completely, vowels own the jaw, and h, k, g, t, d, n, l barely touch
the lips and borrow them from their neighbours.

Jaw heights on this head: 0.1 rad drops the lower lip about 9 mm at the mid-line; ``mouth_open``
1 parts the lips 4.6 mm without the jaw. Diphthongs glide: they are two sub-segments, the first
:data:`DIPHTHONG_SPLIT` of the phone at the nucleus, the rest at the glide's target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk.corpus.timeline import PHONES, SILENCE

# Channel name -> driven expression component of the built-in head ("jaw" drives pose[3]).
CHANNELS: tuple[str, ...] = (
    "jaw", "mouth_open", "lip_pucker", "lip_spread", "lip_press", "lip_funnel",
    "upper_lip_roll_in", "lower_lip_roll_in", "upper_lip_raise",
)
CHANNEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(CHANNELS)}
JAW = CHANNEL_INDEX["jaw"]
LIP_CHANNELS: tuple[int, ...] = tuple(i for i in range(len(CHANNELS)) if i != JAW)

# Dominance magnitudes α (dimensionless, relative to one another).
COMPLETE = 4.0  # owns the articulator: its neighbours' targets hardly show
STRONG = 1.0
MEDIUM = 0.5
WEAK = 0.15
FAINT = 0.05  # borrows the articulator from its neighbours
CONTACT_SHARPNESS = 1.6  # rate multiplier of the phones that own the lips completely

BILABIALS = frozenset({"p", "b", "m"})
LABIODENTALS = frozenset({"f", "v"})
DIPHTHONG_SPLIT = 0.6


@dataclass(frozen=True)
class Viseme:
    """A phone's articulatory target and dominance.

    Attributes:
        target: (C,) float64 values on :data:`CHANNELS` (jaw in radians, lips in coefficients).
        lip_dominance: α of the lip channels.
        jaw_dominance: α of the jaw channel.
        sharpness: multiplies the rates θ of its dominance functions: a contact that owns the
            lips near its time reaches them only briefly before and after it.
    """

    target: np.ndarray
    lip_dominance: float
    jaw_dominance: float
    sharpness: float = 1.0

    @property
    def dominance(self) -> np.ndarray:
        """(C,) α per channel."""
        alpha = np.full(len(CHANNELS), self.lip_dominance)
        alpha[JAW] = self.jaw_dominance
        return alpha


def _viseme(lips: float, jaw_alpha: float, jaw: float, **lip_targets: float) -> Viseme:
    target = np.zeros(len(CHANNELS))
    target[JAW] = jaw
    for name, value in lip_targets.items():
        target[CHANNEL_INDEX[name]] = value
    sharpness = CONTACT_SHARPNESS if lips >= COMPLETE else 1.0
    return Viseme(target=target, lip_dominance=lips, jaw_dominance=jaw_alpha, sharpness=sharpness)


_CLOSURE = dict(mouth_open=-0.3)  # small overlap of the lip lines: closed whatever the identity
_LABIODENTAL = dict(lower_lip_roll_in=2.3, upper_lip_raise=0.7)

# Monophthongs and the nuclei of diphthongs: vowels own the jaw; rounded vowels hold the lips more.
_VOWELS: dict[str, Viseme] = {
    # open: the jaw drops most
    "aa": _viseme(MEDIUM, STRONG, 0.140, mouth_open=0.70),
    "ae": _viseme(MEDIUM, STRONG, 0.130, mouth_open=0.60, lip_spread=0.40, upper_lip_raise=0.20),
    "ao": _viseme(STRONG, STRONG, 0.125, mouth_open=0.50, lip_pucker=0.50, lip_funnel=0.40),
    # mid
    "ah": _viseme(MEDIUM, STRONG, 0.090, mouth_open=0.50),
    "eh": _viseme(MEDIUM, STRONG, 0.090, mouth_open=0.45, lip_spread=0.30),
    "er": _viseme(STRONG, STRONG, 0.065, mouth_open=0.30, lip_pucker=0.35, lip_funnel=0.30),
    "ow": _viseme(STRONG, STRONG, 0.090, mouth_open=0.40, lip_pucker=0.60, lip_funnel=0.40),
    # close
    "ih": _viseme(MEDIUM, STRONG, 0.045, mouth_open=0.30, lip_spread=0.40),
    "iy": _viseme(MEDIUM, STRONG, 0.030, mouth_open=0.25, lip_spread=0.70),
    "uh": _viseme(STRONG, STRONG, 0.050, mouth_open=0.30, lip_pucker=0.50, lip_funnel=0.30),
    "uw": _viseme(STRONG, STRONG, 0.035, mouth_open=0.20, lip_pucker=1.40, lip_funnel=0.40),
    "ey": _viseme(MEDIUM, STRONG, 0.080, mouth_open=0.40, lip_spread=0.40),
}
# Diphthong -> (nucleus, glide); the glide's target takes over for the phone's last part.
DIPHTHONGS: dict[str, tuple[str, str]] = {
    "aw": ("aa", "uh"), "ay": ("aa", "ih"), "ey": ("ey", "iy"), "ow": ("ow", "uw"),
    "oy": ("ao", "ih"),
}

_CONSONANTS: dict[str, Viseme] = {
    # lips closed and pressed; the jaw nearly closed
    "p": _viseme(COMPLETE, STRONG, 0.0, lip_press=0.70, **_CLOSURE),
    "b": _viseme(COMPLETE, STRONG, 0.0, lip_press=0.60, **_CLOSURE),
    "m": _viseme(COMPLETE, STRONG, 0.0, lip_press=0.45, **_CLOSURE),
    # lower lip tucked under the upper teeth, upper lip lifted
    "f": _viseme(COMPLETE, STRONG, 0.025, **_LABIODENTAL),
    "v": _viseme(COMPLETE, STRONG, 0.030, **_LABIODENTAL),
    # rounded
    "w": _viseme(STRONG, MEDIUM, 0.030, mouth_open=0.10, lip_pucker=1.50, lip_funnel=0.20),
    "r": _viseme(MEDIUM, WEAK, 0.050, mouth_open=0.20, lip_pucker=0.35, lip_funnel=0.20),
    "sh": _viseme(MEDIUM, STRONG, 0.030, mouth_open=0.20, lip_pucker=0.40, lip_funnel=0.60),
    "zh": _viseme(MEDIUM, STRONG, 0.030, mouth_open=0.20, lip_pucker=0.40, lip_funnel=0.60),
    "ch": _viseme(MEDIUM, STRONG, 0.030, mouth_open=0.15, lip_pucker=0.40, lip_funnel=0.60),
    "jh": _viseme(MEDIUM, STRONG, 0.030, mouth_open=0.15, lip_pucker=0.40, lip_funnel=0.60),
    # spread, teeth nearly together (sibilants own the jaw)
    "s": _viseme(MEDIUM, STRONG, 0.020, mouth_open=0.10, lip_spread=0.40),
    "z": _viseme(MEDIUM, STRONG, 0.020, mouth_open=0.10, lip_spread=0.40),
    "y": _viseme(MEDIUM, MEDIUM, 0.030, mouth_open=0.20, lip_spread=0.40),
    # tongue between the teeth: the lips part a little
    "th": _viseme(WEAK, MEDIUM, 0.050, mouth_open=0.30),
    "dh": _viseme(WEAK, MEDIUM, 0.050, mouth_open=0.30),
    # tongue articulations: weak on the lips, weak to medium on the jaw
    "t": _viseme(WEAK, MEDIUM, 0.040, mouth_open=0.20),
    "d": _viseme(WEAK, MEDIUM, 0.040, mouth_open=0.20),
    "n": _viseme(WEAK, MEDIUM, 0.040, mouth_open=0.20),
    "l": _viseme(WEAK, WEAK, 0.050, mouth_open=0.30),
    "k": _viseme(WEAK, WEAK, 0.060, mouth_open=0.25),
    "g": _viseme(WEAK, WEAK, 0.060, mouth_open=0.25),
    "ng": _viseme(WEAK, WEAK, 0.050, mouth_open=0.20),
    "hh": _viseme(FAINT, FAINT, 0.080, mouth_open=0.40),
}

# Silence: the rest pose, jaw closed and the lips lightly together (their lines overlapping a
# little, so that thin-lipped identities close too).
REST = _viseme(MEDIUM, MEDIUM, 0.0, mouth_open=-0.2)


def viseme_segments(label: str) -> tuple[tuple[float, Viseme], ...]:
    """The sub-segments of a phone as (fraction of the phone's duration, viseme), in time order."""
    if label == SILENCE:
        return ((1.0, REST),)
    if label in DIPHTHONGS:
        nucleus, glide = DIPHTHONGS[label]
        return ((DIPHTHONG_SPLIT, _VOWELS[nucleus]), (1.0 - DIPHTHONG_SPLIT, _VOWELS[glide]))
    if label in _VOWELS:
        return ((1.0, _VOWELS[label]),)
    if label in _CONSONANTS:
        return ((1.0, _CONSONANTS[label]),)
    raise ValueError(f"no viseme for phone {label!r}; expected one of {PHONES}")

