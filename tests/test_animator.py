"""The procedural animator: contacts, vowel heights, pauses, anticipation, styles, prosody, blinks."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from posetalk.animator.animate import Animation, animate, blink_curve
from posetalk.animator.coarticulation import articulate
from posetalk.animator.prosody import analyse, frame_energy, yin
from posetalk.animator.segments import frame_centres, silences
from posetalk.animator.style import PRESETS, RANGES, StyleParams, sample_identity, sample_style
from posetalk.animator.visemes import CHANNELS
from posetalk.corpus.timeline import PHONES, SAMPLE_RATE, Phone
from posetalk.evaluation.mouth import (
    CLOSURE_THRESHOLD_MM,
    MouthMeasures,
    bilabial_closure_rate,
    closed_in_pauses_rate,
    labiodental_contact_rate,
    mouth_measures,
    vowel_openings,
)
from posetalk.rig.head.blendshapes import EXPRESSIONS
from tests.animator_clips import SENTENCE, make_clip

FPS = 25
NEUTRAL = PRESETS["neutral"]


def _measures(animation: Animation) -> MouthMeasures:
    return mouth_measures(animation.exp, animation.pose, animation.shape)


def _frame_at(time: float) -> int:
    """The frame whose interval holds ``time``."""
    return math.floor(time * FPS)


@pytest.fixture(scope="module")
def sentence():
    return make_clip(SENTENCE)


@pytest.fixture(scope="module")
def neutral(sentence) -> Animation:
    return animate(sentence, NEUTRAL)


def test_shapes_ranges_and_frame_count(sentence, neutral):
    n_frames = math.floor(sentence.duration * FPS)
    assert neutral.exp.shape == (n_frames, 50) and neutral.exp.dtype == np.float32
    assert neutral.pose.shape == (n_frames, 6) and neutral.pose.dtype == np.float32
    assert neutral.shape.shape == (100,)
    assert np.all(np.isfinite(neutral.exp)) and np.all(np.isfinite(neutral.pose))
    assert np.all(neutral.pose[:, 4:6] == 0.0)  # the jaw only pitches
    assert 0.0 <= neutral.pose[:, 3].min() and neutral.pose[:, 3].max() < 0.25
    assert np.abs(neutral.pose[:, :3]).max() < np.radians(10.0)
    assert np.abs(neutral.exp).max() < 3.0
    odd = make_clip([("aa", 1.03, 1)])  # 25.75 frames -> 25
    assert len(animate(odd, NEUTRAL).exp) == 25


@pytest.mark.parametrize("style_name", ["neutral", "subtle", "expressive", "smiling"])
def test_every_bilabial_closes_and_every_labiodental_touches(sentence, style_name):
    animation = animate(sentence, PRESETS[style_name], seed=3)
    measures = _measures(animation)
    assert bilabial_closure_rate(measures.opening, sentence.phones, FPS) == 1.0
    assert labiodental_contact_rate(measures.labiodental_gap, sentence.phones, FPS) == 1.0


def test_closure_holds_for_short_bilabials_random_identities_and_styles():
    rng = np.random.default_rng(11)
    # 30 ms phones hold no frame centre of their own; bilabials between wide-open vowels.
    spec = [("sil", 0.3), ("aa", 0.2, 1), ("p", 0.03), ("aa", 0.15, 1), ("b", 0.035), ("ae", 0.2, 1),
            ("m", 0.03), ("aa", 0.2, 0), ("f", 0.03), ("ao", 0.2, 1), ("sil", 0.3)]
    clip = make_clip(spec)
    for seed in range(4):
        identity = sample_identity(rng)
        animation = animate(clip, sample_style(rng), seed=seed, identity=identity)
        measures = _measures(animation)
        assert bilabial_closure_rate(measures.opening, clip.phones, FPS) == 1.0
        assert labiodental_contact_rate(measures.labiodental_gap, clip.phones, FPS) == 1.0


def test_open_vowels_open_more_than_close_ones():
    spec = [("sil", 0.3)]
    for vowel in ("aa", "iy", "ae", "ih", "ao", "uw"):
        spec += [("t", 0.06), (vowel, 0.18, 1), ("d", 0.06), ("sil", 0.1)]
    clip = make_clip(spec + [("sil", 0.3)])
    for name in ("neutral", "subtle", "expressive"):
        measures = _measures(animate(clip, PRESETS[name]))
        result = vowel_openings(measures.opening, clip.phones, FPS)
        assert result.open_mm > 1.6 * result.close_mm, name
    neutral = vowel_openings(_measures(animate(clip, NEUTRAL)).opening, clip.phones, FPS)
    subtle = vowel_openings(_measures(animate(clip, PRESETS["subtle"])).opening, clip.phones, FPS)
    expressive = vowel_openings(_measures(animate(clip, PRESETS["expressive"])).opening, clip.phones, FPS)
    assert subtle.open_mm < neutral.open_mm < expressive.open_mm


def test_long_pauses_close_and_stay_still(sentence, neutral):
    measures = _measures(neutral)
    assert closed_in_pauses_rate(measures.opening, sentence.phones, FPS) == 1.0
    mouth = neutral.exp[:, [EXPRESSIONS.index(c) for c in CHANNELS if c != "jaw"]]
    speaking_speed = np.abs(np.diff(neutral.pose[:, :3], axis=0)).mean()
    for start, end in silences(sentence.phones, sentence.duration):
        if end - start < 0.3:
            continue
        middle = np.arange(_frame_at(start + 0.1) + 1, _frame_at(end - 0.1))
        assert np.all(measures.opening[middle] < 0.1)
        assert np.all(np.abs(np.diff(mouth[middle], axis=0)) < 1e-3)
        assert np.all(np.diff(neutral.pose[middle, 3]) == 0.0)
    long_pause = [(s, e) for s, e in silences(sentence.phones, sentence.duration) if 0.4 < e - s and s > 0]
    start, end = long_pause[0]
    middle = np.arange(_frame_at(start + 0.15), _frame_at(end - 0.15))
    assert np.abs(np.diff(neutral.pose[middle, :3], axis=0)).mean() < 0.3 * speaking_speed


def test_short_pauses_may_stay_slightly_open(sentence, neutral):
    measures = _measures(neutral)
    short = [(s, e) for s, e in silences(sentence.phones, sentence.duration) if e - s < 0.3]
    assert short
    for start, end in short:
        frames = np.arange(_frame_at(start), _frame_at(end))
        assert measures.opening[frames].max() < 8.0  # no wide flapping in a breath


def test_lips_move_before_the_sound():
    clip = make_clip([("sil", 0.6), ("aa", 0.3, 1), ("p", 0.08), ("aa", 0.25, 1), ("sil", 0.5)])
    animation = animate(clip, NEUTRAL)
    measures = _measures(animation)
    vowel, closure = clip.phones[1], clip.phones[2]
    centres = frame_centres(len(animation.exp), FPS)
    # The mouth opens for the vowel before its acoustic onset (after a closed, still pause).
    before_vowel = np.flatnonzero(centres < vowel.start)[-1]
    assert measures.opening[before_vowel] > 2.0
    assert measures.opening[: _frame_at(vowel.start - 0.15)].max() < CLOSURE_THRESHOLD_MM
    # The lips close toward the p before it sounds: pressing starts and the opening shrinks.
    press = animation.exp[:, EXPRESSIONS.index("lip_press")]
    before_p = np.flatnonzero(centres < closure.start)[-1]
    in_vowel = (centres >= vowel.start) & (centres < closure.start)
    assert press[before_p] > 0.3
    assert measures.opening[before_p] < 0.7 * measures.opening[in_vowel].max()


def test_articulation_tracks_are_smooth_and_crispness_sharpens_them(sentence):
    n_frames = math.floor(sentence.duration * FPS)
    soft = articulate(sentence.phones, sentence.duration, n_frames, FPS, crispness=0.7)
    crisp = articulate(sentence.phones, sentence.duration, n_frames, FPS, crispness=1.5)
    assert np.abs(np.diff(soft[:, CHANNELS.index("jaw")])).max() < 0.1  # radians per frame
    # sharper dominance holds each target longer: the jaw reaches further toward the targets
    assert np.ptp(crisp[:, 0]) >= np.ptp(soft[:, 0])
    assert np.abs(np.diff(crisp, axis=0)).sum() > np.abs(np.diff(soft, axis=0)).sum()


def test_smiling_raises_the_mouth_corners(sentence, neutral):
    smiling = animate(sentence, PRESETS["smiling"])
    lift = _measures(smiling).corner_lift - _measures(neutral).corner_lift
    assert lift.min() > 1.5  # millimetres, every frame
    frowning = animate(sentence, dataclasses.replace(NEUTRAL, smile=-0.8))
    assert (_measures(frowning).corner_lift - _measures(neutral).corner_lift).max() < -1.5


def test_lively_head_moves_more_than_calm_head(sentence):
    lively = animate(sentence, PRESETS["lively_head"]).pose[:, :3]
    calm = animate(sentence, PRESETS["calm_head"]).pose[:, :3]
    assert np.ptp(lively, axis=0).sum() > 3.0 * np.ptp(calm, axis=0).sum()
    assert np.abs(np.diff(lively, axis=0)).sum() > 3.0 * np.abs(np.diff(calm, axis=0)).sum()
    # still smooth: no frame-to-frame jitter on top of the motion (velocity rarely turns round)
    assert np.abs(np.diff(lively, n=2, axis=0)).max() < np.radians(1.0)
    velocity = np.diff(lively, axis=0)
    moving = np.abs(velocity) > 1e-6
    turns = np.sum((velocity[1:] * velocity[:-1] < 0) & moving[1:] & moving[:-1], axis=0)
    assert np.all(turns / sentence.duration < 5.0)  # per second on each axis; jitter would be ~12


def test_deterministic_for_a_seed(sentence, neutral):
    again = animate(sentence, NEUTRAL, seed=0)
    np.testing.assert_array_equal(again.exp, neutral.exp)
    np.testing.assert_array_equal(again.pose, neutral.pose)
    other = animate(sentence, NEUTRAL, seed=1)
    assert not np.array_equal(other.pose[:, :3], neutral.pose[:, :3])
    np.testing.assert_array_equal(other.pose[:, 3], neutral.pose[:, 3])  # speech is not random


def test_stressed_syllables_nod_the_head():
    flat = [("sil", 0.3)] + [("t", 0.06), ("ah", 0.2, 0), ("sil", 0.1)] * 4 + [("sil", 0.3)]
    stressed = [("sil", 0.3)] + [("t", 0.06), ("ah", 0.2, 1), ("sil", 0.1)] * 4 + [("sil", 0.3)]
    calm = dataclasses.replace(NEUTRAL, head_tempo=0.5)
    a = animate(make_clip(flat), calm).pose[:, 0]
    b = animate(make_clip(stressed), calm).pose[:, 0]
    assert (b - a).max() > np.radians(1.0)  # nods tip the face down (positive pitch)


def test_brows_rise_on_pitch_peaks():
    spec = [("sil", 0.3), ("t", 0.06), ("ah", 0.3, 0), ("n", 0.06), ("aa", 0.3, 1), ("d", 0.06), ("ah", 0.3, 0), ("sil", 0.3)]
    clip = make_clip(spec)
    brows = animate(clip, NEUTRAL).exp[:, EXPRESSIONS.index("brow_raise")]
    peak = clip.phones[4]
    around = np.arange(_frame_at(peak.start - 0.1), _frame_at(peak.end + 0.2))
    assert brows[around].max() > 0.2
    assert brows[: _frame_at(clip.phones[2].end)].max() < 0.05
    quiet = animate(clip, dataclasses.replace(NEUTRAL, brow_activity=0.0)).exp[:, EXPRESSIONS.index("brow_raise")]
    assert np.all(quiet == 0.0)


def test_blinks_follow_the_rate_and_last_about_150_ms():
    times = frame_centres(120 * FPS, FPS)
    curve = blink_curve(times, 20.0, np.random.default_rng(0))
    closed = curve > 0.99
    starts = np.flatnonzero(closed & ~np.roll(closed, 1))
    assert 28 <= len(starts) <= 52  # 40 expected in two minutes
    active = curve > 0.0
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], active.astype(int), [0]]))))[::2]
    assert runs.max() * 1000 / FPS <= 160  # closing and reopening within ~150 ms
    assert curve.min() == 0.0 and curve.max() == 1.0


def test_yin_and_energy_on_tones_and_noise():
    seconds = 1.0
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    n_frames = int(seconds * FPS)
    for f0 in (90.0, 150.0, 260.0):
        tone = 0.5 * np.sin(2 * np.pi * f0 * t) + 0.2 * np.sin(4 * np.pi * f0 * t)
        estimate, aperiodicity = yin(tone, n_frames, FPS)
        inner = slice(2, -2)
        np.testing.assert_allclose(estimate[inner], f0, rtol=0.01)
        assert aperiodicity[inner].max() < 0.1
    sine = 0.5 * np.sin(2 * np.pi * 200.0 * t)
    np.testing.assert_allclose(frame_energy(sine, n_frames, FPS)[2:-2], 20 * np.log10(0.5 / np.sqrt(2)), atol=0.2)
    noise = np.random.default_rng(0).normal(0, 0.1, len(t))
    assert analyse(noise, n_frames, FPS).voiced.mean() < 0.1
    assert analyse(np.zeros(len(t)), n_frames, FPS).voiced.sum() == 0


def test_styles_and_identities():
    rng = np.random.default_rng(4)
    for _ in range(20):
        style = sample_style(rng)
        for field in dataclasses.fields(style):
            low, high = RANGES[field.name]
            assert low <= getattr(style, field.name) <= high
        identity = sample_identity(rng)
        assert identity.shape == (100,) and np.all(identity[12:] == 0.0)
        assert np.abs(identity).max() <= 1.5 and np.abs(identity[:12]).max() > 0
    assert sample_style(np.random.default_rng(9)) == sample_style(np.random.default_rng(9))
    with pytest.raises(ValueError):
        StyleParams(smile=2.0)
    neutral, presets = PRESETS["neutral"], PRESETS
    assert presets["expressive"].mouth_amplitude > neutral.mouth_amplitude
    assert presets["expressive"].brow_activity > neutral.brow_activity
    assert presets["subtle"].mouth_amplitude < neutral.mouth_amplitude
    assert presets["smiling"].smile > neutral.smile
    assert presets["lively_head"].head_amplitude > neutral.head_amplitude > presets["calm_head"].head_amplitude


def test_every_phone_has_a_viseme_and_animates():
    spec = [("sil", 0.3)] + [(phone, 0.08, 1) for phone in PHONES if phone != "sil"] + [("sil", 0.3)]
    clip = make_clip(spec)
    animation = animate(clip, NEUTRAL)
    assert np.all(np.isfinite(animation.exp)) and np.all(np.isfinite(animation.pose))
    gaps = (Phone("aa", 0.2, 0.4, 1), Phone("m", 0.9, 1.0), Phone("aa", 1.0, 1.2, 1))
    gapped = dataclasses.replace(clip, phones=gaps, audio=clip.audio[: int(1.5 * SAMPLE_RATE)])
    measures = _measures(animate(gapped, NEUTRAL))
    assert closed_in_pauses_rate(measures.opening, gaps, FPS) == 1.0  # gaps are silence too
