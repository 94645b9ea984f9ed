"""Bundles exported on first use: ``--backend onnxruntime`` given a torch model exports it once
into a cache folder named after its weights and reuses that bundle afterwards.

The cache is ``$POSETALK_CACHE/onnx`` when that variable is set, else
``$XDG_CACHE_HOME/posetalk/onnx`` (``~/.cache/posetalk/onnx``). A bundle there is keyed by the
SHA-256 of the model's tensors rather than of a file, so random-weight architectures
(``bench --model-size``) are cached too, and two checkpoints holding the same weights share one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

from posetalk.errors import PosetalkError
from posetalk.export.bundle import FORMAT_VERSION, Bundle, load_bundle
from posetalk.model.talking_head import DiffPoseTalk

log = logging.getLogger(__name__)


def cache_root() -> Path:
    explicit = os.environ.get("POSETALK_CACHE")
    if explicit:
        return Path(explicit) / "onnx"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "posetalk" / "onnx"


def weights_sha256(model: DiffPoseTalk) -> str:
    """SHA-256 over every tensor of ``model`` (name, dtype, shape and bytes, in name order)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)};".encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def cached_bundle(model: DiffPoseTalk, root: Path | None = None) -> Bundle:
    """The fp32 bundle of ``model`` in ``root`` (default :func:`cache_root`), exported (and logged) the first time."""
    digest = weights_sha256(model)
    folder = (root or cache_root()) / f"v{FORMAT_VERSION}-{digest}"
    if folder.exists():
        try:
            return load_bundle(folder)
        except PosetalkError as error:
            log.warning("re-exporting the cached bundle: %s", error)
            shutil.rmtree(folder)
    from posetalk.export.write import export_bundle  # needs onnx and onnxscript

    log.info("exporting the model to ONNX once, into %s", folder)
    return export_bundle(model, folder, digest)
