"""`posetalk infer`: offline inference of a whole audio file to FLAME coefficients."""

from __future__ import annotations

import argparse
from pathlib import Path

from posetalk.cli.options import add_model_arguments, add_sampling_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "infer",
        help="audio file -> FLAME coefficients (.npz)",
        description="Sample a whole audio file window by window (dpmpp-2m by default; --sampler ddpm is the "
        "published sampler) and write "
        "exp (L, 50), pose (L, 6) and shape (L, 100) at the model's frame rate.",
    )
    parser.add_argument("audio", type=Path, help="speech file (WAV, FLAC, OGG, MP3; any rate and channel count)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output .npz (with -n > 1: OUT_000.npz, …)")
    add_model_arguments(parser)
    add_sampling_arguments(parser)
    parser.set_defaults(run=run)


def output_paths(output: Path, repetitions: int) -> list[Path]:
    if repetitions == 1:
        return [output]
    return [output.with_name(f"{output.stem}_{i:03d}{output.suffix}") for i in range(repetitions)]


def run(args: argparse.Namespace) -> int:
    from posetalk.audio.io import load_audio
    from posetalk.cli.options import infer_from_args
    from posetalk.cli.outputs import writable_file
    from posetalk.pipeline.coefficients_file import save_coefficients

    paths = output_paths(args.output, args.repetitions)
    for path in paths:
        writable_file(path)
    result = infer_from_args(args, load_audio(args.audio))
    for i, path in enumerate(paths):
        save_coefficients(path, result.exp[i], result.pose[i], result.shape[i], result.fps)
        print(f"wrote {path} ({result.exp.shape[1]} frames at {result.fps} fps)")
    return 0
