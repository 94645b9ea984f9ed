"""Decoding audio files: as recorded (their own rate and channels), or to the model's 16 kHz mono float32."""

from __future__ import annotations

from dataclasses import dataclass
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
            resampler = av.AudioResampler(format="fltp", layout=stream.layout)
            chunks = [
                planar.to_ndarray().T
                for frame in container.decode(stream)
                for planar in resampler.resample(frame)
            ]
            chunks += [planar.to_ndarray().T for planar in resampler.resample(None)]
            rate = stream.rate or stream.codec_context.sample_rate
    except (av.error.FFmpegError, ValueError):
        return None
    if not chunks or not rate:
        return None
    return np.concatenate(chunks), rate


@dataclass(frozen=True)
class DecodedAudio:
    """A file's audio as it was recorded: ``samples`` (S, C) float32 at ``rate`` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def channels(self) -> int:
        return self.samples.shape[1]


def decode_audio(path: str | Path) -> DecodedAudio:
    """Read WAV, FLAC, OGG, MP3 (or anything FFmpeg decodes) at its own rate and channels.

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
    samples = samples.astype(np.float32, copy=False)
    if not np.all(np.isfinite(samples)):
        raise PosetalkError(f"{path}: holds NaN or infinite samples")
    return DecodedAudio(samples, int(rate))


def load_audio(path: str | Path, target_rate: int = MODEL_RATE) -> np.ndarray:
    """Read any file :func:`decode_audio` reads as (S,) float32 mono at ``target_rate``.

    Raises:
        PosetalkError: as :func:`decode_audio`.
    """
    decoded = decode_audio(path)
    return resample(to_mono(decoded.samples), decoded.rate, target_rate)
