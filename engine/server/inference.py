"""Offline inference behind the server's sources: one whole clip at a time, off the event loop."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from posetalk.diffusion.guidance import guidance_from_options
from posetalk.diffusion.noise import SeededNoise
from posetalk.errors import PosetalkError
from posetalk.pipeline.coefficients_file import CoefficientSequence
from posetalk.pipeline.model_files import LoadedModel
from posetalk.pipeline.offline import SamplingOptions, generate


@dataclass(frozen=True)
class OfflineInference:
    """Runs :func:`posetalk.pipeline.offline.generate` on a whole clip of 16 kHz audio.

    Attributes:
        loaded: the model files.
        options: sampling options from the command line (guidance, thresholding).
        scale_audio, scale_style: the command line's guidance scales.
        seed: noise seed, or None for a fresh one per call.
    """

    loaded: LoadedModel
    options: SamplingOptions
    scale_audio: float
    scale_style: float
    seed: int | None = None

    def __call__(self, audio: np.ndarray) -> CoefficientSequence:
        """(S,) 16 kHz mono float32 audio → the first repetition's coefficients."""
        model = self.loaded.model
        guidance = guidance_from_options(
            self.options.guidance.conditions, self.scale_audio, self.scale_style, self.options.guidance.mode
        )
        options = replace(self.options, guidance=guidance, n_repetitions=1)
        try:
            result = generate(
                model, self.loaded.stats, audio, self.loaded.shape, self.loaded.style, options,
                SeededNoise(self.seed, model.device),
            )  # fmt: skip
        except ValueError as error:
            raise PosetalkError(f"inference failed: {error}") from None
        return CoefficientSequence(result.exp[0], result.pose[0], result.shape[0], result.fps)
