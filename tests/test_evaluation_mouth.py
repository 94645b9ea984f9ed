"""Mouth measures on the posed built-in head and the lip-sync scores built on them."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from posetalk.corpus.timeline import Phone
from posetalk.evaluation.mouth import (
    CLOSURE_THRESHOLD_MM,
    INCISAL_EDGE,
    LEFT_CORNER,
    LOWER_MID,
    RIGHT_CORNER,
    UPPER_MID,
    bilabial_closure_rate,
    closed_in_pauses_rate,
    labiodental_contact_rate,
    lip_landmarks,
    lip_width,
    mouth_measures,
    mouth_opening,
    vowel_openings,
)
from posetalk.rig.flame import flame_vertices
from posetalk.rig.head import built_in_head
from posetalk.rig.head.blendshapes import EXPRESSIONS
from posetalk.rig.head.skin import build_skin

FPS = 25
REST_SHAPE = np.zeros(100)


def _frames(*poses: tuple[dict[str, float], float]) -> tuple[np.ndarray, np.ndarray]:
    """(exp, pose) of frames given as (expression coefficients by name, jaw angle rad)."""
    exp = np.zeros((len(poses), 50))
    pose = np.zeros((len(poses), 6))
    for row, (coefficients, jaw) in enumerate(poses):
        for name, value in coefficients.items():
            exp[row, EXPRESSIONS.index(name)] = value
        pose[row, 3] = jaw
    return exp, pose


def test_landmarks_match_full_posing_of_the_head():
    rng = np.random.default_rng(5)
    exp = rng.normal(size=(3, 50))
    pose = rng.normal(size=(3, 6)) * 0.2
    shape = np.zeros(100)
    shape[:12] = rng.normal(size=12)
    local = pose.copy()
    local[:, :3] = 0.0  # measures live in the head's frame
    full = flame_vertices(built_in_head().model, np.tile(shape, (3, 1)), exp, local)
    skin, _ = build_skin()
    mid = np.argmin(np.abs(skin.vertices[skin.upper_slit, 0]))
    left, right = sorted(skin.corners, key=lambda v: -skin.vertices[v, 0])
    expected = full[:, [skin.upper_slit[mid], skin.lower_slit[mid], left, right]]
    points = lip_landmarks(exp, pose, shape)
    np.testing.assert_allclose(points[:, [UPPER_MID, LOWER_MID, LEFT_CORNER, RIGHT_CORNER]], expected, atol=1e-12)
    # The incisal edge is rigid with the head: identical in every frame of one identity.
    np.testing.assert_allclose(points[:, INCISAL_EDGE], np.broadcast_to(points[0, INCISAL_EDGE], (3, 3)), atol=1e-12)
    assert points[0, INCISAL_EDGE, 2] < points[0, UPPER_MID, 2]  # the teeth sit behind the lips


def test_jaw_and_mouth_open_part_the_lips():
    exp, pose = _frames(({}, 0.0), ({}, 0.05), ({}, 0.1), ({}, 0.2), ({"mouth_open": 1.0}, 0.0))
    opening = mouth_opening(exp, pose, REST_SHAPE)
    assert opening[0] < 0.01  # the rest pose is closed
    assert np.all(np.diff(opening[:4]) > 2.0)  # more jaw, more opening
    assert 12.0 < opening[3] < 30.0  # 0.2 rad is a wide-open mouth, in millimetres
    assert opening[4] > 3.0  # mouth_open parts the lips without the jaw


def test_pressed_lips_measure_closed():
    exp, pose = _frames(({"mouth_open": -0.5, "lip_press": 1.0}, 0.0), ({"chin_raise": 1.0}, 0.0))
    assert np.all(mouth_opening(exp, pose, REST_SHAPE) == 0.0)


def test_width_follows_spread_smile_and_pucker():
    exp, pose = _frames(({}, 0.0), ({"lip_spread": 1.0}, 0.0), ({"smile": 1.0}, 0.0), ({"lip_pucker": 1.0}, 0.0))
    width = lip_width(exp, pose, REST_SHAPE)
    assert 40.0 < width[0] < 60.0
    assert width[1] > width[0] + 4.0 and width[2] > width[0] + 3.0
    assert width[3] < width[0] - 2.0


def test_smile_lifts_and_frown_lowers_the_corners():
    exp, pose = _frames(({}, 0.0), ({"smile": 1.0}, 0.0), ({"frown": 1.0}, 0.0))
    lift = mouth_measures(exp, pose, REST_SHAPE).corner_lift
    assert abs(lift[0]) < 1e-9
    assert lift[1] > 2.0 and lift[2] < -2.0


def test_lower_lip_roll_in_approaches_the_upper_teeth():
    exp, pose = _frames(({}, 0.0), ({"lower_lip_roll_in": 2.0, "upper_lip_raise": 0.6}, 0.02))
    gap = mouth_measures(exp, pose, REST_SHAPE).labiodental_gap
    assert gap[1] < gap[0] - 3.0


def test_global_rotation_does_not_change_the_measures():
    exp, pose = _frames(({"smile": 0.5}, 0.1), ({"lip_pucker": 0.8}, 0.04))
    turned = pose.copy()
    turned[:, :3] = [[0.2, -0.3, 0.1], [-0.1, 0.4, 0.05]]
    a, b = mouth_measures(exp, pose, REST_SHAPE), mouth_measures(exp, turned, REST_SHAPE)
    for field in ("opening", "width", "corner_lift", "labiodental_gap"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), atol=1e-9)


def test_measures_are_fast_on_long_clips():
    rng = np.random.default_rng(0)
    frames = 3000
    start = time.perf_counter()
    measures = mouth_measures(rng.normal(size=(frames, 50)), rng.normal(size=(frames, 6)) * 0.1, REST_SHAPE)
    assert time.perf_counter() - start < 5.0
    assert measures.opening.shape == (frames,) and np.all(np.isfinite(measures.opening))


def _track(length_s: float, *spans: tuple[float, float, float]) -> np.ndarray:
    """(L,) opening mm: 8 mm everywhere except (start, end, value) spans, by frame centre."""
    centres = (np.arange(math.floor(length_s * FPS)) + 0.5) / FPS
    values = np.full(len(centres), 8.0)
    for start, end, value in spans:
        values[(centres >= start) & (centres < end)] = value
    return values


def test_bilabial_closure_rate_counts_phones_closed_within_the_margin():
    phones = (
        Phone("aa", 0.0, 0.3), Phone("m", 0.3, 0.4), Phone("aa", 0.4, 0.7),
        Phone("b", 0.7, 0.76), Phone("aa", 0.76, 1.0), Phone("p", 1.0, 1.08), Phone("aa", 1.08, 1.4),
    )
    # m closed inside it, b closed 20 ms after its end (inside the margin), p never closed.
    opening = _track(1.4, (0.32, 0.36, 0.0), (0.76, 0.80, 0.5))
    assert bilabial_closure_rate(opening, phones, FPS) == pytest.approx(2 / 3)
    assert bilabial_closure_rate(opening, phones, FPS, margin=0.0) == pytest.approx(1 / 3)
    assert math.isnan(bilabial_closure_rate(opening, (Phone("aa", 0.0, 1.4),), FPS))


def test_labiodental_rate_uses_its_own_phones():
    phones = (Phone("aa", 0.0, 0.3), Phone("f", 0.3, 0.4), Phone("v", 0.4, 0.5), Phone("m", 0.5, 0.6))
    gap = _track(0.8, (0.32, 0.36, 2.0))
    assert labiodental_contact_rate(gap, phones, FPS) == pytest.approx(0.5)


def test_pause_rate_scores_the_middle_of_long_silences_only():
    phones = (
        Phone("aa", 0.0, 0.3), Phone("sil", 0.3, 0.8),  # 0.5 s pause: closed in its middle
        Phone("aa", 0.8, 1.0), Phone("sil", 1.0, 1.2),  # 0.2 s: too short to count
        Phone("aa", 1.2, 1.4), Phone("aa", 1.8, 2.0),  # a 0.4 s gap between phones: open
    )
    opening = _track(2.0, (0.36, 0.76, 0.3), (1.0, 1.2, 5.0))
    assert closed_in_pauses_rate(opening, phones, FPS) == pytest.approx(0.5)
    closed = _track(2.0, (0.36, 0.76, 0.3), (1.46, 1.76, 0.0))
    assert closed_in_pauses_rate(closed, phones, FPS) == 1.0
    assert closed_in_pauses_rate(closed, phones, FPS, threshold=0.2) == pytest.approx(0.5)


def test_vowel_openings_average_each_class():
    phones = (Phone("aa", 0.0, 0.2), Phone("iy", 0.2, 0.4), Phone("ae", 0.4, 0.6), Phone("uw", 0.6, 0.62))
    opening = _track(0.8, (0.0, 0.2, 12.0), (0.2, 0.4, 3.0), (0.4, 0.6, 10.0), (0.6, 0.64, 2.0))
    result = vowel_openings(opening, phones, FPS)
    assert result.open_mm == pytest.approx(11.0)
    # the 20 ms uw holds no frame centre: its midpoint's frame counts
    assert result.close_mm == pytest.approx((5 * 3.0 + 2.0) / 6)
    assert result.ordered
    assert CLOSURE_THRESHOLD_MM > 0
