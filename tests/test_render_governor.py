"""The live window's governor: cheaper at once when the model is short of time or the window
misses its rate, dearer only after a quiet spell that grows each time a step up fails."""

from __future__ import annotations

from posetalk.render.governor import LEVELS, RenderGovernor
from posetalk.stream.health import StreamHealth


def health(load: float | None, late: int = 0, skipped: int = 0) -> StreamHealth:
    return StreamHealth(tick_load=load, latency_ms=150.0, frames_published=100, deadline_misses=late,
                        skipped_frames=skipped)


def run(governor: RenderGovernor, start: float, stop: float, state: StreamHealth, fps: float = 60.0,
        target: float = 60.0, step: float = 0.1) -> list[int]:
    """Observe every ``step`` seconds over [start, stop); the level after each observation."""
    levels, t = [], start
    while t < stop - 1e-9:
        governor.observe(t, state, fps, target)
        levels.append(governor.level)
        t += step
    return levels


def test_skipped_frames_step_down_once_per_settling_time_to_the_last_level() -> None:
    governor = RenderGovernor()
    assert run(governor, 0.0, 2.0, health(0.5))[-1] == 0  # all well: the best level stays
    levels = []
    for k in range(1, 3 * len(LEVELS)):  # the stream keeps skipping frames
        levels += run(governor, 2.0 + (k - 1) * 0.5, 2.0 + k * 0.5, health(0.5, skipped=10 * k))
    changes = [i for i in range(1, len(levels)) if levels[i] != levels[i - 1]]
    assert levels[-1] == len(LEVELS) - 1
    assert all(b - a >= 9 for a, b in zip(changes, changes[1:]))  # at most one step per second (10 observations)


def test_a_loaded_model_or_a_slow_window_steps_down_and_a_calm_one_steps_back_up() -> None:
    governor = RenderGovernor()
    run(governor, 0.0, 1.5, health(0.95))
    assert governor.level == 1  # ticks near their budget
    run(governor, 1.5, 3.0, health(0.5), fps=20.0, target=30.0)  # last trouble at t = 2.9
    assert governor.level == 2  # the window draws 20 of its 30 fps
    run(governor, 3.0, 6.0, health(0.8), fps=25.0, target=25.0)
    assert governor.level == 2  # load between the thresholds: stay
    levels = run(governor, 6.0, 20.0, health(0.5), fps=25.0, target=25.0)
    assert levels[0] == 2 and levels[-1] == 0
    up = [i for i in range(1, len(levels)) if levels[i] < levels[i - 1]]
    assert 6.0 + up[0] * 0.1 - 2.9 >= governor.quiet_s - 1e-9  # a quiet spell before the first step up
    assert all(b - a >= governor.quiet_s / 0.1 - 1 for a, b in zip(up, up[1:]))  # and between step ups


def test_a_step_up_that_fails_doubles_the_wait_before_the_next_one() -> None:
    governor = RenderGovernor()
    run(governor, 0.0, 1.5, health(0.5, skipped=0))
    run(governor, 1.5, 2.0, health(0.5, skipped=5))
    assert governor.level == 1

    def wait_for_step_up(start: float) -> float:
        t = start
        while governor.level == 1:
            governor.observe(t, health(0.5, skipped=5), 60.0, 60.0)
            t += 0.1
        return t - start

    first = wait_for_step_up(2.0)
    assert governor.level == 0
    t = 2.0 + first + 1.1
    run(governor, 2.0 + first, t, health(0.5, skipped=5))
    governor.observe(t, health(0.5, skipped=9), 60.0, 60.0)  # the better level made the stream skip again
    assert governor.level == 1
    second = wait_for_step_up(t + 0.1)
    assert second >= 1.9 * governor.quiet_s
