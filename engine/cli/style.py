"""`posetalk style …`: style features for the style-conditioned model."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("style", help="style features: extract one from a motion clip")
    actions = parser.add_subparsers(dest="style_command", required=True, metavar="ACTION")
    extract = actions.add_parser(
        "extract",
        help="motion clip (.npz with exp, pose) -> style feature (.npy)",
        description="Run the style encoder over n_motions frames of a FLAME motion clip.",
    )
    extract.add_argument("clip", type=Path, help=".npz with exp (L, 50) and pose (L, 6)")
    extract.add_argument("--encoder", type=Path, required=True, help="style-encoder checkpoint (.pt)")
    extract.add_argument("--stats", type=Path, required=True, help="coefficient statistics (.npz)")
    extract.add_argument("--start", type=int, default=0, help="first frame of the clip to use (default 0)")
    extract.add_argument("-o", "--output", type=Path, required=True, help="output .npy")
    extract.set_defaults(run=run_extract)


def run_extract(args: argparse.Namespace) -> int:
    import numpy as np

    from posetalk.checkpoint.arrays import load_stats
    from posetalk.checkpoint.models import load_style_encoder
    from posetalk.cli.outputs import writable_file
    from posetalk.errors import UNREADABLE_ARRAY_FILE, PosetalkError
    from posetalk.files import atomic_write
    from posetalk.pipeline.style import extract_style

    output = args.output if args.output.suffix == ".npy" else args.output.with_name(args.output.name + ".npy")
    writable_file(output)
    encoder = load_style_encoder(args.encoder)
    stats = load_stats(args.stats)
    if not args.clip.is_file():
        raise PosetalkError(f"{args.clip}: no such motion clip")
    try:
        with np.load(args.clip) as clip:
            missing = [k for k in ("exp", "pose") if k not in clip.files]
            if missing:
                raise PosetalkError(f"{args.clip}: motion clip lacks {', '.join(missing)}")
            exp, pose = np.asarray(clip["exp"], np.float32), np.asarray(clip["pose"], np.float32)
    except UNREADABLE_ARRAY_FILE as error:
        raise PosetalkError(f"{args.clip}: not a readable motion clip ({str(error).splitlines()[0][:120]})") from None
    try:
        style = extract_style(encoder, stats, exp, pose, args.start)
    except ValueError as error:
        raise PosetalkError(f"{args.clip}: {error}") from None
    with atomic_write(output) as stream:
        np.save(stream, style)
    print(f"wrote {output} ({style.shape[0]}-dim style from frames {args.start}…{args.start + encoder.config.n_motions - 1})")
    return 0
