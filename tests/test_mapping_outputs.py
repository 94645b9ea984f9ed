"""Parameter mapping: the fitted and the built-in ARKit maps, VRM visemes, head rotation, eyes."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posetalk.errors import PosetalkError
from posetalk.mapping import ARKIT_NAMES, VRM_NAMES, ArkitMap, EyeAnimator, EyeMotion, fit_arkit_map
from posetalk.mapping.builtin import built_in_arkit_map
from posetalk.mapping.fit import expanded_axes, landmarks, target_field
from posetalk.mapping.head import head_rotation
from posetalk.mapping.names import ARKIT_INDEX, VRM_INDEX
from posetalk.mapping.visemes import vrm_from_arkit
from tests.stream_support import FLAME_FIXTURE, synthetic_head


def planted_head(plants: dict[int, tuple[str, float]]):
    """The synthetic head whose expression component k is exactly ``scale`` × the named target."""
    head = synthetic_head()
    bases, unit = landmarks(head)
    axes = {axis.positive: axis for axis in expanded_axes()}
    exprdirs = np.zeros_like(head.exprdirs)
    for component, (name, scale) in plants.items():
        exprdirs[:, :, component] = scale * target_field(axes[name], head.v_template, bases, unit)
    return replace(head, exprdirs=exprdirs)


def test_fit_recovers_planted_targets() -> None:
    head = planted_head({0: ("mouthSmileLeft", 0.5), 1: ("eyeBlinkRight", 1.0), 2: ("browInnerUp", -0.8)})
    matrix = fit_arkit_map(head, "planted").matrix
    assert matrix[ARKIT_INDEX["mouthSmileLeft"], 0] == pytest.approx(0.5, abs=0.02)
    assert matrix[ARKIT_INDEX["mouthFrownLeft"], 0] == pytest.approx(-0.5, abs=0.02)  # its antagonist
    assert matrix[ARKIT_INDEX["eyeBlinkRight"], 1] == pytest.approx(1.0, abs=0.02)
    assert matrix[ARKIT_INDEX["eyeWideRight"], 1] == pytest.approx(-1.0, abs=0.02)
    assert matrix[ARKIT_INDEX["browInnerUp"], 2] == pytest.approx(-0.8, abs=0.02)
    # Nothing else picks the planted components up, and empty components drive nothing.
    others = np.ones(52, bool)
    others[[ARKIT_INDEX[n] for n in ("mouthSmileLeft", "mouthFrownLeft")]] = False
    assert np.abs(matrix[others, 0]).max() < 0.05
    assert np.abs(matrix[:, 3:]).max() == 0


def test_map_applies_jaw_and_clips() -> None:
    arkit_map = ArkitMap(np.zeros((52, 50), np.float32))
    weights = arkit_map.apply(np.zeros(50), np.array([0, 0, 0, 0.175, 0, 0]))
    assert weights[ARKIT_INDEX["jawOpen"]] == pytest.approx(0.5)
    assert weights.min() >= 0 and weights.max() <= 1
    big = ArkitMap(np.full((52, 50), 10, np.float32)).apply(np.ones(50), np.zeros(6))
    assert np.all(big == 1)


def test_map_file_round_trip_and_errors(tmp_path: Path) -> None:
    fitted = fit_arkit_map(synthetic_head(), "synthetic")
    fitted.save(tmp_path / "map.npz")
    loaded = ArkitMap.load(tmp_path / "map.npz")
    np.testing.assert_array_equal(loaded.matrix, fitted.matrix)
    assert loaded.source == "synthetic"
    np.savez(tmp_path / "wrong.npz", matrix=np.zeros((3, 3)), names=np.array(["a"]), source=np.array(""))
    with pytest.raises(PosetalkError, match="wrong.npz"):
        ArkitMap.load(tmp_path / "wrong.npz")


def test_map_fit_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "posetalk", "map", "fit", "--flame", str(FLAME_FIXTURE), "-o", str(tmp_path / "m.npz")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert ArkitMap.load(tmp_path / "m.npz").matrix.shape == (52, 50)


def test_built_in_map_follows_the_authored_components() -> None:
    from posetalk.rig.head.blendshapes import EXPRESSIONS

    matrix = built_in_arkit_map(EXPRESSIONS).matrix
    column = {name: i for i, name in enumerate(EXPRESSIONS)}
    assert matrix[ARKIT_INDEX["mouthSmileLeft"], column["smile_left"]] == 1
    assert matrix[ARKIT_INDEX["mouthSmileRight"], column["smile_left"]] == 0
    assert matrix[ARKIT_INDEX["mouthSmileLeft"], column["smile"]] == 1
    assert matrix[ARKIT_INDEX["mouthSmileRight"], column["smile"]] == 1
    assert matrix[ARKIT_INDEX["jawOpen"], column["mouth_open"]] == 1
    assert matrix[ARKIT_INDEX["cheekPuff"], column["cheek_puff_right"]] == 0.5
    unmapped = {EXPRESSIONS[i] for i in np.flatnonzero(matrix.sum(axis=0) == 0)}
    assert unmapped == {"cheek_suck", "nostril_flare"}


def test_vrm_visemes_from_mouth_shapes() -> None:
    open_mouth = np.zeros(52, np.float32)
    open_mouth[ARKIT_INDEX["jawOpen"]] = 1
    vrm = vrm_from_arkit(open_mouth)
    assert vrm[VRM_INDEX["aa"]] == 1 and vrm[VRM_INDEX["ou"]] == 0
    rounded = np.zeros(52, np.float32)
    rounded[ARKIT_INDEX["mouthPucker"]] = 1
    assert vrm_from_arkit(rounded)[VRM_INDEX["ou"]] == 1
    closed_eyes = np.zeros(52, np.float32)
    closed_eyes[[ARKIT_INDEX["eyeBlinkLeft"], ARKIT_INDEX["eyeBlinkRight"]]] = 1
    assert vrm_from_arkit(closed_eyes)[VRM_INDEX["blink"]] == 1
    assert len(VRM_NAMES) == 18 and len(ARKIT_NAMES) == 52 == len(set(ARKIT_NAMES))


def test_head_rotation_quaternion_and_euler() -> None:
    quaternion, euler = head_rotation(np.array([0.0, np.radians(30), 0.0]))
    np.testing.assert_allclose(quaternion, [0, np.sin(np.radians(15)), 0, np.cos(np.radians(15))], atol=1e-6)
    np.testing.assert_allclose(euler, [0, 30, 0], atol=1e-4)
    _, euler = head_rotation(np.array([np.radians(-10), 0.0, 0.0]))
    np.testing.assert_allclose(euler, [-10, 0, 0], atol=1e-4)
    quaternion, _ = head_rotation(np.array([0.0, 0.0, np.radians(350)]))
    assert quaternion[3] >= 0


def test_procedural_eyes() -> None:
    config = EyeMotion(seed=5)
    eyes = EyeAnimator(config)
    times = np.arange(0, 60, 0.04)
    states = [eyes.at(t) for t in times]
    blink = np.array([s.blink for s in states])
    gaze = np.stack([s.gaze for s in states])
    assert blink.min() == 0 and 0.8 < blink.max() <= 1
    starts = times[1:][(blink[1:] > 0) & (blink[:-1] == 0)]
    gaps = np.diff(starts)
    assert 60 / 6.2 <= len(starts) <= 60 / 2 + 1
    assert gaps.min() >= config.blink_interval[0] + config.blink_duration - 0.05
    assert np.abs(gaze).max() <= config.saccade_range and np.unique(gaze[:, 0]).size > 5
    still = EyeAnimator(EyeMotion(blinks=False, saccades=False))
    assert all(still.at(t).blink == 0 and not still.at(t).gaze.any() for t in times[:100])
