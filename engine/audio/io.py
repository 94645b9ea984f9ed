"""Decoding audio files to 16 kHz mono float32, whatever their format, rate and channel count."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from posetalk.errors import PosetalkError

MODEL_RATE = 16000


def to_mono(samples: np.ndarray) -> np.ndarray:
    """(S,) or (S, C) samples -> (S,) channel mean."""
    return samples if samples.ndim == 1 else samples.mean(axis=1)


def resample(samples: np.ndarray, rate: int, target_rate: int = MODEL_RATE) -> np.ndarray:
    """Band-limited polyphase resampling (Kaiser-windowed FIR) of (S,) samples to ``target_rate``."""
    if rate == target_rate:
        return samples.astype(np.float32, copy=False)
    ratio = Fraction(target_rate, rate)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)


def _decode_soundfile(path: Path) -> tuple[np.ndarray, int] | None:
    import soundfile

    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        return None
    return samples, rate


def _decode_av(path: Path) -> tuple[np.ndarray, int] | None:
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="mono")
            chunks = []
            for frame in container.decode(stream):
                for mono in resampler.resample(frame):
                    chunks.append(mono.to_ndarray()[0])
            for mono in resampler.resample(None):
                chunks.append(mono.to_ndarray()[0])
            rate = stream.rate or stream.codec_context.sample_rate
    except (av.error.FFmpegError, ValueError):
        return None
    if not chunks or not rate:
        return None
    return np.concatenate(chunks)[:, None], rate


def load_audio(path: str | Path, target_rate: int = MODEL_RATE) -> np.ndarray:
    """Read WAV, FLAC, OGG, MP3 (or anything FFmpeg decodes) as (S,) float32 mono at ``target_rate``.

    Raises:
        PosetalkError: the file is missing, not audio, empty or holds non-finite samples.
    """
    path = Path(path)
    if not path.is_file():
        raise PosetalkError(f"{path}: no such audio file")
    decoded = _decode_soundfile(path) or _decode_av(path)
    if decoded is None:
        raise PosetalkError(f"{path}: not an audio file this engine can decode (WAV, FLAC, OGG, MP3, …)")
    samples, rate = decoded
    if samples.size == 0:
        raise PosetalkError(f"{path}: holds no audio samples")
    mono = to_mono(samples.astype(np.float32, copy=False))
    if not np.all(np.isfinite(mono)):
        raise PosetalkError(f"{path}: holds NaN or infinite samples")
    return resample(mono, rate, target_rate)
