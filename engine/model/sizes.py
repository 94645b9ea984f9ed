"""The names of the reference architectures :func:`posetalk.model.architectures.reference_model`
builds, free of torch so the command line can offer them without loading it."""

from __future__ import annotations

from typing import Literal

ModelSize = Literal["published", "small"]
MODEL_SIZES: tuple[ModelSize, ...] = ("published", "small")
