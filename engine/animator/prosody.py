"""Prosody from the audio and the phones, and the head and brow motion it drives.

Analysis (at the frame centres of :mod:`posetalk.animator.segments`, 40 ms windows):

- energy: RMS level in dB re full scale;
- pitch: YIN (A. de Cheveigné and H. Kawahara, "YIN, a fundamental frequency estimator for speech
  and music", J. Acoust. Soc. Am. 111(4), 2002): the difference function (their eq. 6), its
  cumulative-mean normalisation (eq. 8), the absolute threshold (step 4) and parabolic
  interpolation (step 5), over a 25 ms integration window and periods of 1/400 to 1/60 s;
- voicing: YIN's aperiodicity below :data:`VOICING_APERIODICITY` in a frame loud enough;
- stress: from the phones' lexical stress, or, where it is unknown, from how loud each vowel is
  compared with the clip's other vowels.

Motion, in the head's frame (x the subject's left, y up, the face along +z; a positive rotation
about x tips the face down):

- nods on stressed syllables (down and back, starting just before the vowel);
- slow drift: band-limited noise on the three axes whose clock runs only while speaking, so the
  head is still in long pauses;
- tilt with pitch: the head rises slightly on high pitch, the pitch contour held through pauses;
- brow raises on the clip's pitch peaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk.animator.segments import frame_centres, frames_within, long_silences
from posetalk.animator.signals import gaussian_smooth, plateau_weight, pulse, smooth_noise
from posetalk.corpus.timeline import SAMPLE_RATE, VOWELS, Phone

WINDOW_S = 0.040
SILENT_DB = -100.0
# YIN
INTEGRATION_S = 0.025
F0_MIN_HZ = 60.0
F0_MAX_HZ = 400.0
YIN_THRESHOLD = 0.15
VOICING_APERIODICITY = 0.35
VOICING_FLOOR_DB = -50.0  # absolute level below which nothing is voiced
VOICING_RANGE_DB = 35.0  # ... nor anything this far below the clip's loudest frame
# Stress
UNKNOWN_STRESS_SPREAD_DB = 6.0  # a vowel this much louder than the median vowel is fully stressed
LEXICAL_STRESS = {0: 0.0, 1: 1.0, 2: 0.5}
# Head motion (radians at head_amplitude 1)
NOD_RAD = np.radians(1.8)
NOD_LEAD_S = 0.08  # nods start this long before the stressed vowel
NOD_RISE_S = 0.2
NOD_FALL_S = 0.4
DRIFT_RAD = np.radians([1.2, 2.0, 0.8])  # RMS on pitch (x), yaw (y), roll (z)
DRIFT_BAND_HZ = (0.08, 0.35)  # at head_tempo 1
DRIFT_COMPONENTS = 4
TILT_RAD_PER_SEMITONE = np.radians(0.35)
TILT_LIMIT_RAD = np.radians(3.0)
TILT_SMOOTH_S = 0.12
STILL_PAUSE_S = 0.3  # pauses at least this long hold the head still
STILL_RAMP_S = 0.25
# Brows
BROW_PEAK_SEMITONES = 1.5  # a pitch peak this far above the clip's median raises the brows
BROW_FULL_SEMITONES = 5.0  # ... fully at this height
BROW_MIN_GAP_S = 0.6
BROW_RISE_S = 0.12
BROW_FALL_S = 0.45
PITCH_SMOOTH_S = 0.06


@dataclass(frozen=True)
class Prosody:
    """Per-frame prosody of a clip, all (L,).

    Attributes:
        energy_db: RMS level, dB re full scale (:data:`SILENT_DB` for digital silence).
        f0_hz: fundamental frequency, 0 where unvoiced.
        voiced: bool.
        aperiodicity: YIN's minimum normalised difference (0 periodic .. about 1 noise).
    """

    energy_db: np.ndarray
    f0_hz: np.ndarray
    voiced: np.ndarray
    aperiodicity: np.ndarray


def _windows(audio: np.ndarray, n_frames: int, fps: float, length: int) -> np.ndarray:
    """(L, length) samples starting half an analysis window before each frame centre (zero-padded)."""
    starts = np.round(frame_centres(n_frames, fps) * SAMPLE_RATE).astype(np.int64)
    starts -= int(round(WINDOW_S * SAMPLE_RATE / 2))
    padded = np.concatenate([np.zeros(length), audio.astype(np.float64), np.zeros(length)])
    index = starts[:, None] + length + np.arange(length)[None]
    return padded[index]


def frame_energy(audio: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """(L,) RMS level (dB re full scale) of the 40 ms window centred on each frame."""
    windows = _windows(audio, n_frames, fps, int(round(WINDOW_S * SAMPLE_RATE)))
    rms = np.sqrt(np.mean(windows**2, axis=1))
    return np.where(rms > 0, 20.0 * np.log10(np.maximum(rms, 1e-12)), SILENT_DB)


def yin(audio: np.ndarray, n_frames: int, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """YIN pitch (de Cheveigné & Kawahara 2002) at each frame centre.

    Returns:
        f0: (L,) Hz of the best period (of every frame, voiced or not).
        aperiodicity: (L,) the normalised difference d'(τ) at that period.
    """
    width = int(round(INTEGRATION_S * SAMPLE_RATE))
    max_lag = int(np.ceil(SAMPLE_RATE / F0_MIN_HZ))
    min_lag = int(np.floor(SAMPLE_RATE / F0_MAX_HZ))
    frames = _windows(audio, n_frames, fps, width + max_lag + 1)
    size = 1 << int(np.ceil(np.log2(2 * frames.shape[1])))
    head = np.fft.rfft(frames[:, :width], size)
    whole = np.fft.rfft(frames, size)
    lags = np.arange(max_lag + 1)
    correlation = np.fft.irfft(np.conj(head) * whole, size)[:, lags]  # r_t(τ), eq. 1
    energy = np.cumsum(np.concatenate([np.zeros((n_frames, 1)), frames**2], axis=1), axis=1)
    shifted = energy[:, lags + width] - energy[:, lags]  # Σ_{j=τ}^{τ+W-1} x_j²
    difference = np.maximum(shifted[:, :1] + shifted - 2.0 * correlation, 0.0)  # eq. 7
    running = np.cumsum(difference[:, 1:], axis=1) / lags[1:]
    normalised = np.ones_like(difference)  # eq. 8, d'(0) = 1; and 1 (aperiodic) for silence
    normalised[:, 1:] = np.where(running > 0, difference[:, 1:] / np.maximum(running, 1e-300), 1.0)
    search = normalised[:, min_lag : max_lag + 1]
    below = search < YIN_THRESHOLD
    # First dip under the threshold, then down to its local minimum (step 4); else the global one.
    first = np.where(below.any(axis=1), below.argmax(axis=1), search.argmin(axis=1))
    best = first.copy()
    for row in np.flatnonzero(below.any(axis=1)):
        k = first[row]
        while k + 1 < search.shape[1] and search[row, k + 1] < search[row, k]:
            k += 1
        best[row] = k
    lag = best + min_lag
    rows = np.arange(n_frames)
    left = normalised[rows, np.maximum(lag - 1, 1)]
    centre = normalised[rows, lag]
    right = normalised[rows, np.minimum(lag + 1, max_lag)]
    curvature = left - 2.0 * centre + right
    offset = np.where(curvature > 1e-12, 0.5 * (left - right) / np.maximum(curvature, 1e-12), 0.0)
    period = lag + np.clip(offset, -0.5, 0.5)  # step 5
    return SAMPLE_RATE / period, centre


def analyse(audio: np.ndarray, n_frames: int, fps: float) -> Prosody:
    """:class:`Prosody` of ``audio`` (S,) 16 kHz mono at ``n_frames`` frames of ``fps``."""
    energy = frame_energy(audio, n_frames, fps)
    f0, aperiodicity = yin(audio, n_frames, fps)
    loudest = energy.max(initial=SILENT_DB)
    loud_enough = (energy > VOICING_FLOOR_DB) & (energy > loudest - VOICING_RANGE_DB)
    voiced = loud_enough & (aperiodicity < VOICING_APERIODICITY)
    return Prosody(
        energy_db=energy, f0_hz=np.where(voiced, f0, 0.0), voiced=voiced, aperiodicity=aperiodicity
    )


@dataclass(frozen=True)
class StressEvent:
    """A stressed syllable: its vowel's start (seconds) and strength in [0, 1]."""

    time: float
    strength: float


