"""ONNX translations of the operations the exporter has none for, or only an imprecise one.

Registered through ``torch.onnx.export(custom_translation_table=...)``; each is an onnxscript
function traced once per call site.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable

import numpy as np
import onnx
import torch
from onnxscript import FLOAT, INT64
from onnxscript import opset18 as op


def round_size(x: FLOAT, ndigits: None = None) -> INT64:
    """Python's ``round`` of a symbolic size (e.g. the audio encoder's feature count): ONNX ``Round``
    rounds half to even, as Python does (https://onnx.ai/onnx/operators/onnx__Round.html)."""
    return op.Cast(op.Round(x), to=INT64.dtype)


def dft_basis(n_fft: int) -> np.ndarray:
    """(2 (n_fft // 2 + 1), n_fft) real and imaginary rows of the one-sided DFT, e^{-2 pi i k n / N}."""
    k = np.arange(n_fft // 2 + 1)[:, None]
    angle = 2 * np.pi * k * np.arange(n_fft)[None] / n_fft
    return np.concatenate([np.cos(angle), -np.sin(angle)]).astype(np.float32)


def stft(self: FLOAT, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: FLOAT | None = None, normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None) -> FLOAT:
    """``aten::stft`` of a (N, S) signal as one strided ``Conv`` with the windowed DFT basis as its
    kernels -> (N, n_fft // 2 + 1, frames, 2), the real form of the complex result.

    ONNX Runtime's ``STFT`` kernel (opset 17) loses precision in quiet frequency bins: on
    Whisper's log-mel front-end it deviates from float64 by 7e-3 where PyTorch's FFT and this
    float32 product deviate by 3e-5 and 2e-5. Only what the engine uses is supported: a window
    of n_fft samples, one-sided, unnormalised.
    """
    if window is None or win_length not in (None, n_fft) or onesided is False or normalized:
        raise NotImplementedError("stft export supports a full-length window, one-sided and unnormalised")
    hop = n_fft // 4 if hop_length is None else hop_length
    bins = n_fft // 2 + 1
    basis = op.Constant(value=onnx.numpy_helper.from_array(dft_basis(n_fft)))
    kernels = op.Unsqueeze(op.Mul(basis, op.CastLike(window, basis)), op.Constant(value_ints=[1]))  # (2F, 1, n_fft)
    spectrum = op.Conv(op.Unsqueeze(self, op.Constant(value_ints=[1])), kernels, strides=[hop])  # (N, 2F, T)
    n, frames = op.Shape(spectrum, start=0, end=1), op.Shape(spectrum, start=2, end=3)
    shape = op.Concat(n, op.Constant(value_ints=[2, bins]), frames, axis=0)
    return op.Transpose(op.Reshape(spectrum, shape), perm=[0, 2, 3, 1])  # (N, F, T, 2)


TRANSLATIONS: dict[Callable, Callable] = {builtins.round: round_size, torch.ops.aten.stft.default: stft}
