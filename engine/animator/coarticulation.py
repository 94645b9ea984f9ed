"""Coarticulation: phone targets blended into continuous articulator tracks, then the contacts the
blend cannot guarantee imposed on top.

The blend is Cohen & Massaro's dominance model (M. M. Cohen and D. W. Massaro, "Modeling
coarticulation in synthetic visual speech", in N. Magnenat-Thalmann and D. Thalmann (eds.), *Models
and Techniques in Computer Animation*, Springer, 1993, pp. 139-156). Segment s has, for each
articulatory channel p, a target T_sp and a dominance function

    D_sp(t) = α_sp · exp(−θ_sp · |τ|^c),   τ = t_csp + t_offsp − t,

with θ← (anticipatory, τ > 0: before the segment) and θ→ (carry-over, τ < 0: after it) rates; the
channel is the dominance-weighted mean of all targets,

    F_p(t) = Σ_s D_sp(t) T_sp / Σ_s D_sp(t).

Here c = 1; the peak offset t_off is a lead (the lips move :data:`LIP_LEAD_S` and the jaw
:data:`JAW_LEAD_S` ahead of the sound) and anticipation is slower than carry-over (θ← < θ→), so the
motion toward a phone starts before its acoustic onset. One extension: a segment longer than
2·:data:`CORE_MARGIN_S` holds its peak over a *core* (its interval less that margin at both ends),
τ being measured from the core, so long vowels and pauses hold their targets. Articulation
crispness multiplies every θ, and so does each viseme's sharpness (the contacts' dominance is
strong but brief).

After the blend, three contacts are imposed with smooth weights (1 over a plateau, a raised-cosine
ramp outside it): every p/b/m reaches its full closure (jaw closed, lips pressed, lip lines
overlapping) over the phone, and in at least the frame holding its midpoint; every f/v reaches
the labiodental shape (lower lip rolled in under the upper teeth); every silence of at least
:data:`MIN_PAUSE_S` rests at the closed rest pose (:data:`~posetalk.animator.visemes.REST`: jaw
closed, lips lightly together) except for :data:`PAUSE_SETTLE_S` at each end (none at the clip's
own start and end).

Times are seconds; tracks are sampled at the frame centres of :mod:`posetalk.animator.segments`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk.animator.segments import frame_centres, frames_within, long_silences, silences
from posetalk.animator.signals import plateau_weight
from posetalk.animator.visemes import (
    BILABIALS,
    CHANNEL_INDEX,
    CHANNELS,
    JAW,
    LABIODENTALS,
    REST,
    Viseme,
    viseme_segments,
)
from posetalk.corpus.timeline import SILENCE, Phone

DOMINANCE_EXPONENT = 1.0  # c
CORE_MARGIN_S = 0.03
LIP_LEAD_S = 0.04
JAW_LEAD_S = 0.02
# θ in 1/s: (anticipatory, carry-over), for the lips and for the jaw.
LIP_RATES = (14.0, 24.0)
JAW_RATES = (16.0, 24.0)
CONTACT_RAMP_S = 0.06  # how far before and after a contact the imposed shape fades in and out
MIN_PAUSE_S = 0.3
PAUSE_SETTLE_S = 0.08
# Channels a contact imposes (the others keep their blended values: a rounded m stays rounded).
CLOSURE_CHANNELS = tuple(
    CHANNEL_INDEX[n] for n in ("jaw", "mouth_open", "lip_press", "lip_funnel", "upper_lip_raise")
)
LABIODENTAL_CHANNELS = tuple(
    CHANNEL_INDEX[n]
    for n in ("jaw", "mouth_open", "lip_funnel", "lower_lip_roll_in", "upper_lip_raise")
)
CONTACTS = ((BILABIALS, CLOSURE_CHANNELS), (LABIODENTALS, LABIODENTAL_CHANNELS))


@dataclass(frozen=True)
class Segment:
    """A viseme over [start, end) seconds."""

    start: float
    end: float
    viseme: Viseme


def visemes_in_time(phones: tuple[Phone, ...], duration: float) -> list[Segment]:
    """The segments of a clip: each phone's sub-segments, and the rest pose in every silence
    (``sil`` phones, gaps, before the first and after the last phone)."""
    segments = [Segment(s, e, REST) for s, e in silences(phones, duration)]
    for phone in phones:
        if phone.label == SILENCE:
            continue
        start = phone.start
        for fraction, viseme in viseme_segments(phone.label):
            end = start + fraction * (phone.end - phone.start)
            segments.append(Segment(start, end, viseme))
            start = end
    return sorted(segments, key=lambda s: s.start)


def _log_dominance(segment: Segment, times: np.ndarray, crispness: float) -> np.ndarray:
    """(L, C) log D_sp(t) of one segment at ``times`` (L,) seconds."""
    half = 0.5 * (segment.end - segment.start)
    core = max(0.0, half - CORE_MARGIN_S)
    centre = segment.start + half
    out = np.empty((len(times), len(CHANNELS)))
    alpha = segment.viseme.dominance
    for channel in range(len(CHANNELS)):
        lead = JAW_LEAD_S if channel == JAW else LIP_LEAD_S
        before, after = JAW_RATES if channel == JAW else LIP_RATES
        tau = centre - lead - times  # > 0 before the segment's peak
        distance = np.maximum(np.abs(tau) - core, 0.0) ** DOMINANCE_EXPONENT
        theta = np.where(tau > 0, before, after) * crispness * segment.viseme.sharpness
        out[:, channel] = np.log(alpha[channel]) - theta * distance
    return out


def blend(segments: list[Segment], times: np.ndarray, crispness: float = 1.0) -> np.ndarray:
    """(L, C) channel values F_p(t) = Σ D·T / Σ D at ``times`` (L,) seconds (computed with the
    largest dominance factored out, so far-away segments cannot underflow the sum)."""
    log_d = np.stack([_log_dominance(s, times, crispness) for s in segments])  # (S, L, C)
    weights = np.exp(log_d - log_d.max(axis=0, keepdims=True))
    targets = np.stack([s.viseme.target for s in segments])[:, None, :]  # (S, 1, C)
    return (weights * targets).sum(axis=0) / weights.sum(axis=0)


def _impose(
    tracks: np.ndarray, weight: np.ndarray, target: np.ndarray, channels: tuple[int, ...]
) -> None:
    """Pull ``channels`` of ``tracks`` (L, C) toward ``target`` (C,) with ``weight`` (L,), in place."""
    columns = list(channels)
    tracks[:, columns] += weight[:, None] * (target[columns] - tracks[:, columns])


def _contact_weight(phone: Phone, times: np.ndarray, fps: float) -> np.ndarray:
    """(L,) weight of a contact held over the phone and its midpoint's frame, ramping outside."""
    held = times[frames_within(phone.start, phone.end, len(times), fps)]
    return plateau_weight(
        times, min(phone.start, held.min()), max(phone.end, held.max()), CONTACT_RAMP_S
    )


