"""Live style control: presets by name from a folder, switched or blended without a jump."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from posetalk.checkpoint.arrays import load_style
from posetalk.errors import PosetalkError


class StylePresets:
    """Style features stored as ``NAME.npy`` in a folder, looked up by name."""

    def __init__(self, folder: str | Path, d_style: int) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise PosetalkError(f"{self.folder}: no such style folder")
        self.d_style = d_style

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.npy"))

    def load(self, name: str) -> np.ndarray:
        path = self.folder / f"{name}.npy"
        if not path.is_file():
            known = ", ".join(self.names()) or "none"
            raise PosetalkError(f"no style preset {name!r} in {self.folder} (known: {known})")
        return load_style(path, self.d_style)


class StyleMixer:
    """The style in force at each audio time, moving linearly to a new target over a transition.

    Thread-safe: control messages set targets while the stream reads styles.
    """

    def __init__(self, style: np.ndarray | None) -> None:
        self._lock = threading.Lock()
        self._from = self._to = None if style is None else np.asarray(style, np.float32)
        self._start = self._end = 0.0

    def set(self, style: np.ndarray | None, at_time: float, transition: float = 0.5) -> None:
        """Move to ``style`` (None: no style) starting at audio time ``at_time``, over
        ``transition`` seconds. A change to or from "no style" cannot be blended and is immediate."""
        with self._lock:
            current = self._style_at(at_time)
            target = None if style is None else np.asarray(style, np.float32)
            if current is None or target is None or transition <= 0:
                self._from = self._to = target
                self._start = self._end = at_time
            else:
                self._from, self._to = current, target
                self._start, self._end = at_time, at_time + transition

    def blend(self, styles: list[np.ndarray], weights: list[float], at_time: float, transition: float = 0.5) -> None:
        """Move to the weighted mean of several styles (weights are normalised to sum to 1)."""
        total = float(sum(weights))
        if not styles or len(styles) != len(weights) or total <= 0 or min(weights) < 0:
            raise ValueError("a blend needs as many non-negative weights as styles, not all zero")
        mixed = sum(w / total * np.asarray(s, np.float32) for s, w in zip(styles, weights))
        self.set(np.asarray(mixed, np.float32), at_time, transition)

    def _style_at(self, time: float) -> np.ndarray | None:
        if self._to is None or self._from is None or time >= self._end:
            return self._to
        if time <= self._start:
            return self._from
        alpha = (time - self._start) / (self._end - self._start)
        return (1 - alpha) * self._from + alpha * self._to

    def style_at(self, time: float) -> np.ndarray | None:
        """(d_style,) style at audio time ``time`` (seconds), or None."""
        with self._lock:
            return self._style_at(time)
