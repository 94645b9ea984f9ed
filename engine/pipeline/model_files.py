"""The set of files one model needs, found in a model folder or named one by one.

A model folder holds ``denoiser.pt``, ``stats.npz``, ``shape.npy`` and optionally ``style.npy``
(and ``style_encoder.pt``), the layout of the published demo's inputs gathered in one place, and
optionally ``styles/NAME.npy`` style presets. With no model named, the default model installed
with the package (``posetalk/data/model``, trained by ``posetalk train``) is used. A model bundle
(``posetalk export onnx``, :mod:`posetalk.export.bundle`) exported from a model folder holds the
same files beside its ONNX graphs in place of ``denoiser.pt``, and loads the same way, to run on
the onnxruntime backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from posetalk.checkpoint.arrays import CoefficientStats, load_shape, load_stats, load_style
from posetalk.checkpoint.models import load_denoiser
from posetalk.data import DATA_DIR
from posetalk.errors import PosetalkError
from posetalk.export.bundle import MANIFEST, Bundle, load_bundle
from posetalk.model.config import DenoiserConfig
from posetalk.model.talking_head import DiffPoseTalk

DENOISER_FILE = "denoiser.pt"
STATS_FILE = "stats.npz"
SHAPE_FILE = "shape.npy"
STYLE_FILE = "style.npy"
STYLE_ENCODER_FILE = "style_encoder.pt"
STYLES_FOLDER = "styles"


def default_model_dir() -> Path:
    """The default model's folder inside the installed package."""
    return DATA_DIR / "model"


def is_bundle(folder: Path) -> bool:
    """Whether ``folder`` is a model bundle rather than a folder with a PyTorch checkpoint."""
    return (folder / MANIFEST).is_file() and not (folder / DENOISER_FILE).is_file()


@dataclass(frozen=True)
class ModelFiles:
    """Attributes:
        checkpoint: the denoiser checkpoint, or None for a bundle.
        bundle: the bundle folder holding the denoiser's graphs, or None.
        stats, shape, style: coefficient statistics, identity and style (None: none).
        styles: the folder of style presets (``styles/`` of the model folder), if it has one.
    """

    checkpoint: Path | None
    stats: Path
    shape: Path
    style: Path | None
    styles: Path | None = None
    bundle: Path | None = None

    @property
    def source(self) -> Path:
        """The checkpoint or the bundle, to name the model by."""
        return self.checkpoint if self.checkpoint is not None else self.bundle


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to sample: its network (a torch model, or a bundle's graphs), statistics,
    identity and style."""

    model: DiffPoseTalk | None
    stats: CoefficientStats
    shape: np.ndarray
    style: np.ndarray | None
    files: ModelFiles
    bundle: Bundle | None = None

    @property
    def network(self) -> DiffPoseTalk | Bundle:
        """What a backend runs (:func:`posetalk.backends.choice.build_backend`)."""
        return self.model if self.model is not None else self.bundle

    @property
    def config(self) -> DenoiserConfig:
        return self.network.config


def resolve_model_files(
    model_dir: str | Path | None = None,
    checkpoint: str | Path | None = None,
    stats: str | Path | None = None,
    shape: str | Path | None = None,
    style: str | Path | None = None,
    use_style: bool = True,
) -> ModelFiles:
    """Explicit paths win; the rest come from ``model_dir`` (the default model when neither a
    folder nor a checkpoint is named). ``style`` is a file or the name of one of the folder's presets."""
    folder = Path(model_dir) if model_dir is not None else None
    if folder is None and checkpoint is None:
        folder = default_model_dir()
        if not (folder / DENOISER_FILE).is_file():
            raise PosetalkError(f"no model given and the default model is not installed ({folder}); pass --model-dir")
    if folder is not None and not folder.is_dir():
        raise PosetalkError(f"{folder}: no such model folder")

    def pick(explicit: str | Path | None, name: str, option: str) -> Path:
        if explicit is not None:
            return Path(explicit)
        if folder is None:
            raise PosetalkError(f"no {option} given: pass {option} or --model-dir")
        return folder / name

    styles = folder / STYLES_FOLDER if folder is not None and (folder / STYLES_FOLDER).is_dir() else None
    style_path = _style_file(style, styles)
    if style_path is None and folder is not None and (folder / STYLE_FILE).is_file():
        style_path = folder / STYLE_FILE
    bundle = folder if checkpoint is None and folder is not None and is_bundle(folder) else None
    return ModelFiles(
        checkpoint=None if bundle is not None else pick(checkpoint, DENOISER_FILE, "--checkpoint"),
        stats=pick(stats, STATS_FILE, "--stats"),
        shape=pick(shape, SHAPE_FILE, "--shape"),
        style=style_path if use_style else None,
        styles=styles,
        bundle=bundle,
    )


def _style_file(style: str | Path | None, styles: Path | None) -> Path | None:
    """A style given as a file, or as the name of a preset in ``styles``."""
    if style is None:
        return None
    style = Path(style)
    if style.is_file() or style.suffix or len(style.parts) > 1:
        return style
    if styles is not None and (styles / f"{style}.npy").is_file():
        return styles / f"{style}.npy"
    known = ", ".join(sorted(p.stem for p in styles.glob("*.npy"))) if styles is not None else "none"
    raise PosetalkError(f"no style file or preset named {str(style)!r} (presets: {known})")


def load_model_files(files: ModelFiles, device: torch.device | str = "cpu") -> LoadedModel:
    """Load and cross-check every file of a model; errors name the file at fault. A bundle's
    graphs are verified, not loaded (the onnxruntime backend opens them)."""
    model = load_denoiser(files.checkpoint, device) if files.checkpoint is not None else None
    bundle = load_bundle(files.bundle) if model is None else None
    config = (model if model is not None else bundle).config
    style = None
    if files.style is not None:
        if not config.use_style:
            raise PosetalkError(f"{files.style}: {files.source} was trained without style; drop the style file")
        style = load_style(files.style, config.d_style)
    return LoadedModel(model, load_stats(files.stats), load_shape(files.shape), style, files, bundle)
