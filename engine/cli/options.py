"""Command-line options shared by every command that runs the model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from posetalk.diffusion.sampler_names import SAMPLER_NAMES
from posetalk.errors import PosetalkError
from posetalk.stream.config import StreamConfig

if TYPE_CHECKING:  # these import torch
    import numpy as np
    import torch

    from posetalk.diffusion.guidance import Guidance
    from posetalk.backends.base import ModelBackend
    from posetalk.export.bundle import Bundle
    from posetalk.model.talking_head import DiffPoseTalk
    from posetalk.pipeline.model_files import LoadedModel, ModelFiles
    from posetalk.pipeline.offline import Coefficients, SamplingOptions

BACKENDS = ("torch", "onnxruntime", "auto")
"""Inference backends; the default is torch for a PyTorch checkpoint and onnxruntime for a model
bundle, ``auto`` onnxruntime where it and the exporter import, else torch."""
ONNX_EXTRA = "pip install -e '.[onnx]' (onnx, onnxscript, onnxruntime)"
"""How to get the onnxruntime backend and the exporter, for error messages."""
STREAM_DEFAULTS = StreamConfig()
"""The streaming defaults: the command line offers the dataclass's own."""
LIVE_MAX_BACKLOG_MS = 1000.0
"""A live stream skips ahead when this far behind (the dataclass never skips: files, tests)."""


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model-dir", type=Path,
                       help="folder with denoiser.pt, stats.npz, shape.npy[, style.npy, styles/] (default: the built-in model)")
    group.add_argument("--checkpoint", type=Path, help="DiffPoseTalk denoiser checkpoint (.pt)")
    group.add_argument("--stats", type=Path, help="coefficient statistics (.npz)")
    group.add_argument("--shape", type=Path, help="identity shape coefficients (.npy, 100 values)")
    group.add_argument("--style", help="style preset name (neutral, expressive, subtle, smiling, lively_head, calm_head "
                                       "for the built-in model) or a style feature .npy from `posetalk style extract`")
    group.add_argument("--no-style", action="store_true", help="ignore the model folder's style.npy")
    group.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:1, …)")
    group.add_argument("--backend", choices=BACKENDS,
                       help="inference backend (default: torch; onnxruntime for a model bundle)")
    group.add_argument("--no-cache-memory", action="store_true",
                       help="torch: recompute the cross-attention keys/values of the audio at every denoising step")


def add_guidance_arguments(group: argparse._ArgumentGroup) -> None:
    """Guidance, thresholding and the noise seed: the same for offline and streaming sampling."""
    d = STREAM_DEFAULTS
    group.add_argument("--cfg-scale-audio", type=float, default=d.cfg_scale_audio,
                       help=f"guidance scale of the audio (default {d.cfg_scale_audio:g})")
    group.add_argument("--cfg-scale-style", type=float, default=d.cfg_scale_style,
                       help=f"guidance scale of the style (default {d.cfg_scale_style:g})")
    group.add_argument("--cfg-mode", choices=("incremental", "independent"), help="default: the checkpoint's")
    group.add_argument(
        "--dynamic-threshold",
        type=float,
        nargs=3,
        metavar=("RATIO", "MIN", "MAX"),
        help="clamp predictions to their RATIO quantile, bounded to [MIN, MAX]",
    )
    group.add_argument("--seed", type=int, help="noise seed (default: random)")


def add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    """Offline sampling of whole clips (``infer``, ``render``)."""
    group = parser.add_argument_group("sampling")
    add_guidance_arguments(group)
    group.add_argument("--sampler", choices=SAMPLER_NAMES, default="dpmpp-2m",
                       help="dpmpp-2m (default) or ddim over --steps steps per window; ddpm: the published "
                            "ancestral sampler over every step (the reference, slow)")
    group.add_argument("--steps", type=int, default=10, help="denoiser evaluations per window (default 10; not ddpm)")
    group.add_argument("-n", "--repetitions", type=int, default=1, help="independent samples to draw")


def model_files_from_args(args: argparse.Namespace) -> ModelFiles:
    from posetalk.pipeline.model_files import resolve_model_files

    return resolve_model_files(args.model_dir, args.checkpoint, args.stats, args.shape, args.style, not args.no_style)


