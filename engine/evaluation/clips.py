"""The real speech ``posetalk eval`` runs on: held-out speakers, a bounded number of clips each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from posetalk.corpus.real_speech import real_speech_clips
from posetalk.corpus.timeline import TimedClip
from posetalk.errors import PosetalkError

Clips = list[tuple[str, TimedClip]]
"""(clip id, clip) pairs."""


def spread(items: Sequence, n: int | None) -> list:
    """At most ``n`` of ``items`` (all for None), evenly spaced from first to last, in order."""
    if n is None or len(items) <= n:
        return list(items)
    if n < 1:
        raise ValueError("spread needs n >= 1")
    return [items[i] for i in np.unique(np.linspace(0, len(items) - 1, n).round().astype(int))]


def real_evaluation_clips(speech_dir: Path, speakers: Sequence[str], per_speaker: int | None) -> dict[str, Clips]:
    """Each speaker's force-aligned clips (:func:`~posetalk.corpus.real_speech.real_speech_clips`),
    at most ``per_speaker`` of them spread evenly over the speaker's recordings (which run in file
    order: for FSDD digit by digit, so a spread keeps every digit).

    Raises:
        PosetalkError: no speech folder, an unknown speaker, or a speaker none of whose clips align.
    """
    if not speakers:
        raise PosetalkError("--speakers names no speaker")
    speech_dir = Path(speech_dir)
    if not speech_dir.is_dir():
        raise PosetalkError(f"{speech_dir}: no such speech folder (pass --speech)")
    by_speaker: dict[str, Clips] = {name: [] for name in speakers}
    for clip_id, clip in real_speech_clips(speech_dir, set(speakers)):
        by_speaker[clip.speaker].append((clip_id, clip))
    empty = [name for name, clips in by_speaker.items() if not clips]
    if empty:
        raise PosetalkError(f"no clip of speaker(s) {', '.join(empty)} in {speech_dir} could be aligned")
    return {name: spread(clips, per_speaker) for name, clips in by_speaker.items()}
