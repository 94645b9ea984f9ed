"""The one way the command line builds a live streaming engine (``live``, ``serve``, ``bridge``).

Every command that streams takes the same options (:func:`~posetalk.cli.options.add_stream_arguments`)
and goes through :func:`build_live_engine`, so the same options give the same stream everywhere,
and each reports its streaming configuration in the same start-up line.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # these import torch
    from posetalk.audio.ring import AudioRingBuffer
    from posetalk.stream.engine import StreamingEngine


def build_live_engine(args: argparse.Namespace, ring: AudioRingBuffer) -> StreamingEngine:
    """The streaming engine the options name, reading ``ring``; loads the model files (slow).

    Call it before the main thread runs tensor code: it reserves the CPU cores for the engine's
    scheduler thread (see posetalk/stream/threads.py). Prints the configuration (to stdout: stderr
    is for errors and warnings).
    """
    from posetalk.cli.options import (
        backend_from_args,
        describe_stream,
        device_from_args,
        model_files_from_args,
        stream_config_from_args,
        worker_threads_from_args,
    )
    from posetalk.diffusion.noise import SeededNoise
    from posetalk.pipeline.model_files import load_model_files
    from posetalk.stream.engine import StreamingEngine
    from posetalk.stream.style_control import StylePresets

    config = stream_config_from_args(args)
    threads = worker_threads_from_args(args)
    device = device_from_args(args)
    loaded = load_model_files(model_files_from_args(args), device)
    styles = args.styles or loaded.files.styles
    presets = StylePresets(styles, loaded.config.d_style) if styles else None
    backend = backend_from_args(args, loaded.network, threads)
    print(describe_stream(config, backend.name, str(device), threads, args.seed), flush=True)
    return StreamingEngine(backend, loaded.stats, loaded.shape, loaded.style, config, ring,
                           presets=presets, noise=SeededNoise(args.seed), threads=threads)
