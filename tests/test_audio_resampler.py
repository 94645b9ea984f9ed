"""The streaming resampler: any split into blocks gives the whole-signal result."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

from posetalk.audio.io import resample
from posetalk.audio.resampler import StreamingResampler


def resample_in_blocks(resampler: StreamingResampler, signal: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Feed ``signal`` in blocks of the given sizes (cycled), then flush; the outputs joined."""
    outputs, position, i = [], 0, 0
    while position < signal.size:
        size = int(sizes[i % sizes.size])
        outputs.append(resampler.process(signal[position : position + size]))
        position += size
        i += 1
    outputs.append(resampler.flush())
    return np.concatenate(outputs)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 32000, 44100, 48000, 96000])
def test_block_boundaries_are_invisible(rate: int) -> None:
    rng = np.random.default_rng(rate)
    signal = (0.5 * rng.standard_normal(rate // 2 + 7)).astype(np.float32)
    whole = resample(signal.astype(np.float64), rate)
    for sizes in (np.array([rate // 100]), rng.integers(1, 900, size=50), np.array([1, 2, 3])):
        streamed = resample_in_blocks(StreamingResampler(rate), signal, sizes)
        assert streamed.shape == whole.shape
        np.testing.assert_allclose(streamed, whole, rtol=0, atol=1e-6)


def test_per_block_resampling_would_click() -> None:
    """The reason this class exists: resample_poly per block differs at every block edge."""
    rate = 48000
    tone = np.sin(2 * np.pi * 1234 * np.arange(rate) / rate)
    whole = resample(tone, rate)
    per_block = np.concatenate([resample_poly(tone[i : i + 480], 1, 3) for i in range(0, rate, 480)])
    streamed = resample_in_blocks(StreamingResampler(rate), tone, np.array([480]))
    assert np.max(np.abs(per_block - whole)) > 0.1
    assert np.max(np.abs(streamed - whole)) < 1e-6


def test_output_is_held_back_by_the_filter_delay_only() -> None:
    resampler = StreamingResampler(48000)
    out = resampler.process(np.zeros(4800, np.float32))
    held_back = 1600 - out.size
    assert 0 < held_back <= resampler.delay_seconds * 16000 + 1
    assert resampler.flush().size == held_back


def test_equal_rates_pass_through() -> None:
    resampler = StreamingResampler(16000)
    block = np.arange(10, dtype=np.float32)
    np.testing.assert_array_equal(resampler.process(block), block)
    assert resampler.flush().size == 0
    assert resampler.delay_seconds == 0.0


def test_flush_starts_a_new_signal() -> None:
    rng = np.random.default_rng(1)
    first, second = rng.standard_normal(3000), rng.standard_normal(2000)
    resampler = StreamingResampler(44100)
    joined_first = np.concatenate([resampler.process(first), resampler.flush()])
    joined_second = np.concatenate([resampler.process(second), resampler.flush()])
    np.testing.assert_allclose(joined_first, resample(first, 44100), atol=1e-6)
    np.testing.assert_allclose(joined_second, resample(second, 44100), atol=1e-6)


def test_bad_rates() -> None:
    with pytest.raises(ValueError, match="positive"):
        StreamingResampler(0)
