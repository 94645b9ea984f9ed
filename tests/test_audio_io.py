"""Audio files of any common format, rate and channel count: decoded as recorded, or to 16 kHz mono."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from posetalk.audio.io import decode_audio, load_audio
from posetalk.errors import PosetalkError


def _tone(rate: int, seconds: float, frequency: float, channels: int) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.5 * np.sin(2 * np.pi * frequency * t)
    return np.stack([tone] * channels, axis=1).astype(np.float32)


def _dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize(
    ("suffix", "rate", "channels"),
    [("wav", 44100, 2), ("flac", 48000, 1), ("ogg", 22050, 2), ("wav", 8000, 1), ("mp3", 44100, 2)],
)
def test_formats_and_rates_resample_to_16k_mono(tmp_path: Path, suffix: str, rate: int, channels: int) -> None:
    path = tmp_path / f"tone.{suffix}"
    soundfile.write(path, _tone(rate, 1.5, 440.0, channels), rate)
    audio = load_audio(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(audio.size - 24000) <= 1200  # mp3 adds encoder delay and padding
    assert _dominant_frequency(audio, 16000) == pytest.approx(440.0, abs=2.0)
    assert np.max(np.abs(audio)) == pytest.approx(0.5, abs=0.05)


def test_resampling_removes_content_above_the_new_nyquist(tmp_path: Path) -> None:
    path = tmp_path / "high.wav"
    soundfile.write(path, _tone(48000, 1.0, 12000.0, 1), 48000)  # above 8 kHz: must not alias down
    assert np.max(np.abs(load_audio(path)[400:-400])) < 0.01  # away from the edge transients


def test_channels_are_averaged(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    stereo = np.zeros((16000, 2), np.float32)
    stereo[:, 0] = 0.4
    soundfile.write(path, stereo, 16000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(path), 0.2, atol=1e-6)


def test_not_audio_and_missing(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("these are not samples\n" * 40)
    with pytest.raises(PosetalkError, match="not an audio file"):
        load_audio(text)
    with pytest.raises(PosetalkError, match="no such audio file"):
        load_audio(tmp_path / "absent.wav")


def _write_aac(path: Path, samples: np.ndarray, rate: int) -> None:
    """(S, 2) samples as a stereo AAC file (decoded by FFmpeg, not libsndfile)."""
    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("aac", rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.T), format="fltp", layout="stereo")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)


@pytest.mark.parametrize("suffix", ["wav", "m4a"])
def test_decode_audio_keeps_the_recorded_rate_and_channels(tmp_path: Path, suffix: str) -> None:
    rate = 48000
    stereo = np.concatenate([_tone(rate, 1.0, 300.0, 1), _tone(rate, 1.0, 1200.0, 1)], axis=1)
    path = tmp_path / f"stereo.{suffix}"
    if suffix == "m4a":
        _write_aac(path, stereo, rate)
    else:
        soundfile.write(path, stereo, rate)
    decoded = decode_audio(path)
    assert decoded.rate == rate and decoded.channels == 2
    assert abs(len(decoded.samples) - rate) <= 2048  # AAC adds priming and padding
    middle = decoded.samples[rate // 4 : 3 * rate // 4]
    assert _dominant_frequency(middle[:, 0], rate) == pytest.approx(300, abs=5)
    assert _dominant_frequency(middle[:, 1], rate) == pytest.approx(1200, abs=5)
