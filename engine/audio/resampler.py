"""Block-by-block polyphase resampling that keeps its filter state between blocks.

Resampling each block on its own (``resample_poly`` per block) zero-pads every block edge, so a
live stream clicks at every block boundary. :class:`StreamingResampler` instead holds back the last
few input samples the filter still needs: the concatenation of its outputs for any split of a signal
into blocks, followed by :meth:`StreamingResampler.flush`, equals
:func:`posetalk.audio.io.resample` of the whole signal (same Kaiser-windowed FIR, same alignment).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import firwin

from posetalk.audio.io import MODEL_RATE


def polyphase_filter(up: int, down: int) -> np.ndarray:
    """The anti-aliasing FIR of ``scipy.signal.resample_poly`` for ratio up/down, gain ``up``.

    Returns (2 * half_len + 1,) taps, half_len = 10 * max(up, down), cutoff 1 / max(up, down) of
    Nyquist, Kaiser window with beta 5.
    """
    max_rate = max(up, down)
    return firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0)) * up


class StreamingResampler:
    """Resamples a stream of (S,) blocks at ``rate`` Hz to ``target_rate`` Hz.

    Output sample k lies at input time k * rate / target_rate; it is emitted once the input reaches
    half the filter length past that time, so the stream is delayed by :attr:`delay_seconds`
    (0.6 ms from 44.1 or 48 kHz, 1.25 ms from 8 kHz). Not thread-safe: one producer per instance.
    """

    def __init__(self, rate: int, target_rate: int = MODEL_RATE) -> None:
        if rate <= 0 or target_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {rate} -> {target_rate}")
        ratio = Fraction(target_rate, rate)
        self.rate, self.target_rate = rate, target_rate
        self._up, self._down = ratio.numerator, ratio.denominator
        taps = np.ones(1) if self.passthrough else polyphase_filter(self._up, self._down)
        self._half_len = (taps.size - 1) // 2
        # _phases[p, j] = taps[p + up * j]: the taps that meet input samples for output phase p.
        n_per_phase = -(-taps.size // self._up)
        padded = np.zeros(n_per_phase * self._up)
        padded[: taps.size] = taps
        self._phases = padded.reshape(n_per_phase, self._up).T
        self._reset()

    @property
    def passthrough(self) -> bool:
        """True when the rates are equal and blocks pass through untouched."""
        return self._up == self._down == 1

    @property
    def delay_seconds(self) -> float:
        """How far the output lags the input, in seconds of input."""
        return 0.0 if self.passthrough else self._half_len / self._up / self.rate

    def _reset(self) -> None:
        n_taps = self._phases.shape[1]
        # Input samples held: absolute indices [_held_from, _n_in); negative indices are the
        # zero lead-in that resample_poly pads with.
        self._held = np.zeros(n_taps, dtype=np.float64)
        self._held_from = -n_taps
        self._n_in = 0
        self._n_out = 0

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed (S,) input samples; return the (K,) float32 output samples now complete."""
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        if self.passthrough:
            return block
        self._held = np.concatenate([self._held, block])
        self._n_in += block.size
        # Output k needs input up to floor((k * down + half_len) / up).
        n_ready = (self._up * self._n_in - 1 - self._half_len) // self._down + 1
        return self._emit(n_ready)

    def flush(self) -> np.ndarray:
        """Return the outputs still held back, as if the input ended with silence, and start afresh.

        After a flush the outputs of all blocks together have ceil(S * target_rate / rate) samples.
        """
        if self.passthrough:
            return np.zeros(0, dtype=np.float32)
        n_total = -(-self._n_in * self._up // self._down)
        n_lookahead = self._half_len // self._up + 1
        self._held = np.concatenate([self._held, np.zeros(n_lookahead)])
        tail = self._emit(n_total)
        self._reset()
        return tail

    def _emit(self, n_ready: int) -> np.ndarray:
        """Outputs [_n_out, n_ready) from the held input, then drop input no longer needed."""
        k = np.arange(self._n_out, max(n_ready, self._n_out))
        # Output k = sum_j taps[p + up*j] * x[(t - p) / up - j] with t = k*down + half_len, p = t % up.
        t = k * self._down + self._half_len
        phase = t % self._up
        newest = (t - phase) // self._up
        n_taps = self._phases.shape[1]
        positions = newest[:, None] - np.arange(n_taps)[None, :] - self._held_from
        out = np.einsum("kj,kj->k", self._phases[phase], self._held[positions]).astype(np.float32)
        self._n_out += k.size
        next_t = self._n_out * self._down + self._half_len
        keep_from = next_t // self._up - (n_taps - 1)
        if keep_from > self._held_from:
            self._held = self._held[keep_from - self._held_from :]
            self._held_from = keep_from
        return out
