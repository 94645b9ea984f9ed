"""Silence, file and push sources: real threads and real files, paced by a manual clock.

Timings are powers of two of a second where a test counts samples, so the clock's sums are exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from posetalk.audio.io import load_audio, resample
from posetalk.audio.ring import AudioRingBuffer
from posetalk.audio.sources import (
    AudioSource,
    FileConfig,
    FileSource,
    PushConfig,
    PushSource,
    SilenceConfig,
    SilenceSource,
    SourceStatus,
)
from posetalk.errors import PosetalkError
from tests.manual_clock import SETTLE_SECONDS, ManualClock

RATE = 16000
BLOCK = 1 / 64  # seconds: 250 samples


@pytest.fixture
def ring() -> AudioRingBuffer:
    return AudioRingBuffer(capacity_seconds=10.0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sources() -> Iterator[list[AudioSource]]:
    """Sources a test started; stopped whatever happens."""
    started: list[AudioSource] = []
    yield started
    for source in started:
        source.stop()


def tone_file(tmp_path: Path, seconds: float, rate: int = 44100, channels: int = 2) -> Path:
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.5 * np.sin(2 * np.pi * 330 * t) * np.linspace(0.2, 1.0, t.size)
    path = tmp_path / "tone.wav"
    soundfile.write(path, np.stack([tone] * channels, axis=1).astype(np.float32), rate)
    return path


def test_every_source_follows_the_protocol(tmp_path: Path) -> None:
    for source in (SilenceSource(), PushSource(), FileSource(FileConfig(tone_file(tmp_path, 0.1)))):
        assert isinstance(source, AudioSource)
        assert not source.finished


# --- silence -------------------------------------------------------------------------------------


def test_silence_runs_the_clock_in_real_time(
    ring: AudioRingBuffer, clock: ManualClock, sources: list[AudioSource]
) -> None:
    source = SilenceSource(SilenceConfig(block_seconds=BLOCK), clock=clock)
    sources.append(source)
    source.start(ring)
    clock.wait_for_sleepers()
    clock.advance(BLOCK / 2)
    assert ring.end == 0  # it advances a block at a time
    clock.advance(0.5 - BLOCK / 2)
    assert ring.end == RATE // 2
    source.stop()
    assert not ring.read(0, ring.end).any()
    assert not source.finished and not ring.closed
    source.stop()  # idempotent


# --- file ----------------------------------------------------------------------------------------


def test_file_plays_in_real_time_and_closes_the_ring(
    tmp_path: Path, ring: AudioRingBuffer, clock: ManualClock, sources: list[AudioSource]
) -> None:
    path = tone_file(tmp_path, 1.0)
    statuses: list[SourceStatus] = []
    source = FileSource(FileConfig(path, block_seconds=BLOCK), on_status=statuses.append, clock=clock)
    sources.append(source)
    source.start(ring)
    clock.wait_for_sleepers()
    clock.advance(0.25 + BLOCK / 2)
    assert ring.end == RATE // 4 and not ring.closed  # each block once real time reaches its end
    clock.advance(0.75)
    assert ring.closed and ring.end == source.samples.size == RATE
    np.testing.assert_array_equal(ring.read(0, ring.end), load_audio(path))
    source.stop()
    assert source.finished
    assert [status.kind for status in statuses] == ["finished"]
    assert statuses[0].clock == source.samples.size


def test_file_fast_mode_writes_everything_at_once(
    tmp_path: Path, ring: AudioRingBuffer, clock: ManualClock, sources: list[AudioSource]
) -> None:
    path = tone_file(tmp_path, 2.0, rate=48000, channels=1)
    source = FileSource(FileConfig(path, realtime=False), clock=clock)
    sources.append(source)
    source.start(ring)
    assert ring.wait_for(source.samples.size + 1, timeout=SETTLE_SECONDS)  # the clock stands still
    assert ring.closed and ring.end == 32000
    np.testing.assert_array_equal(ring.read(0, ring.end), source.samples)


def test_file_loop_starts_again_and_never_closes(
    tmp_path: Path, ring: AudioRingBuffer, sources: list[AudioSource]
) -> None:
    source = FileSource(FileConfig(tone_file(tmp_path, 0.05), realtime=False, loop=True))
    sources.append(source)
    n = source.samples.size
    source.start(ring)
    assert ring.wait_for(3 * n, timeout=5.0)
    source.stop()
    end = ring.end
    assert not ring.closed and not source.finished
    start = (end // n - 2) * n
    np.testing.assert_array_equal(ring.read(start, start + 2 * n), np.tile(source.samples, 2))


def test_file_stop_mid_way_leaves_the_ring_open(
    tmp_path: Path, ring: AudioRingBuffer, clock: ManualClock, sources: list[AudioSource]
) -> None:
    source = FileSource(FileConfig(tone_file(tmp_path, 2.0), block_seconds=BLOCK), clock=clock)
    sources.append(source)
    source.start(ring)
    clock.wait_for_sleepers()
    clock.advance(0.125 + BLOCK / 2)
    # The clock never reaches the next block: stop returns only if it cuts the sleep short.
    stopping = threading.Thread(target=source.stop)
    stopping.start()
    stopping.join(SETTLE_SECONDS)
    assert not stopping.is_alive()
    assert not source.finished and not ring.closed
    assert ring.end == RATE // 8


def test_file_errors(tmp_path: Path, ring: AudioRingBuffer) -> None:
    with pytest.raises(PosetalkError, match="no such audio file"):
        FileSource(FileConfig(tmp_path / "absent.wav"))
    with pytest.raises(ValueError, match="block_seconds"):
        FileSource(FileConfig(tone_file(tmp_path, 0.1), block_seconds=0))
    source = FileSource(FileConfig(tone_file(tmp_path, 0.1), realtime=False))
    source.start(ring)
    with pytest.raises(RuntimeError, match="already started"):
        source.start(ring)
    source.stop()


# --- push ----------------------------------------------------------------------------------------


def started_push(config: PushConfig, ring: AudioRingBuffer, clock: ManualClock,
                 sources: list[AudioSource]) -> PushSource:
    """A push source on ``clock``, started on ``ring`` with its pacer asleep (stopped after the test)."""
    source = PushSource(config, clock=clock)
    sources.append(source)
    source.start(ring)
    clock.wait_for_sleepers()
    return source


def test_push_clock_runs_with_no_input(ring: AudioRingBuffer, clock: ManualClock, sources: list[AudioSource]) -> None:
    source = started_push(PushConfig(jitter_seconds=0.1, tick_seconds=BLOCK), ring, clock, sources)
    clock.advance(0.5 + BLOCK / 2)
    # Idle: each tick pads up to real time, so the ring's end lags it by less than a tick.
    assert ring.end == RATE // 2
    assert not ring.read(0, ring.end).any()


def test_pushed_audio_lands_back_to_back(ring: AudioRingBuffer, sources: list[AudioSource]) -> None:
    source = PushSource(PushConfig(tick_seconds=60.0))  # the pacer never wakes during this test
    sources.append(source)
    source.start(ring)
    rng = np.random.default_rng(0)
    first, second = rng.uniform(-1, 1, 800), rng.uniform(-1, 1, (480, 2))
    source.push(first, RATE)
    source.push(second, RATE)
    assert ring.end == 1280
    np.testing.assert_array_equal(ring.read(0, 800), first.astype(np.float32))
    np.testing.assert_allclose(ring.read(800, 1280), second.mean(axis=1), atol=1e-7)


def test_push_late_audio_goes_after_the_silence(
    ring: AudioRingBuffer, clock: ManualClock, sources: list[AudioSource]
) -> None:
    source = started_push(PushConfig(jitter_seconds=4 * BLOCK, tick_seconds=BLOCK), ring, clock, sources)
    source.push(np.full(160, 0.25), RATE)
    clock.advance(0.25 + BLOCK / 2)  # the producer stalls far beyond the allowance
    assert ring.end == RATE // 4  # padded up to real time
    late = np.full(1600, -0.5, np.float32)
    source.push(late, RATE)
    assert ring.end == RATE // 4 + late.size
    np.testing.assert_array_equal(ring.read(RATE // 4, ring.end), late)
    np.testing.assert_array_equal(ring.read(0, 160), np.full(160, 0.25, np.float32))
    assert not ring.read(160, RATE // 4).any()


def test_push_jitter_within_the_allowance_inserts_no_silence(
    ring: AudioRingBuffer, clock: ManualClock, sources: list[AudioSource]
) -> None:
    source = started_push(PushConfig(jitter_seconds=0.1, tick_seconds=0.005), ring, clock, sources)
    clock.advance(0.15)  # idle: the pacer pads up to real time
    rng = np.random.default_rng(1)
    chunks = [rng.uniform(0.1, 0.9, 320).astype(np.float32) for _ in range(25)]  # 20 ms each
    started = clock.now()
    for i, chunk in enumerate(chunks):
        # Chunk i covers [20 i, 20 i + 20) ms; it arrives after its end, 0 to 30 ms late.
        arrival = started + 0.02 * (i + 1) + rng.uniform(0.0, 0.03)
        clock.advance(max(0.0, arrival - clock.now()))
        source.push(chunk, RATE)
    speech = np.concatenate(chunks)
    np.testing.assert_array_equal(ring.read(ring.end - speech.size, ring.end), speech)


def test_push_resamples_other_rates_seamlessly(ring: AudioRingBuffer, sources: list[AudioSource]) -> None:
    source = PushSource(PushConfig(tick_seconds=60.0))
    sources.append(source)
    source.start(ring)
    rate = 48000
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(rate // 2) / rate)).astype(np.float32)
    for i in range(0, tone.size, 960):
        source.push(tone[i : i + 960], rate)
    source.push(np.zeros(160, np.float32), RATE)  # a rate change flushes the 48 kHz tail first
    expected = resample(tone.astype(np.float64), rate)
    assert ring.end == expected.size + 160
    np.testing.assert_allclose(ring.read(0, expected.size), expected, atol=1e-6)


def test_push_pcm16(ring: AudioRingBuffer, sources: list[AudioSource]) -> None:
    source = PushSource(PushConfig(tick_seconds=60.0))
    sources.append(source)
    source.start(ring)
    stereo = np.array([[0, 16384], [-32768, 32767], [100, -100]], dtype="<i2")
    source.push_pcm16(stereo.tobytes(), RATE, channels=2)
    expected = stereo.astype(np.float32).mean(axis=1) / 32768.0
    np.testing.assert_array_equal(ring.read(0, 3), expected)
    source.push_pcm16(np.array([-16384], dtype="<i2").tobytes(), RATE)
    assert ring.read(3, 4)[0] == -0.5


def test_push_rejects_bad_input(ring: AudioRingBuffer) -> None:
    source = PushSource(PushConfig(tick_seconds=60.0))
    with pytest.raises(RuntimeError, match="before start"):
        source.push(np.zeros(10), RATE)
    source.start(ring)
    try:
        with pytest.raises(ValueError, match="NaN or infinite"):
            source.push(np.array([0.0, np.nan]), RATE)
        with pytest.raises(ValueError, match="NaN or infinite"):
            source.push(np.array([np.inf, 0.0]), RATE)
        with pytest.raises(ValueError, match="whole number"):
            source.push_pcm16(b"\x00\x01\x02", RATE)
        with pytest.raises(ValueError, match="whole number of 2-channel"):
            source.push_pcm16(b"\x00\x01\x02\x03\x04\x05", RATE, channels=2)
        with pytest.raises(ValueError, match="floating point"):
            source.push(np.zeros(10, np.int16), RATE)
        with pytest.raises(ValueError, match="shape"):
            source.push(np.zeros((2, 2, 2)), RATE)
        with pytest.raises(ValueError, match="sample rate"):
            source.push(np.zeros(10), 0)
        with pytest.raises(ValueError, match="channels"):
            source.push_pcm16(b"", RATE, channels=0)
        assert ring.end == 0
    finally:
        source.stop()
    assert source.push(np.ones(10), RATE) is None  # after stop: dropped, not an error
    assert ring.end == 0


def test_push_says_where_each_block_lands(ring: AudioRingBuffer, sources: list[AudioSource]) -> None:
    source = PushSource(PushConfig(tick_seconds=60.0))
    sources.append(source)
    source.start(ring)
    rate = 48000
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(rate // 4) / rate)).astype(np.float32)
    # A resampled stretch: input sample j lies at j / rate on the clock, whatever the filter's delay.
    assert [source.push(tone[i : i + 1000], rate) for i in range(0, 3000, 1000)] == [0.0, 1000 / rate, 2000 / rate]
    block = np.linspace(-0.5, 0.5, 160, dtype=np.float32)
    lands_at = source.push(block, RATE)  # a rate change flushes the 48 kHz stretch: 1000 samples at 16 kHz
    assert lands_at == 1000 / RATE
    np.testing.assert_array_equal(ring.read(1000, 1160), block)
    assert source.begin() == ring.time == 1160 / RATE


def test_push_begin_holds_the_clock_for_the_next_audio(
    ring: AudioRingBuffer, clock: ManualClock, sources: list[AudioSource]
) -> None:
    source = started_push(PushConfig(jitter_seconds=4 * BLOCK, tick_seconds=BLOCK), ring, clock, sources)
    clock.advance(0.25 + BLOCK / 2)  # idle: padded up to real time
    begun = source.begin()
    assert begun == ring.time == 0.25
    clock.advance(3 * BLOCK)  # within the allowance: the idle pacer would have padded by now
    assert ring.time == begun
    assert source.push(np.full(RATE // 2, 0.25), RATE) == begun
    # Audio pushed ahead of real time: the next one is queued right after it.
    assert source.begin() == begun + 0.5
    clock.advance(0.5 + 8 * BLOCK)  # this time the audio comes late: silence goes first
    late = source.begin()
    clock.advance(8 * BLOCK)
    assert source.push(np.full(160, 0.25), RATE) > late + 4 * BLOCK
