"""Injectable sources of standard-normal noise for the samplers.

Every draw a sampler makes goes through a :class:`NoiseSource`, so a run can be seeded, recorded
and replayed exactly (the parity fixtures store every draw of the published sampler, in order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch


class NoiseSource(Protocol):
    def __call__(self, shape: Sequence[int]) -> torch.Tensor:
        """Return a float32 tensor of i.i.d. N(0, 1) draws with the given shape."""
        ...


class SeededNoise:
    """Draws from a private ``torch.Generator``: reproducible for a seed, independent of global RNG."""

    def __init__(self, seed: int | None = None, device: torch.device | str = "cpu") -> None:
        self._generator = torch.Generator(device=device)
        if seed is None:
            self._generator.seed()
        else:
            self._generator.manual_seed(seed)
        self._device = device

    def __call__(self, shape: Sequence[int]) -> torch.Tensor:
        return torch.randn(tuple(shape), generator=self._generator, device=self._device)


class RowNoise:
    """Draws for a batch whose rows belong to different owners: row i from ``sources[i]``, so
    each row gets the draws it would get sampled alone."""

    def __init__(self, sources: Sequence[NoiseSource]) -> None:
        self.sources = list(sources)

    def __call__(self, shape: Sequence[int]) -> torch.Tensor:
        if shape[0] != len(self.sources):
            raise ValueError(f"a draw of {shape[0]} rows from {len(self.sources)} sources")
        return torch.cat([source((1, *shape[1:])) for source in self.sources])


class ReplayNoise:
    """Replays recorded draws in order; each call must ask for the recorded shape."""

    def __init__(self, draws: Sequence[torch.Tensor] | torch.Tensor) -> None:
        self._draws = list(draws)
        self._next = 0

    @property
    def remaining(self) -> int:
        return len(self._draws) - self._next

    def __call__(self, shape: Sequence[int]) -> torch.Tensor:
        if self._next >= len(self._draws):
            raise RuntimeError(f"replay exhausted after {len(self._draws)} draws")
        draw = self._draws[self._next]
        if tuple(draw.shape) != tuple(shape):
            raise RuntimeError(
                f"replayed draw {self._next} has shape {tuple(draw.shape)}, sampler asked for {tuple(shape)}"
            )
        self._next += 1
        return draw.to(torch.float32)


class RecordingNoise:
    """Wraps another source and keeps a copy of every draw, for later replay."""

    def __init__(self, source: NoiseSource) -> None:
        self._source = source
        self.draws: list[torch.Tensor] = []

    def __call__(self, shape: Sequence[int]) -> torch.Tensor:
        draw = self._source(shape)
        self.draws.append(draw.clone())
        return draw
