"""`posetalk bench`: latency, throughput and fidelity of the streaming pipeline, measured live."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from posetalk.cli.options import add_model_arguments, add_stream_arguments, stream_config_from_args
from posetalk.model.sizes import MODEL_SIZES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure streaming latency, compute and deviation from the offline reference",
        description="Paces the bundled speech sample through the real streaming pipeline in real time and "
        "reports per-frame latency, tick compute, real-time factor, deadline misses and the deviation "
        "from the published offline sampler.",
    )
    parser.add_argument("--model-size", choices=MODEL_SIZES,
                        help="random weights in the published or a streaming-sized architecture, to measure speed "
                        "without trained weights (default: the model given, else the built-in model)")
    parser.add_argument("--duration", type=float, default=20.0, metavar="S", help="seconds of speech (default 20)")
    parser.add_argument("--no-reference", action="store_true", help="skip the offline reference (deviation)")
    parser.add_argument("--quality", choices=("steps", "lookahead", "frames-per-tick", "warm-start", "encode-unheard"),
                        help="instead of timing, tabulate deviation from the offline reference as this option varies")
    parser.add_argument("--streams", type=int, default=1, metavar="N",
                        help="N real-time streams at once, first each ticking on its own, then batched together "
                        "(one denoiser call per step for all); figures over all streams (default 1)")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    add_model_arguments(parser)
    add_stream_arguments(parser)
    parser.set_defaults(run=run)


def _setup(args: argparse.Namespace, threads: int):
    import numpy as np

    from posetalk.checkpoint.arrays import CoefficientStats
    from posetalk.cli.options import backend_from_args, device_from_args, model_files_from_args
    from posetalk.errors import PosetalkError
    from posetalk.model.architectures import reference_model
    from posetalk.pipeline.model_files import load_model_files
    from posetalk.stream.bench import BenchSetup

    config = stream_config_from_args(args)
    if args.model_size is None:
        loaded = load_model_files(model_files_from_args(args), device_from_args(args))
        return BenchSetup(backend_from_args(args, loaded.network, threads), loaded.stats, loaded.shape, loaded.style, config, args.duration,
                          not args.no_reference, _seed(args), threads)
    if args.checkpoint or args.model_dir:
        raise PosetalkError("--model-size measures a random-weight architecture; it cannot go with a model")
    model = reference_model(args.model_size).to(device_from_args(args))
    unit = {f"{k}_{s}": (np.zeros if s == "mean" else np.ones)(n, np.float32)
            for k, n in (("exp", 50), ("pose", 6), ("shape", 100)) for s in ("mean", "std")}
    style = np.random.default_rng(0).standard_normal(model.config.d_style).astype(np.float32)
    return BenchSetup(backend_from_args(args, model, threads), CoefficientStats(**unit), np.zeros(100, np.float32), style, config, args.duration,
                      not args.no_reference, _seed(args), threads)


def _seed(args: argparse.Namespace) -> int:
    """The noise seed: a benchmark is reproducible, so 0 unless ``--seed`` says otherwise."""
    return 0 if args.seed is None else args.seed


@contextmanager
def _progress_bar(description: str, total: int, unit: str) -> Iterator[Callable[[int], None]]:
    """A :data:`~posetalk.stream.bench.Phase` drawn as a progress bar on stderr; the engine's log
    lines are printed above the bar instead of through it."""
    import logging

    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm([logging.getLogger("posetalk")]), \
            tqdm(total=total, desc=description, unit=unit, file=sys.stderr, leave=False) as bar:
        yield bar.update
    print(f"posetalk bench: {description}: done in {bar.format_dict['elapsed']:.1f} s", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict, replace

    import torch

    from posetalk.cli.options import describe_stream, model_files_from_args, worker_threads_from_args
    from posetalk.errors import PosetalkError
    from posetalk.stream.bench import reference_steps, run_bench

    if args.duration <= 0:
        raise PosetalkError("--duration must be positive")
    threads = worker_threads_from_args(args)
    setup = _setup(args, threads)
    print(describe_stream(setup.config, setup.backend.name, str(setup.backend.device), threads, setup.seed))
    if args.quality:
        torch.set_num_threads(threads)  # the sweep runs on this thread
        return _quality(args, setup)
    described = f"{args.model_size} architecture with random weights" if args.model_size else \
        f"model {model_files_from_args(args).source}"
    if args.streams < 1:
        raise PosetalkError(f"--streams must be at least 1, got {args.streams}")
    if args.streams > 1:
        print(f"posetalk bench: {described}, {args.streams} streams of {args.duration:g} s of speech in real time, "
              "each stream ticking on its own, then all batched")
        unbatched = run_bench(replace(setup, streams=args.streams, batched=False, reference=False), _progress_bar)
        _print_report("unbatched", unbatched)
        report = run_bench(replace(setup, streams=args.streams, batched=True, reference=False), _progress_bar)
        _print_report("batched", report)
        summary = {**asdict(report), "unbatched": asdict(unbatched)}
    else:
        reference = "no offline reference" if args.no_reference else \
            f"then the offline reference ({reference_steps(setup, round(args.duration * 16000))} denoiser steps)"
        print(f"posetalk bench: {described}, {args.duration:g} s of speech in real time, {reference}")
        report = run_bench(setup, _progress_bar)
        _print_report(None, report)
        summary = asdict(report)
    if args.json:
        print(json.dumps(summary))
    return 0


def _print_report(title: str | None, report) -> None:
    """The report's figures, one topic a line (under ``title`` when several runs are compared)."""
    lat, tick = report.latency_ms, report.tick_ms
    if title is not None:
        batches = f", {report.batch_size_mean:g} ticks a batch" if report.batched else ""
        print(f"-- {title}: {report.streams} streams{batches}")
    print(f"latency  p50 {lat['p50']:.1f}  p95 {lat['p95']:.1f}  p99 {lat['p99']:.1f}  max {lat['max']:.1f} ms")
    print(f"tick     p50 {tick['p50']:.1f}  p95 {tick['p95']:.1f} ms  (features {report.breakdown_ms['features_p50']:.1f}, "
          f"sampling {report.breakdown_ms['sampling_p50']:.1f})  real-time factor {report.rtf:.3f}")
    print(f"frames   {report.frames}/{report.expected_frames} in order: {report.in_order}  "
          f"deadline misses {report.deadline_misses}  skipped {report.skipped_frames}  failed ticks {report.failed_ticks}")
    if report.deviation:
        d = report.deviation
        print(f"deviation from the offline reference: mean {d['mean_abs']:.4f} max {d['max_abs']:.4f} "
              f"(two reference runs differ by {d['noise_floor_mean_abs']:.4f}); seam ratio {d['seam']:.3f} "
              f"(reference windows {d['reference_seam']:.3f}); the reference took {d['reference_s']:.0f} s")


def _quality(args: argparse.Namespace, setup) -> int:
    from posetalk.audio.io import load_audio
    from posetalk.data import SPEECH_SAMPLE
    from posetalk.stream.bench import QUALITY_SWEEPS, quality_sweep

    audio = load_audio(SPEECH_SAMPLE)[: int(args.duration * 16000)]
    rows = quality_sweep(setup, args.quality, audio, _progress_bar)
    option = QUALITY_SWEEPS[args.quality][0]
    exact = "exact_mean_abs" in rows[0]
    print(f"| {option} | mean abs | max abs | seam ratio | noise floor |" + (" vs exact: mean abs | max abs |" if exact else ""))
    print("| --- | --- | --- | --- | --- |" + (" --- | --- |" if exact else ""))
    for row in rows:
        print(f"| {row[option]} | {row['mean_abs']:.4f} | {row['max_abs']:.4f} | {row['seam']:.3f} | {row['noise_floor']:.4f} |"
              + (f" {row['exact_mean_abs']:.5f} | {row['exact_max_abs']:.5f} |" if exact else ""))
    if args.json:
        print(json.dumps(rows))
    return 0
