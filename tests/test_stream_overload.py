"""Overload reports: one diagnosis when a stream falls behind, then at most one summary per interval."""

from __future__ import annotations

import logging

import pytest

from posetalk.stream.config import StreamConfig
from posetalk.stream.overload import OverloadReporter, RateLimit, remedies, tick_budget_ms
from tests.manual_clock import ManualClock


def test_rate_limit_lets_one_event_through_per_interval() -> None:
    clock = ManualClock()
    limit = RateLimit(interval_s=10.0, clock=clock)
    allowed = []
    for step in range(25):  # one event a second for 25 s
        allowed.append(limit.allow())
        clock.advance(1.0)
    assert [i for i, ok in enumerate(allowed) if ok] == [0, 10, 20]


def test_budget_is_the_audio_a_tick_covers() -> None:
    assert tick_budget_ms(StreamConfig(frames_per_tick=2), 25) == pytest.approx(80.0)
    assert tick_budget_ms(StreamConfig(frames_per_tick=25), 25) == pytest.approx(1000.0)


def test_remedies_name_the_options_to_change() -> None:
    advice = remedies(StreamConfig(steps=4, frames_per_tick=2))
    assert "fewer --steps (now 4)" in advice and "--frames-per-tick, now 2" in advice and "--device" in advice
    assert "--steps" not in remedies(StreamConfig(steps=1))
    assert "--sampler dpmpp-2m" in remedies(StreamConfig(sampler="ddpm"))


def test_first_skip_is_diagnosed_and_later_ones_are_summed(caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    reporter = OverloadReporter(StreamConfig(steps=2, frames_per_tick=2), 25, RateLimit(10.0, clock))
    slow_ticks = [150.0] * 19 + [300.0]  # well over the 80 ms budget
    with caplog.at_level(logging.WARNING, logger="posetalk.stream"):
        reporter.skipped(30, slow_ticks)
        for _ in range(4):  # four more skips and two misses within the interval: no new lines
            clock.advance(1.0)
            reporter.skipped(5, slow_ticks)
        reporter.missed(slow_ticks)
        reporter.missed(slow_ticks)
        assert len(caplog.records) == 1
        clock.advance(6.0)  # 10 s after the first report
        reporter.skipped(1, slow_ticks)
    first, second = (r.getMessage() for r in caplog.records)
    assert first.startswith("cannot keep up: skipped 30 frames")
    assert "a tick computes in 150 ms" in first and "against a budget of 80 ms (2 frames at 25 fps)" in first
    assert "fewer --steps (now 2)" in first
    assert second.startswith("still behind: skipped 21 frames to catch up with the audio and published 2 frames late")
    assert "in the last 10 s" in second
    assert reporter.reports == 2


def test_ticks_within_budget_point_at_other_load(caplog: pytest.LogCaptureFixture) -> None:
    reporter = OverloadReporter(StreamConfig(frames_per_tick=2), 25, RateLimit(10.0, ManualClock()))
    with caplog.at_level(logging.WARNING, logger="posetalk.stream"):
        reporter.missed([30.0] * 10)
    message = caplog.records[0].getMessage()
    assert "published 1 frame late" in message and "other work on this machine" in message
    assert "--steps" not in message


def test_the_stream_health_reads_the_recent_ticks_and_the_overlay_can_draw_it() -> None:
    from posetalk.render.overlay import GLYPHS
    from posetalk.stream.engine import StreamStats

    stats = StreamStats(frames_published=500, deadline_misses=3, skipped_frames=41)
    assert stats.health(80.0).tick_load is None and stats.health(80.0).latency_ms is None
    stats.tick_ms.extend([1000.0] * 20 + [40.0] * 12)  # the slow ticks of long ago are not the load now
    stats.latency_ms.extend([900.0] * 10 + [150.0] * 25)
    health = stats.health(80.0)
    assert health.tick_load == 0.5 and health.latency_ms == 150.0
    assert (health.frames_published, health.deadline_misses, health.skipped_frames) == (500, 3, 41)
    lines = health.overlay_lines()
    assert lines == ["LOAD   50%", "LATE 3", "SKIPPED 41"]
    assert all(char in GLYPHS for line in lines for char in line)  # none drawn as a blank
