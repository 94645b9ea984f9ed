"""Audio augmentation: each transform does what it says on real speech or measurable signals, keeps
length and alignment (or moves the phone timeline exactly), and is seeded."""

from __future__ import annotations

import ctypes.util

import numpy as np
import pytest

from posetalk.corpus import augment
from posetalk.corpus.espeak import espeak
from posetalk.corpus.timeline import SAMPLE_RATE, SILENCE, Phone, TimedClip
from posetalk.errors import PosetalkError

from .test_corpus_tts import assert_covers, assert_energy_lines_up, level_db


@pytest.fixture(scope="module")
def clip() -> TimedClip:
    """Speech to transform (espeak-ng)."""
    if ctypes.util.find_library("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    return espeak().synthesize("Bob, ... mama made a pie. Maybe Bob will be by.", "en-us", "en")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def envelope(audio: np.ndarray) -> np.ndarray:
    """10 ms RMS frames."""
    frame = SAMPLE_RATE // 100
    n = len(audio) // frame
    return np.sqrt(np.mean(audio[:n * frame].reshape(n, frame) ** 2, axis=1))


def best_lag(a: np.ndarray, b: np.ndarray, span: int) -> int:
    """The shift of ``a`` against ``b`` (in samples, -span..span) with the largest correlation."""
    n = min(len(a), len(b)) - 2 * span
    scores = [np.dot(a[span + lag:span + lag + n], b[span:span + n]) for lag in range(-span, span + 1)]
    return int(np.argmax(scores)) - span


def dominant_frequency(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return float(np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)[np.argmax(spectrum)])


def band_power(audio: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    frequencies = np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)
    return float(spectrum[(frequencies >= low) & (frequencies < high)].sum())


def test_speed_by_1_1_shortens_the_audio_and_scales_the_phone_times(clip: TimedClip) -> None:
    audio, factor = augment.speed_perturb(clip.audio, rng(), 1.1)
    assert factor == pytest.approx(1.1)
    assert len(audio) == pytest.approx(len(clip.audio) / 1.1, abs=1)
    phones = augment.rescale_phones(clip.phones, factor, len(audio) / SAMPLE_RATE)
    for before, after in zip(clip.phones[:-1], phones[:-1]):
        assert after.start == pytest.approx(before.start / 1.1) and after.end == pytest.approx(before.end / 1.1)
    faster = TimedClip(audio, phones, clip.source, clip.speaker)
    assert_covers(faster)
    assert_energy_lines_up(faster)
    drawn = augment.speed_perturb(clip.audio, rng(5))
    assert 0.85 <= drawn[1] <= 1.15 and np.array_equal(drawn[0], augment.speed_perturb(clip.audio, rng(5))[0])


def test_pitch_shift_moves_pitch_and_keeps_timing() -> None:
    t = np.arange(SAMPLE_RATE * 2) / SAMPLE_RATE
    gate = ((t > 0.5) & (t < 1.2)).astype(np.float32)
    tone = (0.5 * np.sin(2 * np.pi * 200 * t) * gate).astype(np.float32)
    shifted = augment.pitch_shift(tone, rng(), 3.0)
    assert len(shifted) == len(tone) and shifted.dtype == np.float32
    voiced = slice(int(0.6 * SAMPLE_RATE), int(1.1 * SAMPLE_RATE))
    assert dominant_frequency(shifted[voiced]) == pytest.approx(200 * 2 ** (3 / 12), rel=0.02)
    on = envelope(shifted) > 0.5 * envelope(shifted).max()
    frames = np.nonzero(on)[0]
    assert frames[0] == pytest.approx(50, abs=2) and frames[-1] == pytest.approx(120, abs=2)


def test_pitch_shift_of_speech_keeps_its_envelope(clip: TimedClip) -> None:
    shifted = augment.pitch_shift(clip.audio, rng(), -2.5)
    assert best_lag(envelope(shifted), envelope(clip.audio), 5) == 0
    assert np.corrcoef(envelope(shifted), envelope(clip.audio))[0, 1] > 0.9


def test_vtlp_moves_spectral_energy_with_alpha() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tone = (0.3 * np.sin(2 * np.pi * 2000 * t)).astype(np.float32)
    for alpha in (0.9, 1.1):
        warped = augment.vtlp(tone, rng(), alpha)
        assert len(warped) == len(tone)
        assert dominant_frequency(warped[2000:-2000]) == pytest.approx(2000 * alpha, rel=0.02)


def test_room_impulse_response_decays_by_its_rt60() -> None:
    for rt60 in (0.2, 0.6):
        response = augment.room_impulse_response(rng(), rt60).astype(np.float64)
        assert response[0] == 1.0 and np.argmax(np.abs(response)) == 0
        late = response.copy()
        late[:int(0.05 * SAMPLE_RATE)] = 0
        # Schroeder backward integration; T20 (the -5 to -25 dB slope) extrapolated to 60 dB (ISO 3382).
        decay = 10 * np.log10(np.cumsum(late[::-1] ** 2)[::-1] / np.sum(late**2) + 1e-30)
        t5, t25 = np.argmax(decay < -5), np.argmax(decay < -25)
        assert 3 * (t25 - t5) / SAMPLE_RATE == pytest.approx(rt60, rel=0.2)


def test_reverb_keeps_length_alignment_and_peak(clip: TimedClip) -> None:
    wet = augment.reverberate(clip.audio, rng(2))
    assert len(wet) == len(clip.audio)
    assert np.max(np.abs(wet)) == pytest.approx(np.max(np.abs(clip.audio)), rel=1e-5)
    assert best_lag(wet, clip.audio, 200) == 0


@pytest.mark.parametrize("kind", ["coloured", "hum", "babble"])
def test_noise_is_mixed_at_the_asked_snr(clip: TimedClip, kind: str) -> None:
    others = [np.roll(clip.audio, 4000), clip.audio[::-1].copy()]
    noisy = augment.add_noise(clip.audio, rng(), others, snr_db=10.0, kind=kind)
    assert len(noisy) == len(clip.audio)
    noise = noisy - clip.audio
    snr = 10 * np.log10(augment.active_power(clip.audio) / np.mean(noise**2))
    assert snr == pytest.approx(10.0, abs=0.05)


def test_hum_sits_on_mains_harmonics_and_coloured_noise_has_its_slope() -> None:
    buzz = augment.hum(SAMPLE_RATE * 2, rng(), mains=50.0)
    spectrum = np.abs(np.fft.rfft(buzz)) ** 2
    frequencies = np.fft.rfftfreq(len(buzz), 1 / SAMPLE_RATE)
    strongest = frequencies[np.argsort(spectrum)[-5:]]
    assert np.all(np.abs(strongest / 50 - np.round(strongest / 50)) < 0.02)
    for exponent in (0.0, 1.0, 2.0):
        noise = augment.coloured_noise(SAMPLE_RATE * 4, rng(), exponent)
        ratio = band_power(noise, 200, 400) / band_power(noise, 3200, 6400)
        # Each octave holds 2^(1 - exponent) times the power of the one below: 4 octaves apart.
        assert np.log2(ratio) / 4 == pytest.approx(exponent - 1, abs=0.15)


def test_babble_needs_other_clips() -> None:
    with pytest.raises(PosetalkError, match="other clips"):
        augment.babble(1000, rng(), [])
    with pytest.raises(PosetalkError, match="unknown noise kind"):
        augment.add_noise(np.ones(100, np.float32), rng(), kind="pink")


def test_gain_and_clipping(clip: TimedClip) -> None:
    quiet = augment.gain_and_clip(clip.audio, rng(), peak_db=-20.0, soft=False)
    assert np.max(np.abs(quiet)) == pytest.approx(0.1, rel=1e-4)
    hard = augment.gain_and_clip(clip.audio, rng(), peak_db=6.0, soft=False)
    assert np.max(np.abs(hard)) == 1.0 and np.mean(np.abs(hard) == 1.0) > 0.005
    soft = augment.gain_and_clip(clip.audio, rng(), peak_db=6.0, soft=True)
    assert np.max(np.abs(soft)) < 1.0 and np.max(np.abs(soft)) > 0.9


def test_telephone_band_and_low_pass(clip: TimedClip) -> None:
    narrow = augment.telephone(clip.audio, rng())
    assert len(narrow) == len(clip.audio) and best_lag(narrow, clip.audio, 100) == 0
    for low, high in ((0, 200), (4000, 8000)):
        assert band_power(narrow, low, high) < 1e-3 * band_power(clip.audio, low, high)
    assert band_power(narrow, 500, 3000) > 0.5 * band_power(clip.audio, 500, 3000)
    dull = augment.low_pass(clip.audio, rng(), cutoff=3000.0)
    assert len(dull) == len(clip.audio) and best_lag(dull, clip.audio, 100) == 0
    assert band_power(dull, 5000, 8000) < 1e-4 * band_power(clip.audio, 5000, 8000)


def test_mu_law_round_trip_is_close() -> None:
    signal = np.linspace(-1, 1, 1001, dtype=np.float32)
    assert np.max(np.abs(augment.mu_law(signal) - signal)) < 0.04


@pytest.mark.parametrize("codec", list(augment.CODECS))
def test_codecs_keep_length_and_alignment(clip: TimedClip, codec: str) -> None:
    for kbps in (augment.CODECS[codec][2][0], augment.CODECS[codec][2][-1]):
        decoded = augment.codec_round_trip(clip.audio, rng(), codec, kbps)
        assert len(decoded) == len(clip.audio) and decoded.dtype == np.float32
        assert abs(best_lag(decoded, clip.audio, 1200)) <= 2
        assert np.corrcoef(envelope(decoded), envelope(clip.audio))[0, 1] > 0.95
    with pytest.raises(PosetalkError, match="unknown codec"):
        augment.codec_round_trip(clip.audio, rng(), "flac")


def test_pause_insertion_shifts_later_phones_and_the_pause_is_quiet(clip: TimedClip) -> None:
    longer = augment.insert_pauses(clip, rng(7), count=3)
    assert_covers(longer)
    added = longer.duration - clip.duration
    assert 3 * 0.05 - 1e-9 <= added <= 3 * 1.5 + 1e-9
    speech = [p for p in clip.phones if p.label != SILENCE]
    moved = [p for p in longer.phones if p.label != SILENCE]
    assert [p.label for p in moved] == [p.label for p in speech]
    shifts = [after.start - before.start for before, after in zip(speech, moved)]
    assert all(b >= a - 1e-9 for a, b in zip(shifts, shifts[1:])) and shifts[-1] <= added + 1e-9
    for before, after in zip(speech, moved):  # speech keeps its length and its samples
        assert after.end - after.start == pytest.approx(before.end - before.start, abs=2 / SAMPLE_RATE)
        a, b = round(before.start * SAMPLE_RATE), round(before.end * SAMPLE_RATE)
        c = round(after.start * SAMPLE_RATE)
        assert np.array_equal(longer.audio[c:c + b - a], clip.audio[a:b])
    assert_energy_lines_up(longer)
    assert max(level_db(longer, lambda label: label == SILENCE)) < -40


def test_pauses_go_before_and_after_speech_that_has_no_silence(clip: TimedClip) -> None:
    word = espeak().synthesize("mama", "en-us", "en")
    speech = [p for p in word.phones if p.label != SILENCE]
    a, b = round(speech[0].start * SAMPLE_RATE), round(speech[-1].end * SAMPLE_RATE)
    offset = a / SAMPLE_RATE
    phones = tuple(Phone(p.label, p.start - offset, p.end - offset) for p in speech)
    last = Phone(phones[-1].label, phones[-1].start, (b - a) / SAMPLE_RATE)
    bare = TimedClip(word.audio[a:b], phones[:-1] + (last,), "espeak-ng", "en-us")
    longer = augment.insert_pauses(bare, rng(1), count=4)
    assert_covers(longer)
    assert longer.phones[0].label == SILENCE and longer.phones[-1].label == SILENCE
    assert [p.label for p in longer.phones[1:-1]] == [p.label for p in bare.phones]
    inner = longer.phones[1:-1]
    assert inner[-1].end - inner[0].start == pytest.approx(bare.duration, abs=1e-9)


def test_augment_clip_keeps_the_timeline_and_is_seeded(clip: TimedClip) -> None:
    others = [clip.audio[::-1].copy()]
    lengths = set()
    for seed in range(8):
        augmented = augment.augment_clip(clip, rng(seed), others)
        assert_covers(augmented)
        assert augmented.source == clip.source and augmented.speaker == clip.speaker
        spoken = [p.label for p in augmented.phones if p.label != SILENCE]
        assert spoken == [p.label for p in clip.phones if p.label != SILENCE]
        assert np.all(np.isfinite(augmented.audio))
        again = augment.augment_clip(clip, rng(seed), others)
        assert np.array_equal(again.audio, augmented.audio) and again.phones == augmented.phones
        lengths.add(len(augmented.audio))
    assert len(lengths) > 3