def stress_events(
    phones: tuple[Phone, ...], energy_db: np.ndarray, fps: float
) -> list[StressEvent]:
    """Stressed vowels: lexical stress where the phones carry it (primary 1, secondary 0.5);
    otherwise the vowel's peak level above the median vowel's, full at
    :data:`UNKNOWN_STRESS_SPREAD_DB`."""
    vowels = [p for p in phones if p.label in VOWELS and p.start < len(energy_db) / fps]
    peaks = np.array(
        [energy_db[frames_within(p.start, p.end, len(energy_db), fps)].max() for p in vowels]
    )
    median = float(np.median(peaks)) if len(peaks) else 0.0
    events = []
    for phone, peak in zip(vowels, peaks, strict=True):
        if phone.stress in LEXICAL_STRESS:
            strength = LEXICAL_STRESS[phone.stress]
        else:
            strength = float(np.clip((peak - median) / UNKNOWN_STRESS_SPREAD_DB, 0.0, 1.0))
        if strength > 0:
            events.append(StressEvent(phone.start, strength))
    return events


def speaking(phones: tuple[Phone, ...], duration: float, times: np.ndarray) -> np.ndarray:
    """(L,) 1 while speaking, easing to 0 inside pauses of at least :data:`STILL_PAUSE_S` (over
    :data:`STILL_RAMP_S`, or a third of a shorter pause, at each end)."""
    activity = np.ones(len(times))
    for start, end in long_silences(phones, duration, STILL_PAUSE_S):
        ease = min(STILL_RAMP_S, (end - start) / 3.0)
        ease_in = 0.0 if start <= 0.0 else ease
        ease_out = 0.0 if end >= duration else ease
        quiet = plateau_weight(times, start + ease_in, end - ease_out, ease)
        activity = np.minimum(activity, 1.0 - quiet)
    return activity


