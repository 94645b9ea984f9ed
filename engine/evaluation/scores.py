"""Lip-sync scores of one method over a set of clips, against the animator's reference.

A method's mouth on a clip is a :class:`MouthTrack`: opening and (if it has one) lip width per
frame, in millimetres on the built-in head (the model, the reference) or in the method's own 0-1
units (the peers). :func:`score_method` pools a method's tracks over clips:

- frame measures (error, correlation) over all frames of all clips, concatenated;
- event measures (closures, pauses, vowels) over all events of all clips: each clip's rate from
  :mod:`posetalk.evaluation.mouth` weighted by the number of events it scored.

Scores in millimetres (``*_mm``) exist only for methods in millimetres; the correlations, the
rates at the method's own relative threshold (:func:`~posetalk.evaluation.metrics.relative_threshold`)
and the vowel ratio compare every method alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posetalk.animator.segments import long_silences
from posetalk.corpus.timeline import Phone
from posetalk.evaluation.metrics import mean_abs_error, pearson, pooled_rate, relative_threshold
from posetalk.evaluation.mouth import (
    CLOSURE_THRESHOLD_MM,
    MIN_PAUSE_S,
    bilabial_closure_rate,
    closed_in_pauses_rate,
    mouth_measures,
    vowel_openings,
)


@dataclass(frozen=True)
class MouthTrack:
    """A method's mouth on one clip.

    Attributes:
        opening: (L,) float64 mouth opening, mm (``in_mm``) or 0 closed to 1 open.
        width: (L,) float64 lip width, mm or -1 rounded to 1 spread; None if the method has none.
        in_mm: whether the values are millimetres on the built-in head.
    """

    opening: np.ndarray
    width: np.ndarray | None
    in_mm: bool

    def __len__(self) -> int:
        return len(self.opening)

    def first(self, n_frames: int) -> MouthTrack:
        """The first ``n_frames`` frames."""
        width = None if self.width is None else self.width[:n_frames]
        return MouthTrack(self.opening[:n_frames], width, self.in_mm)


def motion_track(exp: np.ndarray, pose: np.ndarray, shape: np.ndarray) -> MouthTrack:
    """The mouth of FLAME-layout motion, exp (L, 50), pose (L, 6), shape (100,), in mm."""
    measures = mouth_measures(exp, pose, shape)
    return MouthTrack(measures.opening, measures.width, in_mm=True)


@dataclass(frozen=True)
class MethodScores:
    """One method's scores over a set of clips (NaN: undefined on these clips; None: the method
    has no such measure).

    Attributes:
        opening_mae_mm: mean |opening − reference opening| over frames, mm.
        width_mae_mm: mean |width − reference width| over frames, mm.
        opening_r: Pearson r of the opening with the reference opening over frames.
        width_r: Pearson r of the lip width with the reference width over frames.
        bilabial_closure_mm: fraction of p/b/m phones during which the opening drops below
            :data:`~posetalk.evaluation.mouth.CLOSURE_THRESHOLD_MM`.
        closed_pauses_mm: fraction of pauses ≥ :data:`~posetalk.evaluation.mouth.MIN_PAUSE_S`
            whose middle stays below that threshold.
        relative_threshold: the method's own closure threshold, 15 % of its 95th-percentile
            opening over all frames (in the method's units).
        bilabial_closure_relative, closed_pauses_relative: the two rates at ``relative_threshold``.
        vowel_ratio: mean opening of open-vowel tokens (aa, ae, ao) over that of close-vowel
            tokens (iy, ih, uw), each token's opening the mean over its frames.
        frames, bilabials, pauses: what the scores were taken over.
    """

    opening_mae_mm: float | None
    width_mae_mm: float | None
    opening_r: float
    width_r: float | None
    bilabial_closure_mm: float | None
    closed_pauses_mm: float | None
    relative_threshold: float
    bilabial_closure_relative: float
    closed_pauses_relative: float
    vowel_ratio: float
    frames: int
    bilabials: int
    pauses: int


def _closure_rate(
    tracks: Sequence[MouthTrack], phone_sets: Sequence[tuple[Phone, ...]], fps: float, threshold: float
) -> tuple[float, int]:
    """(rate, phones scored) of p/b/m closures over all clips: :func:`bilabial_closure_rate` of
    each phone alone is its 0/1 hit (NaN for other phones)."""
    hits = [
        hit
        for track, phones in zip(tracks, phone_sets)
        for phone in phones
        if np.isfinite(hit := bilabial_closure_rate(track.opening, (phone,), fps, threshold))
    ]
    return (float(np.mean(hits)) if hits else float("nan")), len(hits)


def _pauses_rate(
    tracks: Sequence[MouthTrack], phone_sets: Sequence[tuple[Phone, ...]], fps: float, threshold: float
) -> tuple[float, int]:
    """(rate, pauses scored) of closed pauses over all clips: each clip's
    :func:`closed_in_pauses_rate` weighted by its pauses of at least ``MIN_PAUSE_S``."""
    rates = [
        (closed_in_pauses_rate(t.opening, phones, fps, threshold), len(long_silences(phones, len(t) / fps, MIN_PAUSE_S)))
        for t, phones in zip(tracks, phone_sets)
    ]
    return pooled_rate(rates), sum(n for _, n in rates)


def _vowel_ratio(tracks: Sequence[MouthTrack], phone_sets: Sequence[tuple[Phone, ...]], fps: float) -> float:
    open_means, close_means = [], []
    for track, phones in zip(tracks, phone_sets):
        for phone in phones:
            token = vowel_openings(track.opening, (phone,), fps)
            if np.isfinite(token.open_mm):
                open_means.append(token.open_mm)
            if np.isfinite(token.close_mm):
                close_means.append(token.close_mm)
    if not open_means or not close_means or np.mean(close_means) <= 0:
        return float("nan")
    return float(np.mean(open_means) / np.mean(close_means))


def score_method(
    tracks: Sequence[MouthTrack], reference: Sequence[MouthTrack], phone_sets: Sequence[tuple[Phone, ...]],
    fps: float,
) -> MethodScores:
    """Scores of a method's ``tracks`` against the ``reference`` tracks (in mm) on the same clips.

    Args:
        tracks: one track per clip; each is cut to the length of the clip's reference track.
        reference: the animator's tracks, in mm, with widths.
        phone_sets: each clip's phones.
        fps: frame rate of every track.
    """
    if not len(tracks) == len(reference) == len(phone_sets) or not tracks:
        raise ValueError("score_method needs one track, one reference track and one phone set per clip, at least one clip")
    n_frames = [min(len(t), len(r)) for t, r in zip(tracks, reference)]
    tracks = [t.first(n) for t, n in zip(tracks, n_frames)]
    reference = [r.first(n) for r, n in zip(reference, n_frames)]
    in_mm = tracks[0].in_mm
    has_width = tracks[0].width is not None
    if any(t.in_mm != in_mm or (t.width is not None) != has_width for t in tracks):
        raise ValueError("a method's tracks must all share units and all have (or lack) a width")

    opening = np.concatenate([t.opening for t in tracks])
    reference_opening = np.concatenate([r.opening for r in reference])
    width = np.concatenate([t.width for t in tracks]) if has_width else None
    reference_width = np.concatenate([r.width for r in reference])
    threshold = relative_threshold(opening)
    closure_relative, n_bilabials = _closure_rate(tracks, phone_sets, fps, threshold)
    pauses_relative, n_pauses = _pauses_rate(tracks, phone_sets, fps, threshold)
    return MethodScores(
        opening_mae_mm=mean_abs_error(opening, reference_opening) if in_mm else None,
        width_mae_mm=mean_abs_error(width, reference_width) if in_mm and width is not None else None,
        opening_r=pearson(opening, reference_opening),
        width_r=pearson(width, reference_width) if width is not None else None,
        bilabial_closure_mm=_closure_rate(tracks, phone_sets, fps, CLOSURE_THRESHOLD_MM)[0] if in_mm else None,
        closed_pauses_mm=_pauses_rate(tracks, phone_sets, fps, CLOSURE_THRESHOLD_MM)[0] if in_mm else None,
        relative_threshold=threshold,
        bilabial_closure_relative=closure_relative,
        closed_pauses_relative=pauses_relative,
        vowel_ratio=_vowel_ratio(tracks, phone_sets, fps),
        frames=len(opening),
        bilabials=n_bilabials,
        pauses=n_pauses,
    )