def articulate(
    phones: tuple[Phone, ...], duration: float, n_frames: int, fps: float,
    crispness: float = 1.0, amplitude: float = 1.0,
) -> np.ndarray:
    """Articulator tracks of a clip, sampled at the frame centres.

    Args:
        phones: the clip's phones (times in seconds).
        duration: the clip's length, seconds.
        n_frames: number of frames L.
        fps: frame rate.
        crispness: multiplies the dominance rates θ (higher: sharper, less coarticulated).
        amplitude: scales the blended excursions (the imposed contacts keep their full shape).
    Returns:
        (L, C) float64 values on :data:`posetalk.animator.visemes.CHANNELS` (jaw in radians).
    """
    times = frame_centres(n_frames, fps)
    if n_frames == 0:
        return np.zeros((0, len(CHANNELS)))
    tracks = amplitude * blend(visemes_in_time(phones, duration), times, crispness)
    for phone in phones:
        for labels, channels in CONTACTS:
            if phone.label in labels and phone.start < n_frames / fps:
                target = viseme_segments(phone.label)[0][1].target
                _impose(tracks, _contact_weight(phone, times, fps), target, channels)
    for start, end in long_silences(phones, duration, MIN_PAUSE_S):
        settle_in = 0.0 if start <= 0.0 else PAUSE_SETTLE_S
        settle_out = 0.0 if end >= duration else PAUSE_SETTLE_S
        weight = plateau_weight(times, start + settle_in, end - settle_out, PAUSE_SETTLE_S)
        _impose(tracks, weight, REST.target, tuple(range(len(CHANNELS))))
    return tracks
