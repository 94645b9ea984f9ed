"""Speech front-ends as the stream would run them, for comparing what each carries to real voices.

A stream tick at frame f emits frames [f, f + k) from a model window starting ``revision`` frames
earlier, encoded from the chunk :func:`posetalk.audio.chunks.window_chunk` cuts: left context,
audio heard up to frame f + k plus the lookahead, silence after it. :func:`stream_ticks` lays a
clip's ticks out that way; each front-end turns a clip into (L, D) features of its L frames, the
features of frame f taken from the chunk of the tick that emits it, never from later audio:

- :func:`whisper_features`: a frozen Whisper encoder's states, exactly as the model gets them;
- :func:`mel_chunks`: the log-mel spectrogram of the same chunks, for an encoder learned on it;
- :func:`pocketsphinx_phones`: PocketSphinx's phone recogniser (``allphone`` search with its phone
  language model) on the whole clip, an offline recogniser that hears the future.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from posetalk.audio.chunks import Chunk, context_frames, cut_chunk, frame_sample, window_chunk
from posetalk.audio.whisper import INPUT_RMS, WhisperEncoder, encode_whisper, log_mel
from posetalk.corpus.align import phone_label, phone_timeline
from posetalk.corpus.timeline import SAMPLE_RATE, Phone
from posetalk.pipeline.offline import normalise_audio
from posetalk.stream.config import StreamConfig

MEL_RATE = 100
"""Log-mel columns per second (Whisper's 10 ms hop)."""


@dataclass(frozen=True)
class StreamCut:
    """How the stream cuts its chunks: the model's window and the streaming configuration.

    Attributes:
        n_motions: frames of a model window.
        n_context: frames of left context before the window.
        frames_per_tick: frames a tick emits (k).
        revision: frames of the window before the first emitted one.
        lookahead: samples heard past the last emitted frame.
        fps: motion frames per second.
    """

    n_motions: int
    n_context: int
    frames_per_tick: int
    revision: int
    lookahead: int
    fps: int

    @classmethod
    def of(cls, n_motions: int, n_prev_motions: int, fps: int, config: StreamConfig) -> StreamCut:
        """The cut of a model (window ``n_motions``, prefix ``n_prev_motions``) streamed with ``config``."""
        k = config.frames_per_tick
        return cls(n_motions, context_frames(config.left_context_ms, n_prev_motions, fps), k,
                   max(0, min(config.revision_frames, n_motions - k)),
                   round(config.lookahead_ms / 1000 * SAMPLE_RATE), fps)


@dataclass(frozen=True)
class Tick:
    """Frames [first, first + n_emit) of a clip, emitted from ``chunk``."""

    first: int
    n_emit: int
    chunk: Chunk


def n_frames(n_samples: int, fps: int) -> int:
    """Whole motion frames in ``n_samples`` of audio."""
    return int(n_samples * fps / SAMPLE_RATE)


def stream_ticks(n_samples: int, cut: StreamCut) -> Iterator[Tick]:
    """The ticks of a live stream over a clip of ``n_samples``, in order (the last may emit fewer)."""
    total = n_frames(n_samples, cut.fps)
    for first in range(0, total, cut.frames_per_tick):
        window_first = first - min(cut.revision, first)
        heard = min(n_samples, frame_sample(first + cut.frames_per_tick, cut.fps) + cut.lookahead)
        yield Tick(first, min(cut.frames_per_tick, total - first),
                   window_chunk(window_first, cut.n_motions, cut.n_context, heard, cut.fps))


def heard_audio(audio: np.ndarray) -> np.ndarray:
    """(S,) float32 clip normalised as a whole, as training normalises it."""
    return normalise_audio(torch.from_numpy(np.asarray(audio, np.float32))).numpy()


@torch.inference_mode()
def whisper_features(encoder: WhisperEncoder, audio: np.ndarray, cut: StreamCut, batch_size: int = 32) -> np.ndarray:
    """(L, d_model) float32 Whisper features of a clip's frames as the stream computes them."""
    heard = heard_audio(audio)
    ticks = list(stream_ticks(len(heard), cut))
    out = np.zeros((n_frames(len(heard), cut.fps), encoder.config.d_model), np.float32)
    by_length: dict[int, list[Tick]] = {}
    for tick in ticks:
        by_length.setdefault(tick.chunk.end_frame - tick.chunk.first_frame, []).append(tick)
    for length, group in by_length.items():
        for start in range(0, len(group), batch_size):
            batch = group[start : start + batch_size]
            chunks = torch.from_numpy(np.stack([cut_chunk(heard, tick.chunk, cut.fps) for tick in batch]))
            features = encode_whisper(encoder, chunks, length, cut.fps).numpy()
            for row, tick in enumerate(batch):
                offset = tick.first - tick.chunk.first_frame
                out[tick.first : tick.first + tick.n_emit] = features[row, offset : offset + tick.n_emit]
    return out


def mel_chunks(audio: np.ndarray, cut: StreamCut, n_mels: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """The log-mel spectrogram of each tick's chunk, for an encoder learned on them.

    Chunks cut at the clip's start are shorter; they are padded with silence in front to the full
    length (n_context + n_motions frames), so every chunk has the same shape.

    Returns:
        mels: (T, n_mels, C) float32, C = (n_context + n_motions) · MEL_RATE / fps columns.
        frames: (T, k) int64 index of the chunk's 25-fps position of each emitted frame of the tick
            in the clip; -1 where the tick emits fewer than k.
    """
    heard = heard_audio(audio)
    width = cut.n_context + cut.n_motions
    chunks, frames = [], []
    for tick in stream_ticks(len(heard), cut):
        samples = cut_chunk(heard, tick.chunk, cut.fps)
        padded = np.zeros(frame_sample(width, cut.fps), np.float32)
        padded[len(padded) - len(samples) :] = samples
        chunks.append(padded)
        pad = width - (tick.chunk.end_frame - tick.chunk.first_frame)
        emitted = [pad + tick.first - tick.chunk.first_frame + i for i in range(tick.n_emit)]
        frames.append(emitted + [-1] * (cut.frames_per_tick - tick.n_emit))
    with torch.inference_mode():
        mels = log_mel(torch.from_numpy(np.stack(chunks)) * INPUT_RMS, n_mels).numpy()
    columns = width * MEL_RATE // cut.fps
    return mels[:, :, :columns].astype(np.float32), np.asarray(frames, np.int64)


def pocketsphinx_phones(audio: np.ndarray) -> tuple[Phone, ...]:
    """Consecutive phones PocketSphinx's phone recogniser hears in (S,) 16 kHz audio (peak ≤ 1),
    gaps, silence and noise phones as silence. Needs the ``pocketsphinx`` wheel."""
    from pocketsphinx import Decoder, get_model_path

    model = get_model_path()
    decoder = Decoder(hmm=os.path.join(model, "en-us", "en-us"), allphone=os.path.join(model, "en-us", "en-us-phone.lm.bin"),
                      lw=2.0, beam=1e-20, pbeam=1e-20, samprate=float(SAMPLE_RATE), loglevel="FATAL")
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    segments = [(phone_label(segment.word), segment.start_frame, segment.end_frame + 1) for segment in decoder.seg()]
    return phone_timeline(segments, len(audio) / SAMPLE_RATE)
