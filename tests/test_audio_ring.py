"""The audio ring buffer: absolute indexing, wrap-around, overruns, thread safety, waiting."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from posetalk.audio.ring import AudioRingBuffer


def ramp(start: int, stop: int) -> np.ndarray:
    """Samples whose value is their absolute index (exact in float32 below 2**24)."""
    return np.arange(start, stop, dtype=np.float32)


def test_capacity_and_clock():
    ring = AudioRingBuffer(capacity_seconds=0.5, rate=1000)
    assert ring.capacity == 500
    ring.write(ramp(0, 250))
    assert ring.end == 250
    assert ring.time == pytest.approx(0.25)
    with pytest.raises(ValueError):
        AudioRingBuffer(capacity_seconds=0)


def test_read_by_absolute_index_across_wrap_around():
    ring = AudioRingBuffer(capacity_seconds=1.0, rate=100)
    for start in range(0, 370, 37):
        ring.write(ramp(start, start + 37))
    assert ring.end == 370
    np.testing.assert_array_equal(ring.read(270, 370), ramp(270, 370))
    np.testing.assert_array_equal(ring.read(295, 305), ramp(295, 305))


def test_lead_in_and_future_read_as_silence():
    ring = AudioRingBuffer(capacity_seconds=1.0, rate=100)
    ring.write(ramp(0, 50) + 1)
    out = ring.read(-10, 60)
    np.testing.assert_array_equal(out[:10], 0)
    np.testing.assert_array_equal(out[10:60], ramp(0, 50) + 1)
    np.testing.assert_array_equal(out[60:], 0)


def test_overwritten_range_raises_lookup_error():
    ring = AudioRingBuffer(capacity_seconds=1.0, rate=100)
    ring.write(ramp(0, 250))
    with pytest.raises(LookupError, match="overwritten"):
        ring.read(149, 200)
    np.testing.assert_array_equal(ring.read(150, 250), ramp(150, 250))
    np.testing.assert_array_equal(ring.read(-20, -10), np.zeros(10))


def test_overruns_count_only_unread_samples():
    ring = AudioRingBuffer(capacity_seconds=1.0, rate=100)
    ring.write(ramp(0, 100))
    ring.mark_read(60)
    ring.write(ramp(100, 180))
    # 80 samples pushed out [0, 80); the reader was done with [0, 60).
    assert ring.overruns == 20
    ring.mark_read(180)
    ring.write(ramp(180, 270))
    assert ring.overruns == 20


def test_block_longer_than_capacity_keeps_the_clock_and_the_newest_samples():
    ring = AudioRingBuffer(capacity_seconds=1.0, rate=100)
    ring.write(ramp(0, 30))
    ring.write(ramp(30, 280))
    assert ring.end == 280
    assert ring.overruns == 180
    np.testing.assert_array_equal(ring.read(180, 280), ramp(180, 280))


def test_write_silence_advances_the_clock():
    ring = AudioRingBuffer(capacity_seconds=1.0, rate=100)
    ring.write(np.ones(10))
    ring.write_silence(15)
    assert ring.end == 25
    np.testing.assert_array_equal(ring.read(0, 25), np.r_[np.ones(10), np.zeros(15)])


def test_concurrent_writer_and_reader_see_consistent_samples():
    ring = AudioRingBuffer(capacity_seconds=0.1, rate=16000)
    total, block = 400_000, 160
    errors: list[str] = []

    def writer() -> None:
        for start in range(0, total, block):
            ring.write(ramp(start, start + block))
        ring.close()

    def reader() -> None:
        position = 0
        while position < total:
            ring.wait_for(position + 1, timeout=5.0)
            end = ring.end
            try:
                samples = ring.read(position, end)
            except LookupError:
                position = end  # fell behind: skip ahead, as the stream engine would
                continue
            if not np.array_equal(samples, ramp(position, end)):
                errors.append(f"torn read of [{position}, {end})")
                return
            ring.mark_read(end)
            position = end

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert ring.end == total


def test_wait_for_wakes_on_write_close_and_times_out():
    ring = AudioRingBuffer(capacity_seconds=1.0, rate=100)
    assert ring.wait_for(0)
    assert not ring.wait_for(10, timeout=0.05)
    timer = threading.Timer(0.05, ring.write, args=(np.zeros(10),))
    timer.start()
    assert ring.wait_for(10, timeout=5.0)
    timer = threading.Timer(0.05, ring.close)
    timer.start()
    assert ring.wait_for(1000, timeout=5.0)
    assert ring.closed


def test_arrival_time_names_the_write_that_brought_a_sample():
    ring = AudioRingBuffer(capacity_seconds=1.0, rate=100)
    assert ring.arrival_time(0) is None
    before = time.monotonic()
    ring.write(np.zeros(10))
    between = time.monotonic()
    time.sleep(0.01)
    ring.write(np.zeros(10))
    after = time.monotonic()
    assert before <= ring.arrival_time(0) == ring.arrival_time(9) <= between
    assert between < ring.arrival_time(10) == ring.arrival_time(19) <= after
    assert ring.arrival_time(20) is None


def test_arrival_times_of_forgotten_writes_are_unknown() -> None:
    from posetalk.audio.ring import ARRIVALS_KEPT

    ring = AudioRingBuffer(capacity_seconds=10)
    for _ in range(ARRIVALS_KEPT + 5):
        ring.write(np.zeros(2, np.float32))
    assert ring.arrival_time(0) is None and ring.arrival_time(9) is None  # first five writes forgotten
    assert ring.arrival_time(10) is not None and ring.arrival_time(ring.end - 1) is not None
