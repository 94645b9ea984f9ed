"""Plain numbers over per-frame tracks: error, correlation, relative thresholds, pooling, loss.

Everything here is unit-free numpy: the callers decide what a track holds (millimetres for the
model and the reference, 0-1 for the peers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RELATIVE_FRACTION = 0.15
"""A method's mouth counts as closed below this fraction of its own :data:`RELATIVE_PERCENTILE`."""
RELATIVE_PERCENTILE = 95.0


def mean_abs_error(values: np.ndarray, reference: np.ndarray) -> float:
    """Mean |values − reference| over (L,) frames; NaN for no frames."""
    if len(values) == 0:
        return float("nan")
    return float(np.mean(np.abs(np.asarray(values, np.float64) - np.asarray(reference, np.float64))))


def pearson(values: np.ndarray, reference: np.ndarray) -> float:
    """Pearson correlation of two (L,) tracks; NaN when there are fewer than two frames or either
    track is constant (a correlation is undefined then)."""
    a = np.asarray(values, np.float64)
    b = np.asarray(reference, np.float64)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    a, b = a - a.mean(), b - b.mean()
    norm = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.clip(np.sum(a * b) / norm, -1.0, 1.0))


def relative_threshold(
    opening: np.ndarray, fraction: float = RELATIVE_FRACTION, percentile: float = RELATIVE_PERCENTILE
) -> float:
    """``fraction`` × the ``percentile``-th percentile of (L,) openings: a closure threshold set by
    the method's own range, so methods in different units are judged alike."""
    return fraction * float(np.percentile(np.asarray(opening, np.float64), percentile))


def pooled_rate(rates: Sequence[tuple[float, int]]) -> float:
    """Mean of per-clip rates weighted by the events each was taken over: (rate, n_events) pairs,
    pairs with no events (rate NaN) left out; NaN when no clip has an event."""
    scored = [(rate, n) for rate, n in rates if n > 0]
    total = sum(n for _, n in scored)
    if total == 0:
        return float("nan")
    return float(sum(rate * n for rate, n in scored) / total)


def relative_loss(value: float, baseline: float, higher_is_better: bool) -> float:
    """How much worse ``value`` is than ``baseline``, in % of |baseline|: positive is a loss,
    negative a gain; NaN when either is NaN or the baseline is 0."""
    if not (np.isfinite(value) and np.isfinite(baseline)) or baseline == 0:
        return float("nan")
    worse = baseline - value if higher_is_better else value - baseline
    return float(100.0 * worse / abs(baseline))


def ratio_deviation_loss(value: float, baseline: float, target: float) -> float:
    """How much further the ratio ``value`` lies from ``target`` than ``baseline`` does, in %:
    100 · (|ln(value / target)| − |ln(baseline / target)|); positive is a loss, negative a gain.

    For a ratio whose ideal is the reference's (the open/close vowel ratio: a mouth that exaggerates
    the contrast beyond the animator's is no better than one that flattens it). Logarithms make
    twice and half the target equally far. NaN unless all three are positive and finite.
    """
    values = np.array([value, baseline, target], np.float64)
    if not (np.all(np.isfinite(values)) and np.all(values > 0)):
        return float("nan")
    return float(100.0 * (abs(np.log(value / target)) - abs(np.log(baseline / target))))
