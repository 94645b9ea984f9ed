"""Resampling motion to other frame rates and interpolating live frames."""

from __future__ import annotations

import numpy as np

from posetalk.render.motion import FrameInterpolator, PlaybackClock, resample
from posetalk.render.shaders import shader_source
from posetalk.stream.frame import Frame


def test_resample_keeps_duration_and_interpolates_linearly():
    ramp = np.arange(50, dtype=np.float64)[:, None] * [1.0, -2.0]  # 2 s at 25 fps
    out = resample(ramp, 25, 30)
    assert out.shape == (60, 2)
    times = np.arange(60) / 30
    np.testing.assert_allclose(out[:, 0], np.minimum(times * 25, 49), atol=1e-9)
    np.testing.assert_allclose(out[:, 1], -2 * out[:, 0])
    np.testing.assert_array_equal(resample(ramp, 25, 25), ramp)


def _frame(seq: int, value: float) -> Frame:
    return Frame(seq, seq / 25, 100.0 + seq / 25, np.full(50, value), np.full(6, value),
                 np.zeros(100))


def test_interpolator_blends_neighbours_and_holds_the_last_frame():
    motion = FrameInterpolator()
    assert motion.sample(0.0) is None
    motion.push(_frame(0, 0.0))
    motion.push(_frame(1, 1.0))
    exp, pose, _ = motion.sample(0.5 / 25)
    np.testing.assert_allclose(exp, 0.5)
    np.testing.assert_allclose(pose, 0.5)
    exp, _, _ = motion.sample(10.0)
    np.testing.assert_allclose(exp, 1.0)
    motion.push(_frame(0, 7.0))  # a new stream restarts the clock
    np.testing.assert_allclose(motion.sample(0.0)[0], 7.0)


def test_playback_clock_follows_arrivals_behind_by_the_delay():
    clock = PlaybackClock(delay=0.1)
    assert clock.audio_time(5.0) is None
    clock.observe(audio_time=1.0, wall_time=50.0)
    assert abs(clock.audio_time(50.5) - 1.4) < 1e-9
    clock.observe(audio_time=10.0, wall_time=51.0)  # far off: resynchronise at once
    assert abs(clock.audio_time(51.0) - 9.9) < 1e-9


def test_shader_variants_and_includes():
    source = shader_source("head.frag.glsl", ["ALBEDO_TEXTURE"])
    lines = source.splitlines()
    version = next(i for i, line in enumerate(lines) if line.startswith("#version"))
    assert lines[version + 1] == "#define ALBEDO_TEXTURE"
    assert "#include" not in shader_source("skin.vert.glsl")
    assert "mat3 rodrigues" in shader_source("skin.vert.glsl")
