"""The names of the samplers :func:`posetalk.diffusion.samplers.run_sampler` runs, free of torch so
the command line can offer them without loading it."""

from __future__ import annotations

from typing import Literal

SamplerName = Literal["ddpm", "ddim", "dpmpp-2m"]
SAMPLER_NAMES: tuple[SamplerName, ...] = ("ddpm", "ddim", "dpmpp-2m")
