"""``posetalk render``: FLAME coefficients (saved, or inferred from audio) to an MP4 or PNG frames."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from posetalk.cli.options import add_model_arguments, add_sampling_arguments
from posetalk.errors import PosetalkError

if TYPE_CHECKING:
    import numpy as np

    from posetalk.audio.io import DecodedAudio
    from posetalk.render.offline import ClipMotion

OutputFormat = Literal["mp4", "png"]


def parse_size(text: str) -> tuple[int, int]:
    """"WIDTHxHEIGHT" -> (width, height), at least 16x16."""
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match or min(int(match[1]), int(match[2])) < 16:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT (at least 16x16), got {text!r}")
    return int(match[1]), int(match[2])


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render FLAME motion to video (headless OpenGL)",
        description="Render saved coefficients (--params) or run offline inference on AUDIO first, "
        "then draw the head headless and write an MP4 (H.264 + AAC) or PNG frames.",
    )
    parser.add_argument("audio", type=Path, nargs="?", help="speech to infer motion from (and to mux)")
    parser.add_argument("--params", type=Path, help="coefficients .npz (exp, pose, shape) to render")
    parser.add_argument("--audio", dest="audio_track", type=Path, help="audio to mux with --params")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output .mp4 or folder")
    parser.add_argument("--flame", type=Path, help="FLAME model (.pkl or converted .npz); "
                        "default: the built-in head")
    parser.add_argument("--albedo", type=Path, help="albedo texture image (needs --uv)")
    parser.add_argument("--uv", type=Path, help=".npz with FLAME texture coordinates vt and ft")
    parser.add_argument("--size", type=parse_size, default=(720, 720), help="WIDTHxHEIGHT (720x720)")
    parser.add_argument("--fps", type=int, default=30, help="output frame rate (30)")
    parser.add_argument("--format", choices=get_args(OutputFormat), default="mp4")
    add_model_arguments(parser)
    add_sampling_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from posetalk.cli.outputs import writable_file, writable_folder
    from posetalk.render.head_source import load_head
    from posetalk.render.offline import render_frames, render_to
    from posetalk.render.video import PngWriter, check_mp4_size, mp4_file

    if args.fps < 1:
        raise PosetalkError(f"--fps must be positive, got {args.fps}")
    if args.format == "mp4":
        check_mp4_size(args.size)
    if args.params is None and args.audio is None:
        raise PosetalkError("nothing to render: give --params FILE or an AUDIO file to infer from")
    if args.format == "mp4":
        writable_file(args.output)
    else:
        writable_folder(args.output)
    geometry, description = load_head(args.flame, args.albedo, args.uv)
    print(f"head: {description}")
    motion, track = _motion_and_audio(args)
    frames = motion.at_rate(args.fps)
    output = (
        mp4_file(args.output, args.size, args.fps, track)
        if args.format == "mp4"
        else PngWriter(args.output)
    )
    with output as writer, tqdm(total=len(frames.exp), desc="rendering", unit="frame") as bar:
        count = render_to(render_frames(geometry, frames, args.size), writer, bar.update)
    print(f"wrote {args.output} ({count} frames at {args.fps} fps, {args.size[0]}x{args.size[1]})")
    return 0


def _motion_and_audio(args: argparse.Namespace) -> tuple[ClipMotion, DecodedAudio | None]:
    """The clip's motion and the audio to mux, as recorded (None when rendering --params
    without audio); the model hears it as 16 kHz mono."""
    from posetalk.audio.io import MODEL_RATE, decode_audio, resample, to_mono
    from posetalk.render.offline import ClipMotion

    audio_path = args.audio_track or args.audio
    track = decode_audio(audio_path) if audio_path is not None else None
    if args.params is not None:
        from posetalk.pipeline.coefficients_file import load_coefficients

        sequence = load_coefficients(args.params)
        return ClipMotion(sequence.exp, sequence.pose, sequence.shape, sequence.fps), track
    return _infer(args, resample(to_mono(track.samples), track.rate, MODEL_RATE)), track


def _infer(args: argparse.Namespace, audio: np.ndarray) -> ClipMotion:
    """Offline inference with the model the options name (as ``posetalk infer`` runs it)."""
    from posetalk.cli.options import infer_from_args
    from posetalk.render.offline import ClipMotion

    result = infer_from_args(args, audio)
    return ClipMotion(result.exp[0], result.pose[0], result.shape[0], result.fps)
