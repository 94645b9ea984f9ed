"""The audio chunk a window's features are computed from, as the stream cuts it.

A window of ``n_motions`` frames starting at frame ``first`` is encoded from the audio of frames
[first - context, first + n_motions) (clipped at 0), where only samples before ``heard_end`` are
real and the rest is silence: the stream has not heard them yet (or the clip has ended). The
stream (:mod:`posetalk.stream.generator`), offline inference of models whose encoder sees
chunks (Whisper) and training (:mod:`posetalk.training.features`) all cut chunks here, so a model
is trained on exactly the features it gets live.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Chunk:
    """Frames [first_frame, end_frame) of audio, of which samples before ``heard_end`` (absolute) are real."""

    first_frame: int
    end_frame: int
    heard_end: int


def frame_sample(frame: int, fps: int) -> int:
    """First sample of motion frame ``frame`` (frame f covers [f·spf, (f+1)·spf))."""
    return round(frame * SAMPLE_RATE / fps)


def context_frames(left_context_ms: float, n_prev_motions: int, fps: int) -> int:
    """Frames of audio before a window's first new frame given to the encoder (at least the prefix)."""
    return max(n_prev_motions, math.ceil(left_context_ms / 1000 * fps))


def window_chunk(first: int, n_motions: int, n_context: int, heard_end: int, fps: int) -> Chunk:
    """The chunk for a window at ``first`` when audio up to sample ``heard_end`` has been heard."""
    end = max(first + n_motions, math.ceil(heard_end * fps / SAMPLE_RATE))
    return Chunk(max(0, first - n_context), end, heard_end)


def trim_unheard(chunk: Chunk, unheard_frames: int, fps: int) -> Chunk:
    """``chunk`` ending at most ``unheard_frames`` frames after the frame holding its last heard sample."""
    heard_frames = math.ceil(chunk.heard_end * fps / SAMPLE_RATE)
    return replace(chunk, end_frame=min(chunk.end_frame, max(chunk.first_frame + 1, heard_frames + unheard_frames)))


def read_chunk(read: Callable[[int, int], np.ndarray], chunk: Chunk, fps: int) -> np.ndarray:
    """(S_chunk,) float32 samples of ``chunk``: ``read(a, b)`` gives the heard samples [a, b)
    (b ≤ chunk.heard_end), silence after heard_end."""
    start, stop = frame_sample(chunk.first_frame, fps), frame_sample(chunk.end_frame, fps)
    out = np.zeros(stop - start, np.float32)
    real = max(0, min(chunk.heard_end, stop) - start)
    if real:
        out[:real] = read(start, start + real)
    return out


def cut_chunk(heard: np.ndarray, chunk: Chunk, fps: int) -> np.ndarray:
    """:func:`read_chunk` from ``heard``, the normalised audio from sample 0 (at least up to
    chunk.heard_end, or all of it, a clip's end)."""
    return read_chunk(lambda a, b: heard[a:b], replace(chunk, heard_end=min(chunk.heard_end, len(heard))), fps)
