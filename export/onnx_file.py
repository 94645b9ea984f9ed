"""One graph to one ONNX file: torch.export, the ONNX translation, the checker and shape inference.

The translation uses the dynamo-based exporter (``torch.onnx.export(..., dynamo=True)``, which
needs onnxscript): it keeps the symbolic shapes torch.export derives, so the audio graph's number
of frames follows its input length, and it translates complex tensors (Whisper's ``torch.stft``,
see :mod:`posetalk.export.translations`). The TorchScript exporter can do neither.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import onnx
import torch

from posetalk.export.graphs import GraphSpec
from posetalk.export.translations import TRANSLATIONS

OPSET = 18
"""ONNX opset of every graph (>= 17 for LayerNormalization)."""


def _dynamic_shapes(spec: GraphSpec) -> tuple:
    """spec.dynamic in the structure torch.export binds the inputs to: one entry per named
    parameter of forward, then a tuple for ``*rest`` if it has one."""
    dims = [spec.dynamic.get(name) for name in spec.inputs]
    parameters = inspect.signature(spec.module.forward).parameters.values()
    named = sum(p.kind == p.POSITIONAL_OR_KEYWORD for p in parameters)
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return (*dims[:named], tuple(dims[named:]))
    return tuple(dims)


def export_graph(spec: GraphSpec, path: Path) -> None:
    """Trace ``spec`` and write it to ``path``, checked by onnx.checker and strict shape inference.

    The module's forward must have been run once on real tensors beforehand: modules that cache
    tensors on first use (Whisper's mel filters) would otherwise cache the tracer's fake tensors.
    """
    with torch.no_grad():
        program = torch.export.export(spec.module, spec.example, dynamic_shapes=_dynamic_shapes(spec), strict=False)
        onnx_program = torch.onnx.export(
            program, input_names=list(spec.inputs), output_names=list(spec.outputs), opset_version=OPSET,
            dynamo=True, custom_translation_table=TRANSLATIONS, verbose=False,
        )
    onnx_program.save(str(path))
    check_graph(path)


def check_graph(path: Path) -> onnx.ModelProto:
    """onnx.checker on the file, then strict shape inference; returns the inferred model."""
    onnx.checker.check_model(str(path), full_check=True)
    return onnx.shape_inference.infer_shapes(onnx.load(str(path)), check_type=True, strict_mode=True)
