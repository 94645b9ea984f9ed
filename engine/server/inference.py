"""Offline inference behind the server's sources: one whole clip at a time, off the event loop."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.diffusion.guidance import guidance_from_options
from engine.diffusion.noise import SeededNoise
from engine.errors import PosetalkError
from engine.pipeline.coefficients_file import CoefficientSequence
from engine.pipeline.model_files import LoadedModel
from engine.pipeline.offline import SamplingOptions, generate
from engine.server.ingest import InferenceSettings


@dataclass(frozen=True)
class OfflineInference:
    """Runs :func:`engine.pipeline.offline.generate` on 16 kHz audio (an ``Infer`` for the sources).

    Attributes:
        loaded: the model files.
        options: sampling options from the command line (guidance, thresholding).
        scale_audio, scale_style: the command line's guidance scales, used unless a control
            request overrides them.
        seed: noise seed, or None for a fresh one per call.
    """

    loaded: LoadedModel
    options: SamplingOptions
    scale_audio: float
    scale_style: float
    seed: int | None = None

    def __call__(self, audio: np.ndarray, settings: InferenceSettings | None = None) -> CoefficientSequence:
        """(S,) 16 kHz mono float32 audio → the first repetition's coefficients."""
        settings = settings or InferenceSettings()
        model = self.loaded.model
        style = settings.style if settings.style is not None else self.loaded.style
        guidance = guidance_from_options(
            self.options.guidance.conditions,
            settings.guidance_audio if settings.guidance_audio is not None else self.scale_audio,
            settings.guidance_style if settings.guidance_style is not None else self.scale_style,
            self.options.guidance.mode,
        )
        options = replace(self.options, guidance=guidance, n_repetitions=1)
        try:
            result = generate(
                model, self.loaded.stats, audio, self.loaded.shape, style, options, SeededNoise(self.seed, model.device)
            )
        except ValueError as error:
            raise PosetalkError(f"inference failed: {error}") from None
        return CoefficientSequence(result.exp[0], result.pose[0], result.shape[0], result.fps)