def device_from_args(args: argparse.Namespace) -> torch.device:
    import torch

    try:
        device = torch.device(args.device)
    except RuntimeError:
        raise PosetalkError(f"unknown device {args.device!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise PosetalkError(f"device {args.device!r} asked for, but this machine has no usable CUDA device")
    return device


def onnx_importable() -> bool:
    """Whether onnxruntime and the exporter (onnx, onnxscript) are installed."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx", "onnxscript"))


def backend_from_args(args: argparse.Namespace, network: DiffPoseTalk | Bundle, threads: int | None = None) -> ModelBackend:
    """The backend ``--backend`` names (:func:`posetalk.backends.choice.build_backend`), running
    ``network``, with ``threads`` intra-op threads for ONNX Runtime, those the stream's worker gets
    (None: ONNX Runtime's default, one per core). The calling thread's torch setting is no guide: a
    streaming command makes it serial."""
    from posetalk.backends.choice import build_backend, default_backend_name

    name = args.backend or default_backend_name(network)
    if name == "auto":
        name = "onnxruntime" if onnx_importable() else default_backend_name(network)
    if name == "onnxruntime" and not onnx_importable():
        raise PosetalkError(f"--backend onnxruntime needs onnxruntime, onnx and onnxscript: {ONNX_EXTRA}")
    try:
        return build_backend(network, name, device_from_args(args), threads, cache_memory=not args.no_cache_memory)
    except ValueError as error:
        raise PosetalkError(f"--backend {name}: {error}") from None


def sampling_options_from_args(args: argparse.Namespace, loaded: LoadedModel) -> SamplingOptions:
    """Guidance on the checkpoint's conditions with the given scales; style guidance only when a
    style is given (without one the style branch would compare the null style with itself)."""
    from posetalk.diffusion.guidance import guidance_for_style
    from posetalk.diffusion.thresholding import DynamicThreshold
    from posetalk.pipeline.offline import SamplingOptions

    config = loaded.config
    if args.repetitions < 1:
        raise PosetalkError(f"--repetitions must be at least 1, got {args.repetitions}")
    try:
        guidance: Guidance = guidance_for_style(
            config.guiding_conditions, loaded.style is not None, args.cfg_scale_audio, args.cfg_scale_style,
            args.cfg_mode or config.cfg_mode,
        )
        threshold = DynamicThreshold(*args.dynamic_threshold) if args.dynamic_threshold else None
    except ValueError as error:
        raise PosetalkError(str(error)) from None
    if args.steps < 1:
        raise PosetalkError(f"--steps must be at least 1, got {args.steps}")
    return SamplingOptions(guidance, threshold, 0.0, args.repetitions, args.sampler, args.steps)


def add_stream_arguments(parser: argparse.ArgumentParser) -> None:
    """Streaming options, the same for every command that runs a live stream (``live``,
    ``serve``, ``bridge``, ``bench``); defaults are :class:`StreamConfig`'s."""
    d = STREAM_DEFAULTS
    group = parser.add_argument_group("streaming")
    group.add_argument("--sampler", choices=SAMPLER_NAMES, default=d.sampler, help=f"default {d.sampler}")
    group.add_argument("--steps", type=int, default=d.steps, help=f"denoiser evaluations per tick (default {d.steps})")
    group.add_argument("--eta", type=float, default=d.eta, help=f"DDIM stochasticity (default {d.eta:g})")
    group.add_argument("--lookahead", type=float, default=d.lookahead_ms, metavar="MS",
                       help=f"audio lookahead (default {d.lookahead_ms:g} ms)")
    group.add_argument("--frames-per-tick", type=int, default=d.frames_per_tick,
                       help=f"frames emitted per tick (default {d.frames_per_tick})")
    group.add_argument("--revision-frames", type=int, default=d.revision_frames, metavar="N",
                       help="frames before the new ones that each tick denoises again, so the model follows "
                       f"the audio rather than its own last frames (default {d.revision_frames})")
    group.add_argument("--head-window", action="store_true",
                       help="sample a second window from the newest frames for the head, which then sways smoothly "
                       "instead of trembling at the tick rate (twice the denoiser rows: about 25 ms more latency here)")
    group.add_argument("--context", type=float, default=d.left_context_ms, metavar="MS",
                       help=f"left audio context (default {d.left_context_ms:g} ms)")
    group.add_argument("--encode-unheard", type=_unheard_ms, default=d.unheard_ms, metavar="MS|window",
                       help="silence past the heard audio given to the speech encoder, the window's later frames "
                       "repeating the last encoded features; 'window': silence to the window's end, exact "
                       f"(default {'window' if d.unheard_ms is None else f'{d.unheard_ms:g}'}; 400 halves HuBERT's cost on "
                       "100-frame windows)")
    group.add_argument("--warm-start", type=float, metavar="FRACTION", help="start windows re-noised to this fraction of T")
    add_guidance_arguments(group)
    group.add_argument("--no-silence-gate", action="store_true", help="leave the mouth to the model during silence")
    group.add_argument("--max-backlog", type=float, default=LIVE_MAX_BACKLOG_MS, metavar="MS",
                       help=f"skip ahead (dropping frames) when this far behind the audio (default {LIVE_MAX_BACKLOG_MS:g} ms)")
    group.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")


def _unheard_ms(text: str) -> float | None:
    """``--encode-unheard``: milliseconds, or ``window`` (None)."""
    if text == "window":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected milliseconds or 'window', got {text!r}") from None


def stream_config_from_args(args: argparse.Namespace) -> StreamConfig:
    from posetalk.diffusion.thresholding import DynamicThreshold

    try:
        return StreamConfig(
            sampler=args.sampler, steps=args.steps, eta=args.eta, frames_per_tick=args.frames_per_tick,
            revision_frames=args.revision_frames, head_window=args.head_window,
            lookahead_ms=args.lookahead, left_context_ms=args.context, unheard_ms=args.encode_unheard,
            warm_start=args.warm_start,
            cfg_scale_audio=args.cfg_scale_audio, cfg_scale_style=args.cfg_scale_style, cfg_mode=args.cfg_mode,
            dynamic_threshold=DynamicThreshold(*args.dynamic_threshold) if args.dynamic_threshold else None,
            silence_gate=not args.no_silence_gate,
            max_backlog_ms=args.max_backlog,
        )
    except ValueError as error:
        raise PosetalkError(str(error)) from None


def worker_threads_from_args(args: argparse.Namespace) -> int:
    """``--threads`` for the engine's worker, the main thread made serial (see stream/threads.py)."""
    from posetalk.stream.threads import reserve_cores_for_worker

    if args.threads is not None and args.threads < 1:
        raise PosetalkError(f"--threads must be at least 1, got {args.threads}")
    return reserve_cores_for_worker(args.threads)


def describe_stream(config: StreamConfig, backend: str, device: str, threads: int, seed: int | None) -> str:
    """The start-up line of every streaming command: what streams, where, and how."""
    noise = "random seed" if seed is None else f"seed {seed}"
    plural = "" if threads == 1 else "s"
    return f"posetalk: streaming {config.summary()}; {backend} on {device}, {threads} thread{plural}, {noise}"


def infer_from_args(args: argparse.Namespace, audio: np.ndarray) -> Coefficients:
    """Offline inference of (S,) 16 kHz ``audio`` with the model and sampling the options name,
    with a progress bar; errors name ``args.audio``."""
    from tqdm import tqdm

    from posetalk.diffusion.noise import SeededNoise
    from posetalk.pipeline.model_files import load_model_files
    from posetalk.pipeline.offline import generate, plan_windows

    files = model_files_from_args(args)
    print(f"model: {files.source}")
    device = device_from_args(args)
    loaded = load_model_files(files, device)
    options = sampling_options_from_args(args, loaded)
    config = loaded.config
    total = plan_windows(len(audio), config.n_motions, config.fps).n_windows * options.evaluations(config.n_diff_steps)
    backend = backend_from_args(args, loaded.network)
    with tqdm(total=total, desc="denoising", unit="step", leave=False) as bar:
        try:
            return generate(
                backend, loaded.stats, audio, loaded.shape, loaded.style, options,
                SeededNoise(args.seed, device), on_step=lambda: bar.update(),
            )
        except ValueError as error:
            raise PosetalkError(f"{args.audio}: {error}") from None
