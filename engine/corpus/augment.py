"""Audio augmentation toward real microphones, rooms and channels, keeping phone timelines exact.

Every function takes (S,) float32 audio at 16 kHz and an explicit ``numpy.random.Generator``
that draws whatever parameter is not given, and returns float32 audio. Only
:func:`speed_perturb` and :func:`insert_pauses` change the length; every other function returns
exactly as many samples as it got, aligned sample for sample (zero-phase filters, direct path of a
room response at lag 0, codec delays removed), so the phones stay where they were.
:func:`augment_clip` chains them at random.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from fractions import Fraction

import av
import numpy as np
from scipy.signal import butter, fftconvolve, resample_poly, sosfiltfilt

from posetalk.corpus.timeline import SAMPLE_RATE, SILENCE, Phone, TimedClip
from posetalk.errors import PosetalkError

_N_FFT, _HOP = 512, 128  # 32 ms Hann windows, 8 ms hop: constant overlap-add at 75 % overlap


def _fit(audio: np.ndarray, length: int) -> np.ndarray:
    """``audio`` cut or zero-padded at its end to ``length`` samples, float32."""
    out = np.zeros(length, np.float32)
    n = min(length, len(audio))
    out[:n] = audio[:n]
    return out


def _resample(audio: np.ndarray, ratio: Fraction) -> np.ndarray:
    """Polyphase resampling to ``ratio`` times as many samples (ceil)."""
    return resample_poly(audio, ratio.numerator, ratio.denominator).astype(np.float32)


def _stft(audio: np.ndarray) -> np.ndarray:
    """(S,) -> (frames, 257) complex spectra of centred, periodic-Hann-windowed 512-sample frames."""
    padded = np.pad(audio, _N_FFT // 2, mode="reflect" if len(audio) > _N_FFT // 2 else "constant")
    n_frames = 1 + (len(padded) - _N_FFT) // _HOP
    index = np.arange(_N_FFT)[None, :] + _HOP * np.arange(n_frames)[:, None]
    return np.fft.rfft(padded[index] * np.hanning(_N_FFT + 1)[:-1], axis=1)


def _istft(spectra: np.ndarray, length: int) -> np.ndarray:
    """Inverse of :func:`_stft` by weighted overlap-add (Griffin & Lim 1984, eq. 6), ``length`` samples."""
    window = np.hanning(_N_FFT + 1)[:-1]
    frames = np.fft.irfft(spectra, n=_N_FFT, axis=1) * window
    total = _N_FFT + _HOP * (len(frames) - 1)
    out, weight = np.zeros(total), np.zeros(total)
    for k, frame in enumerate(frames):
        out[k * _HOP:k * _HOP + _N_FFT] += frame
        weight[k * _HOP:k * _HOP + _N_FFT] += window**2
    out = out / np.maximum(weight, 1e-8)
    return _fit(out[_N_FFT // 2:], length)


# --- timing -------------------------------------------------------------------------------------


def speed_perturb(audio: np.ndarray, rng: np.random.Generator, factor: float | None = None) -> tuple[np.ndarray, float]:
    """Speed perturbation as in Ko et al. 2015 ("Audio augmentation for speech recognition"):
    resampling, so tempo and pitch change together.

    Args:
        factor: speed (>1 faster, shorter); drawn uniformly from 0.85-1.15 if not given. Rounded to
            a multiple of 1/100 so the resampling ratio is exact.

    Returns:
        (audio of ceil(S / factor) samples, the factor used): rescale phone times with
        :func:`rescale_phones`.
    """
    factor = float(rng.uniform(0.85, 1.15)) if factor is None else factor
    ratio = Fraction(100, max(1, round(factor * 100)))
    return _resample(audio, ratio), 1.0 / float(ratio)


def rescale_phones(phones: tuple[Phone, ...], factor: float, duration: float) -> tuple[Phone, ...]:
    """Phone times divided by a speed ``factor``, clipped to ``duration`` (s), the last phone
    ending at ``duration``."""
    scaled = [Phone(p.label, min(p.start / factor, duration), min(p.end / factor, duration), p.stress) for p in phones]
    if scaled:
        last = scaled[-1]
        scaled[-1] = Phone(last.label, last.start, duration, last.stress)
    return tuple(scaled)


def _phase_vocoder(audio: np.ndarray, rate: float) -> np.ndarray:
    """Time-stretch to about S / ``rate`` samples keeping pitch: the phase vocoder (Flanagan &
    Golden 1966), magnitudes interpolated between frames and phases advanced by each bin's
    measured instantaneous frequency (Laroche & Dolson 1999)."""
    spectra = _stft(audio)
    spectra = np.concatenate([spectra, np.zeros((1, spectra.shape[1]), complex)])
    expected = 2 * np.pi * _HOP * np.arange(spectra.shape[1]) / _N_FFT
    steps = np.arange(0, len(spectra) - 1, rate)
    phase = np.angle(spectra[0])
    out = np.empty((len(steps), spectra.shape[1]), complex)
    for k, step in enumerate(steps):
        i, frac = int(step), step - int(step)
        magnitude = (1 - frac) * np.abs(spectra[i]) + frac * np.abs(spectra[i + 1])
        out[k] = magnitude * np.exp(1j * phase)
        advance = np.angle(spectra[i + 1]) - np.angle(spectra[i]) - expected
        phase = phase + expected + (advance + np.pi) % (2 * np.pi) - np.pi
    return _istft(out, int(round(len(audio) / rate)))


def pitch_shift(audio: np.ndarray, rng: np.random.Generator, semitones: float | None = None) -> np.ndarray:
    """Pitch (and formants) moved by ``semitones`` (drawn uniformly from -3 to +3 if not given)
    without changing timing: phase-vocoder stretch by 2^(semitones/12), then resampling back to
    the original length."""
    semitones = float(rng.uniform(-3.0, 3.0)) if semitones is None else semitones
    ratio = Fraction(2.0 ** (semitones / 12.0)).limit_denominator(200)
    stretched = _phase_vocoder(audio, 1.0 / float(ratio))
    return _fit(_resample(stretched, 1 / ratio), len(audio))


def vtlp(audio: np.ndarray, rng: np.random.Generator, alpha: float | None = None) -> np.ndarray:
    """Vocal-tract-length perturbation (Jaitly & Hinton 2013): the spectrum's frequency axis warped
    piecewise linearly, f -> alpha f up to F_hi min(alpha, 1) / alpha with F_hi = 4800 Hz, then a
    line to the Nyquist frequency (their eq. 1). Magnitudes are warped, each bin keeps its phase.

    Args:
        alpha: warp factor (>1 moves formants up: a shorter vocal tract); drawn uniformly from
            0.9-1.1 if not given.
    """
    alpha = float(rng.uniform(0.9, 1.1)) if alpha is None else alpha
    nyquist, high = SAMPLE_RATE / 2, 4800.0
    frequencies = np.linspace(0.0, nyquist, _N_FFT // 2 + 1)
    knee = high * min(alpha, 1.0) / alpha
    warped = np.where(
        frequencies <= knee,
        frequencies * alpha,
        nyquist - (nyquist - high * min(alpha, 1.0)) / (nyquist - knee) * (nyquist - frequencies),
    )
    spectra = _stft(audio)
    magnitude = np.stack([np.interp(frequencies, warped, row) for row in np.abs(spectra)])
    return _istft(magnitude * np.exp(1j * np.angle(spectra)), len(audio))


def _merge_silences(phones: list[Phone]) -> tuple[Phone, ...]:
    merged: list[Phone] = []
    for phone in phones:
        if phone.end <= phone.start and merged:
            continue
        if merged and phone.label == SILENCE and merged[-1].label == SILENCE:
            merged[-1] = Phone(SILENCE, merged[-1].start, phone.end)
        else:
            merged.append(phone)
    return tuple(merged)


def insert_pauses(clip: TimedClip, rng: np.random.Generator, count: int | None = None) -> TimedClip:
    """Pauses of 0.05-1.5 s (uniform) inserted inside the clip's silences and at its start and end,
    holding digital silence (half of them) or low white noise (RMS -70 to -45 dBFS).

    TimedClip has no word boundaries, so pauses only go where there is silence already: at a random
    point strictly inside a ``sil`` phone (which grows by the pause) or before the first or after
    the last phone (a new or longer ``sil``). Later phones move by the inserted time.

    Args:
        count: how many pauses (drawn from 1-3 if not given).
    """
    count = int(rng.integers(1, 4)) if count is None else count
    n = len(clip.audio)
    bounds = [(round(p.start * SAMPLE_RATE), round(p.end * SAMPLE_RATE)) for p in clip.phones]
    inside = [(a, b) for p, (a, b) in zip(clip.phones, bounds) if p.label == SILENCE and b - a >= 2]
    insertions: list[tuple[int, int]] = []
    for _ in range(count):
        choice = int(rng.integers(len(inside) + 2))
        if choice == len(inside):
            position = 0
        elif choice == len(inside) + 1:
            position = n
        else:
            a, b = inside[choice]
            position = int(rng.integers(a + 1, b))
        insertions.append((position, int(round(rng.uniform(0.05, 1.5) * SAMPLE_RATE))))
    insertions.sort()
    pieces, previous = [], 0
    for position, length in insertions:
        pieces.append(clip.audio[previous:position])
        level = 0.0 if rng.random() < 0.5 else 10 ** (rng.uniform(-70.0, -45.0) / 20)
        pieces.append((rng.standard_normal(length) * level).astype(np.float32))
        previous = position
    pieces.append(clip.audio[previous:])
    audio = np.concatenate(pieces).astype(np.float32)

    def moved(time: float, sample: int, is_end: bool) -> float:
        # A pause at a phone's start sample goes before it, one at its end sample after it; a pause
        # strictly inside a silence lengthens it.
        shift = sum(length for at, length in insertions if at < sample or (at == sample and not is_end))
        return time + shift / SAMPLE_RATE

    phones = [  # a zero-length phone at an insertion point moves with its start
        Phone(p.label, moved(p.start, a, False), max(moved(p.start, a, False), moved(p.end, b, True)), p.stress)
        for p, (a, b) in zip(clip.phones, bounds)
    ]
    duration = len(audio) / SAMPLE_RATE
    if phones[0].start > 0:
        phones.insert(0, Phone(SILENCE, 0.0, phones[0].start))
    if phones[-1].end < duration:
        phones.append(Phone(SILENCE, phones[-1].end, duration))
    return dataclasses.replace(clip, audio=audio, phones=_merge_silences(phones))


# --- room and noise -----------------------------------------------------------------------------


def room_impulse_response(rng: np.random.Generator, rt60: float | None = None) -> np.ndarray:
    """A synthetic room impulse response at 16 kHz, direct path 1 at sample 0.

    Early reflections: 4-10 impulses of random sign at 1-50 ms. Late reverberation: Gaussian noise
    under an exponential envelope that falls 60 dB in ``rt60`` seconds (Polack's statistical model,
    amplitude exp(-3 ln(10) t / RT60)), starting at 5-20 ms, scaled to a direct-to-reverberant
    energy ratio of 0-12 dB.

    Args:
        rt60: reverberation time in seconds, drawn uniformly from 0.1-0.8 if not given.
    """
    rt60 = float(rng.uniform(0.1, 0.8)) if rt60 is None else rt60
    length = int(rt60 * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    envelope = np.exp(-3.0 * np.log(10.0) * t / rt60)
    onset = rng.uniform(0.005, 0.02)
    tail = rng.standard_normal(length) * envelope * np.clip((t - onset) / 0.005, 0.0, 1.0)
    drr_db = rng.uniform(0.0, 12.0)
    tail *= np.sqrt(10 ** (-drr_db / 10) / max(np.sum(tail**2), 1e-12))
    response = tail
    response[0] = 1.0
    for _ in range(int(rng.integers(4, 11))):
        delay = int(rng.uniform(0.001, 0.05) * SAMPLE_RATE)
        if delay < length:
            response[delay] += rng.choice((-1.0, 1.0)) * rng.uniform(0.1, 0.6) * envelope[delay]
    return response.astype(np.float32)


def reverberate(audio: np.ndarray, rng: np.random.Generator, rt60: float | None = None) -> np.ndarray:
    """``audio`` in a synthetic room (:func:`room_impulse_response`), same length and peak."""
    wet = fftconvolve(audio, room_impulse_response(rng, rt60))[:len(audio)]
    peak = np.max(np.abs(wet))
    return (wet * (np.max(np.abs(audio)) / peak if peak > 0 else 1.0)).astype(np.float32)


def coloured_noise(length: int, rng: np.random.Generator, exponent: float | None = None) -> np.ndarray:
    """Gaussian noise with power spectral density proportional to 1/f^exponent (0 white, 1 pink,
    2 brown, -1 blue; drawn uniformly from -1 to 2 if not given), unit RMS."""
    exponent = float(rng.uniform(-1.0, 2.0)) if exponent is None else exponent
    spectrum = np.fft.rfft(rng.standard_normal(length))
    frequencies = np.fft.rfftfreq(length, 1.0 / SAMPLE_RATE)
    spectrum[1:] *= frequencies[1:] ** (-exponent / 2)
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n=length)
    return (noise / max(np.sqrt(np.mean(noise**2)), 1e-12)).astype(np.float32)


def hum(length: int, rng: np.random.Generator, mains: float | None = None) -> np.ndarray:
    """Mains hum: a 50 or 60 Hz fundamental (drawn if not given, +-0.3 Hz) and its harmonics up to
    1 kHz with random amplitudes falling as 1/k and random phases, unit RMS."""
    mains = float(rng.choice((50.0, 60.0))) if mains is None else mains
    fundamental = mains + rng.uniform(-0.3, 0.3)
    t = np.arange(length) / SAMPLE_RATE
    signal = np.zeros(length)
    for k in range(1, int(1000 // mains) + 1):
        signal += rng.uniform(0.2, 1.0) / k * np.sin(2 * np.pi * k * fundamental * t + rng.uniform(0, 2 * np.pi))
    return (signal / max(np.sqrt(np.mean(signal**2)), 1e-12)).astype(np.float32)


def babble(length: int, rng: np.random.Generator, others: Sequence[np.ndarray]) -> np.ndarray:
    """3-6 talkers at once: clips from ``others`` (16 kHz audio), each from a random offset, looped
    to ``length`` and brought to unit RMS, summed; unit RMS.

    Raises:
        PosetalkError: ``others`` holds no clip with sound.
    """
    voiced = [clip for clip in others if len(clip) and np.any(clip)]
    if not voiced:
        raise PosetalkError("babble noise needs other clips with sound")
    mix = np.zeros(length)
    for _ in range(int(rng.integers(3, 7))):
        clip = voiced[int(rng.integers(len(voiced)))]
        looped = np.resize(np.roll(clip, -int(rng.integers(len(clip)))), length)
        mix += looped / max(np.sqrt(np.mean(looped**2)), 1e-12)
    return (mix / max(np.sqrt(np.mean(mix**2)), 1e-12)).astype(np.float32)


def active_power(audio: np.ndarray) -> float:
    """Mean power of the 20 ms frames within 40 dB of the loudest one: a simple active speech level
    in the spirit of ITU-T P.56, so leading and trailing silence does not lower the SNR's reference."""
    frame = SAMPLE_RATE // 50
    n = max(1, len(audio) // frame)
    powers = np.array([np.mean(audio[k * frame:(k + 1) * frame] ** 2) for k in range(n)])
    active = powers[powers >= powers.max() * 1e-4]
    return float(np.mean(active)) if active.size and powers.max() > 0 else 0.0


def add_noise(
    audio: np.ndarray,
    rng: np.random.Generator,
    others: Sequence[np.ndarray] = (),
    snr_db: float | None = None,
    kind: str | None = None,
) -> np.ndarray:
    """Background noise at a signal-to-noise ratio of ``snr_db`` (drawn uniformly from 5-30 dB if
    not given) against :func:`active_power`.

    Args:
        others: other clips' audio for babble.
        kind: ``coloured``, ``hum`` or ``babble``; drawn if not given (babble 40 % when ``others``
            has clips, hum 20 %, coloured the rest).
    """
    snr_db = float(rng.uniform(5.0, 30.0)) if snr_db is None else snr_db
    if kind is None:
        draw = rng.random()
        kind = "hum" if draw < 0.2 else "babble" if draw < 0.6 and len(others) else "coloured"
    if kind == "coloured":
        noise = coloured_noise(len(audio), rng)
    elif kind == "hum":
        noise = hum(len(audio), rng)
    elif kind == "babble":
        noise = babble(len(audio), rng, others)
    else:
        raise PosetalkError(f"unknown noise kind {kind!r}; expected coloured, hum or babble")
    scale = np.sqrt(active_power(audio) / 10 ** (snr_db / 10))
    return (audio + scale * noise).astype(np.float32)


# --- device and channel -------------------------------------------------------------------------


def gain_and_clip(
    audio: np.ndarray, rng: np.random.Generator, peak_db: float | None = None, soft: bool | None = None
) -> np.ndarray:
    """Input gain and the clipping of a driven microphone preamplifier or converter.

    The audio is scaled so its peak is at ``peak_db`` dBFS (drawn uniformly from -25 to +10 if not
    given), then limited to [-1, 1]: hard clipping, or soft clipping by tanh (``soft``, drawn
    50/50 if not given), which also rounds peaks below full scale.
    """
    peak_db = float(rng.uniform(-25.0, 10.0)) if peak_db is None else peak_db
    soft = bool(rng.random() < 0.5) if soft is None else soft
    peak = np.max(np.abs(audio))
    scaled = audio * (10 ** (peak_db / 20) / peak) if peak > 0 else audio
    return (np.tanh(scaled) if soft else np.clip(scaled, -1.0, 1.0)).astype(np.float32)


def mu_law(audio: np.ndarray) -> np.ndarray:
    """8-bit mu-law companding and expansion (ITU-T G.711, mu = 255) of [-1, 1] audio."""
    mu = 255.0
    compressed = np.sign(audio) * np.log1p(mu * np.abs(np.clip(audio, -1, 1))) / np.log1p(mu)
    quantised = np.round((compressed + 1) * 127.5) / 127.5 - 1
    return (np.sign(quantised) * np.expm1(np.abs(quantised) * np.log1p(mu)) / mu).astype(np.float32)


def telephone(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A narrowband channel: resampled to 8 kHz, band-passed to 300-3400 Hz (ITU-T G.712's
    telephone band; 4th-order Butterworth, zero phase), mu-law coded half of the time, and back to
    16 kHz at the same length."""
    narrow = _resample(audio, Fraction(1, 2))
    narrow = sosfiltfilt(butter(4, (300, 3400), btype="bandpass", fs=8000, output="sos"), narrow)
    if rng.random() < 0.5:
        narrow = mu_law(narrow)
    return _fit(_resample(narrow, Fraction(2)), len(audio))


def low_pass(audio: np.ndarray, rng: np.random.Generator, cutoff: float | None = None) -> np.ndarray:
    """A cheap microphone's or a resampler's top end: 6th-order Butterworth low-pass at ``cutoff``
    Hz (drawn uniformly from 2-7 kHz if not given), zero phase."""
    cutoff = float(rng.uniform(2000.0, 7000.0)) if cutoff is None else cutoff
    return sosfiltfilt(butter(6, cutoff, fs=SAMPLE_RATE, output="sos"), audio).astype(np.float32)


# Lossy codecs through PyAV (FFmpeg): encoder, container and bitrates in kbit/s. The containers
# carry each encoder's delay (LAME's Xing/Info header for MP3, the MP4 edit list for AAC, Ogg's
# pre-skip for Opus) and FFmpeg's decoders remove it, so decoded audio starts at lag 0 (measured;
# tests/test_corpus_augment.py checks it). AAC in raw ADTS would lag by its 1024 priming samples.
CODECS: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "mp3": ("libmp3lame", "mp3", (16, 24, 32, 48)),
    "aac": ("aac", "mp4", (16, 24, 32, 48)),
    "opus": ("libopus", "ogg", (8, 12, 16, 24, 32)),
}


def codec_round_trip(
    audio: np.ndarray, rng: np.random.Generator, codec: str | None = None, kbps: int | None = None
) -> np.ndarray:
    """``audio`` encoded with a lossy ``codec`` of :data:`CODECS` at ``kbps`` (both drawn if not
    given) and decoded, at the same length and alignment."""
    codec = str(rng.choice(list(CODECS))) if codec is None else codec
    if codec not in CODECS:
        raise PosetalkError(f"unknown codec {codec!r}; expected one of {', '.join(CODECS)}")
    encoder, container, rates = CODECS[codec]
    kbps = int(rng.choice(rates)) if kbps is None else kbps
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(encoder, rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = kbps * 1000
        sample_format = stream.codec_context.codec.audio_formats[0].name
        converter = av.AudioResampler(format=sample_format, layout="mono", rate=SAMPLE_RATE)
        samples = np.ascontiguousarray(audio, np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
        frame.rate, frame.pts = SAMPLE_RATE, 0  # timestamps from 0: the MP4 edit list then hides AAC's priming
        for converted in [*converter.resample(frame), *converter.resample(None)]:
            output.mux(stream.encode(converted))
        output.mux(stream.encode(None))
    buffer.seek(0)
    decoded = []
    with av.open(buffer, "r") as source:
        back = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for frame in source.decode(source.streams.audio[0]):
            decoded.extend(chunk.to_ndarray()[0] for chunk in back.resample(frame))
        decoded.extend(chunk.to_ndarray()[0] for chunk in back.resample(None))
    return _fit(np.concatenate(decoded) if decoded else np.zeros(0, np.float32), len(audio))


# --- the chain ----------------------------------------------------------------------------------

# Probability of each step of augment_clip, in chain order: the voice, then the room, the noise
# around it, the device and finally the channel.
PROBABILITIES: dict[str, float] = {
    "speed": 0.5, "pitch": 0.25, "vtlp": 0.3, "pauses": 0.3, "reverb": 0.4, "noise": 0.6,
    "band_limit": 0.3, "gain": 1.0, "codec": 0.3,
}


def augment_clip(clip: TimedClip, rng: np.random.Generator, others: Sequence[np.ndarray] = ()) -> TimedClip:
    """A random chain of the augmentations above, each applied with its :data:`PROBABILITIES`
    entry, in that order (band limiting is the telephone channel 40 % of the time, else a low-pass).
    The phone timeline follows speed changes and inserted pauses exactly.

    Args:
        others: other clips' 16 kHz audio, for babble noise (none: no babble).
    """
    def happens(step: str) -> bool:
        return bool(rng.random() < PROBABILITIES[step])

    if happens("speed"):
        audio, factor = speed_perturb(clip.audio, rng)
        phones = rescale_phones(clip.phones, factor, len(audio) / SAMPLE_RATE)
        clip = dataclasses.replace(clip, audio=audio, phones=phones)
    audio = clip.audio
    if happens("pitch"):
        audio = pitch_shift(audio, rng)
    if happens("vtlp"):
        audio = vtlp(audio, rng)
    clip = dataclasses.replace(clip, audio=audio)
    if happens("pauses"):
        clip = insert_pauses(clip, rng)
    audio = clip.audio
    if happens("reverb"):
        audio = reverberate(audio, rng)
    if happens("noise"):
        audio = add_noise(audio, rng, others)
    if happens("band_limit"):
        audio = telephone(audio, rng) if rng.random() < 0.4 else low_pass(audio, rng)
    if happens("gain"):
        audio = gain_and_clip(audio, rng)
    if happens("codec"):
        audio = codec_round_trip(audio, rng)
    return dataclasses.replace(clip, audio=np.clip(audio, -1.0, 1.0).astype(np.float32))
