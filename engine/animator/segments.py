"""Frame times and the silent stretches of a phone sequence, shared by the animator and the evaluation.

Frame convention (the engine's): frame f covers the audio [f / fps, (f + 1) / fps) and a clip of
``duration`` seconds has floor(duration · fps) frames. Continuous tracks are sampled at the frame
centres, (f + 0.5) / fps, as :func:`posetalk.corpus.timeline.phone_track` does.
"""

from __future__ import annotations

import math

import numpy as np

from posetalk.corpus.timeline import SILENCE, Phone

# Tolerance (seconds) when comparing phone boundaries, so that float round-off does not split or
# merge silences.
TIME_EPSILON = 1e-6


def frame_count(duration: float, fps: float) -> int:
    """Number of frames of a clip of ``duration`` seconds: floor(duration · fps)."""
    return max(0, math.floor(duration * fps + TIME_EPSILON))


def frame_centres(n_frames: int, fps: float) -> np.ndarray:
    """(n_frames,) float64 seconds: the centre (f + 0.5) / fps of every frame."""
    return (np.arange(n_frames) + 0.5) / fps


def frames_within(start: float, end: float, n_frames: int, fps: float) -> np.ndarray:
    """Indices of the frames whose centre lies in [start, end).

    An interval shorter than a frame may hold no centre; then the frame containing its midpoint is
    returned (clipped to the clip), so every interval owns at least one frame.
    """
    centres = frame_centres(n_frames, fps)
    inside = np.flatnonzero((centres >= start) & (centres < end))
    if len(inside) or n_frames == 0:
        return inside
    frame = min(max(int(math.floor(0.5 * (start + end) * fps)), 0), n_frames - 1)
    return np.array([frame])


def silences(phones: tuple[Phone, ...], duration: float) -> list[tuple[float, float]]:
    """The maximal silent intervals (start, end) in seconds of a clip of ``duration`` seconds.

    Silent are ``sil`` phones, gaps between phones, and the time before the first and after the last
    phone; touching silent pieces are merged into one interval.
    """
    pieces: list[tuple[float, float]] = []
    cursor = 0.0
    for phone in sorted(phones, key=lambda p: p.start):
        if phone.start > cursor + TIME_EPSILON:
            pieces.append((cursor, phone.start))
        if phone.label == SILENCE:
            pieces.append((phone.start, phone.end))
        cursor = max(cursor, phone.end)
    if duration > cursor + TIME_EPSILON:
        pieces.append((cursor, duration))
    merged: list[tuple[float, float]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1] + TIME_EPSILON:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def long_silences(
    phones: tuple[Phone, ...], duration: float, min_length: float
) -> list[tuple[float, float]]:
    """The silent intervals of :func:`silences` lasting at least ``min_length`` seconds."""
    return [(s, e) for s, e in silences(phones, duration) if e - s >= min_length - TIME_EPSILON]
