"""Audio features of training windows, computed exactly as the stream computes them.

A training window is a tick of the stream frozen in time: the window starts at frame ``first``,
the stream has heard audio up to sample ``heard_end`` (a few frames plus the lookahead for
streaming ticks, the whole window for offline ones), and the frozen speech encoder sees the chunk
:func:`posetalk.audio.chunks.window_chunk` cuts, silence after what was heard. The features of
the prefix frames come from the same chunk, as in the stream. The encoder is frozen, so each
window's features are computed once and cached (float16).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from posetalk.audio.chunks import cut_chunk, frame_sample, window_chunk
from posetalk.audio.whisper import encode_whisper


@dataclass(frozen=True)
class WindowSample:
    """One training window: sequence index, first frame, heard audio end (samples), frames with
    heard audio (the indicator's ones)."""

    sequence: int
    first: int
    heard_end: int
    n_real: int


@dataclass(frozen=True)
class WindowPlanOptions:
    """How windows are drawn from the sequences.

    Attributes:
        stride: frames between consecutive window starts (with a random offset per sequence).
        streaming_fraction: share of windows cut as live ticks (the rest are offline windows,
            fully heard).
        frames_per_tick: emitted frames of a live tick, drawn uniformly from this range.
        lookahead_ms: heard audio past the emitted frames of a live tick, drawn from this range.
    """

    stride: int = 6
    streaming_fraction: float = 0.6
    frames_per_tick: tuple[int, int] = (1, 4)
    lookahead_ms: tuple[float, float] = (40.0, 120.0)


def plan_windows(
    n_samples: Sequence[int], n_motions: int, fps: int, options: WindowPlanOptions, rng: np.random.Generator
) -> list[WindowSample]:
    """Window samples over sequences of ``n_samples[i]`` audio samples each."""
    samples = []
    for index, length in enumerate(n_samples):
        n_frames = int(length * fps / 16000)
        for first in range(int(rng.integers(0, options.stride)) if n_frames > n_motions else 0, max(1, n_frames - 1), options.stride):
            if rng.random() < options.streaming_fraction:
                k = int(rng.integers(options.frames_per_tick[0], options.frames_per_tick[1] + 1))
                lookahead = round(rng.uniform(*options.lookahead_ms) / 1000 * 16000)
                heard_end = min(length, frame_sample(first + k, fps) + lookahead)
            else:
                heard_end = min(length, frame_sample(first + n_motions, fps))
            n_real = min(n_motions, max(0, int(heard_end * fps / 16000) - first))
            samples.append(WindowSample(index, first, heard_end, n_real))
    return samples


@torch.inference_mode()
def encode_windows(
    encoder: torch.nn.Module,
    audios: Sequence[np.ndarray],
    samples: Sequence[WindowSample],
    n_prev: int,
    n_motions: int,
    n_context: int,
    fps: int,
    batch_size: int = 64,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """(N, n_prev + n_motions, d_encoder) float16 encoder features of each window's prefix and
    frames (zeros for prefix frames before the start of the sequence).

    Args:
        encoder: the frozen Whisper encoder (eval mode).
        audios: (S_i,) normalised audio of each sequence.
        samples: the windows.
        n_context: frames of left context the stream gives the encoder.
        on_batch: called with the number of windows after each encoder batch.
    """
    chunks = [window_chunk(s.first, n_motions, n_context, s.heard_end, fps) for s in samples]
    groups: dict[int, list[int]] = defaultdict(list)
    for i, chunk in enumerate(chunks):
        groups[chunk.end_frame - chunk.first_frame].append(i)
    width = encoder.config.d_model
    out = np.zeros((len(samples), n_prev + n_motions, width), np.float16)
    for n_frames, members in groups.items():
        for start in range(0, len(members), batch_size):
            batch = members[start : start + batch_size]
            audio = np.stack([cut_chunk(audios[samples[i].sequence], chunks[i], fps) for i in batch])
            features = encode_whisper(encoder, torch.from_numpy(audio), n_frames, fps).numpy()
            for row, i in enumerate(batch):
                offset = samples[i].first - chunks[i].first_frame
                have = min(n_prev, offset)
                out[i, n_prev - have :] = features[row, offset - have : offset + n_motions]
            if on_batch is not None:
                on_batch(len(batch))
    return out
