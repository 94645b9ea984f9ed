"""ONNX Runtime over a model bundle (:mod:`posetalk.export.bundle`): no torch weights needed.

Tensors cross the :class:`~posetalk.backends.base.ModelBackend` interface as torch tensors on the
backend's device. Every call goes through ONNX Runtime's IO binding with torch-allocated inputs
and outputs, so nothing is copied at the edges (on the CPU and on a CUDA device alike); fp16
graphs are cast at the edges, their cross-attention memory stays fp16 between calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
import torch

from posetalk.backends.base import LearnedEmbeddings
from posetalk.diffusion.schedules import Schedule
from posetalk.export.bundle import Bundle
from posetalk.model.config import DenoiserConfig

_DTYPES = {"fp32": torch.float32, "fp16": torch.float16}


@dataclass(frozen=True)
class _Memory:
    """:meth:`OnnxRuntimeBackend.condition`'s result: every layer's keys then values, (B, heads, L_p + L, d_head)."""

    tensors: tuple[torch.Tensor, ...]


def session_options(threads: int | None) -> ort.SessionOptions:
    """Sequential execution (the graphs are chains), full graph optimisation, ``threads`` intra-op
    threads (None: ONNX Runtime's default, one per physical core)."""
    options = ort.SessionOptions()
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads is not None:
        options.intra_op_num_threads = threads
    return options


def providers_for(device: torch.device) -> list[str | tuple[str, dict[str, str]]]:
    """CUDAExecutionProvider on ``device``'s GPU when asked for and available, else the CPU provider."""
    if device.type == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise ValueError("this onnxruntime has no CUDA provider; install onnxruntime-gpu or run on the CPU")
        return [("CUDAExecutionProvider", {"device_id": str(device.index or 0)})]
    if device.type != "cpu":
        raise ValueError(f"the onnxruntime backend runs on cpu or cuda, not {device}")
    return ["CPUExecutionProvider"]


class _Graph:
    """One inference session, called with torch tensors bound in place."""

    def __init__(self, path: str, device: torch.device, threads: int | None, dtype: torch.dtype) -> None:
        self.session = ort.InferenceSession(path, session_options(threads), providers=providers_for(device))
        self.device = device
        self.dtype = dtype
        self.inputs = tuple(i.name for i in self.session.get_inputs())
        self.outputs = tuple(o.name for o in self.session.get_outputs())

    def _bind(self, bind, name: str, tensor: torch.Tensor) -> None:
        bind(name, self.device.type, self.device.index or 0, _numpy_dtype(tensor.dtype), tuple(tensor.shape), tensor.data_ptr())

    def __call__(self, inputs: tuple[torch.Tensor, ...], output_shapes: tuple[tuple[int, ...], ...]) -> tuple[torch.Tensor, ...]:
        """inputs in the graph's order (floating ones cast to its precision) -> outputs of the given shapes."""
        binding = self.session.io_binding()
        inputs = tuple((x.to(self.dtype) if x.is_floating_point() else x).contiguous() for x in inputs)
        for name, tensor in zip(self.inputs, inputs):
            self._bind(binding.bind_input, name, tensor)
        outputs = tuple(torch.empty(shape, dtype=self.dtype, device=self.device) for shape in output_shapes)
        for name, tensor in zip(self.outputs, outputs):
            self._bind(binding.bind_output, name, tensor)
        self.session.run_with_iobinding(binding)
        return outputs


def _numpy_dtype(dtype: torch.dtype) -> type:
    return {torch.float32: np.float32, torch.float16: np.float16, torch.int64: np.int64}[dtype]


class OnnxRuntimeBackend:
    """Runs a bundle's graphs with ONNX Runtime.

    Args:
        bundle: a loaded (verified) bundle.
        device: ``cpu``, or a CUDA device (needs onnxruntime-gpu).
        threads: intra-op threads of every session (None: ONNX Runtime's default).
    """

    name = "onnxruntime"

    def __init__(self, bundle: Bundle, device: torch.device | str = "cpu", threads: int | None = None) -> None:
        self.bundle = bundle
        self.device = torch.device(device)
        self.config: DenoiserConfig = bundle.config
        self.schedule: Schedule = bundle.schedule
        self.embeddings: LearnedEmbeddings = LearnedEmbeddings(
            *(None if e is None else e.to(self.device) for e in (
                bundle.embeddings.start_motion, bundle.embeddings.start_audio,
                bundle.embeddings.null_audio, bundle.embeddings.null_style))
        )
        self.graphs = {name: _Graph(str(entry.file), self.device, threads, _DTYPES[entry.precision])
                       for name, entry in bundle.graphs.items()}

    def audio_features(self, audio: torch.Tensor, n_frames: int) -> torch.Tensor:
        """audio: (N, S) -> (N, n_frames, d_model). The graph encodes whole frames: audio beyond
        ``n_frames`` frames is left out (the torch encoder cuts its features there too, though its
        edge padding follows S), and shorter audio is an error."""
        spf, longest = self.bundle.samples_per_frame, self.bundle.max_audio_frames
        if audio.shape[1] < n_frames * spf:
            raise ValueError(f"{audio.shape[1]} samples cannot give {n_frames} frames of {spf} samples")
        if not 2 <= n_frames <= longest:
            raise ValueError(f"the exported audio encoder takes 2 to {longest} frames, not {n_frames}")
        (features,) = self.graphs["audio"]((audio[:, : n_frames * spf],), ((audio.shape[0], n_frames, self.config.feature_dim),))
        return features

    def condition(self, prev_audio: torch.Tensor, audio: torch.Tensor) -> _Memory:
        config = self.config
        shape = (audio.shape[0], config.n_heads, prev_audio.shape[1] + audio.shape[1], config.feature_dim // config.n_heads)
        return _Memory(self.graphs["memory"]((prev_audio, audio), (shape,) * (2 * config.n_layers)))

    def denoise(
        self,
        x_t: torch.Tensor,
        step: torch.Tensor,
        person: torch.Tensor,
        prev_motion: torch.Tensor,
        indicator: torch.Tensor | None,
        audio: object,
    ) -> torch.Tensor:
        if not isinstance(audio, _Memory):
            raise TypeError("denoise takes the audio condition this backend's condition() returned")
        if self.config.use_indicator and indicator is None:
            raise ValueError("this checkpoint needs the padding indicator")
        inputs = (x_t, step.to(torch.int64), person, prev_motion) + ((indicator,) if self.config.use_indicator else ())
        shape = (x_t.shape[0], prev_motion.shape[1] + x_t.shape[1], self.config.motion_dim)
        (target,) = self.graphs["denoise"]((*inputs, *audio.tensors), (shape,))
        return target.float()