def semitones(prosody: Prosody, activity: np.ndarray) -> np.ndarray:
    """(L,) pitch in semitones re the clip's median voiced F0: unvoiced frames filled by linear
    interpolation, held where the speaker is quiet (``activity`` (L,) near 0); zeros when nothing
    is voiced."""
    voiced = np.flatnonzero(prosody.voiced)
    if len(voiced) == 0:
        return np.zeros(len(activity))
    tones = 12.0 * np.log2(prosody.f0_hz[voiced] / np.median(prosody.f0_hz[voiced]))
    contour = np.interp(np.arange(len(activity)), voiced, tones)
    held = contour.copy()
    for frame in range(1, len(held)):  # first-order hold, weighted by how much is being said
        held[frame] = held[frame - 1] + activity[frame] * (contour[frame] - held[frame - 1])
    return held


def head_rotation(
    prosody: Prosody, phones: tuple[Phone, ...], duration: float, fps: float,
    rng: np.random.Generator, amplitude: float = 1.0, tempo: float = 1.0,
) -> np.ndarray:
    """(L, 3) head rotation, axis-angle radians (a few degrees): nods + drift + pitch tilt.

    ``amplitude`` scales it all, ``tempo`` the drift's frequencies.
    """
    n_frames = len(prosody.energy_db)
    times = frame_centres(n_frames, fps)
    activity = speaking(phones, duration, times)
    rotation = np.zeros((n_frames, 3))
    for event in stress_events(phones, prosody.energy_db, fps):
        peak = event.time - NOD_LEAD_S + NOD_RISE_S
        rotation[:, 0] += NOD_RAD * event.strength * pulse(times, peak, NOD_RISE_S, NOD_FALL_S)
    clock = np.concatenate([[0.0], np.cumsum(activity[1:]) / fps])  # runs only while speaking
    low, high = DRIFT_BAND_HZ
    for axis in range(3):
        noise = smooth_noise(clock, rng, low * tempo, high * tempo, DRIFT_COMPONENTS)
        rotation[:, axis] += DRIFT_RAD[axis] * noise
    tones = gaussian_smooth(semitones(prosody, activity), TILT_SMOOTH_S * fps)
    rotation[:, 0] -= np.clip(TILT_RAD_PER_SEMITONE * tones, -TILT_LIMIT_RAD, TILT_LIMIT_RAD)
    return amplitude * rotation


def brow_activity(
    prosody: Prosody, phones: tuple[Phone, ...], duration: float, fps: float
) -> np.ndarray:
    """(L,) brow raise in [0, 1]: a pulse on each pitch peak of the clip at least
    :data:`BROW_PEAK_SEMITONES` above its median F0 (peaks at least :data:`BROW_MIN_GAP_S` apart,
    the highest kept first), growing to 1 at :data:`BROW_FULL_SEMITONES`."""
    n_frames = len(prosody.energy_db)
    times = frame_centres(n_frames, fps)
    activity = speaking(phones, duration, times)
    tones = gaussian_smooth(semitones(prosody, activity), PITCH_SMOOTH_S * fps)
    inner = tones[1:-1]
    peaks = np.flatnonzero(
        (inner > tones[:-2]) & (inner >= tones[2:]) & (inner > BROW_PEAK_SEMITONES)
        & prosody.voiced[1:-1]
    ) + 1
    brows = np.zeros(n_frames)
    kept: list[float] = []
    for frame in peaks[np.argsort(-tones[peaks])]:
        if all(abs(times[frame] - other) >= BROW_MIN_GAP_S for other in kept):
            kept.append(times[frame])
            height = np.clip(tones[frame] / BROW_FULL_SEMITONES, 0.0, 1.0)
            brows = np.maximum(brows, height * pulse(times, times[frame], BROW_RISE_S, BROW_FALL_S))
    return brows
