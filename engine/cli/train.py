"""`posetalk train`: the default model from a corpus folder (see docs/training.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train a model (style encoder and denoiser) from a corpus folder",
        description="Animate the corpus with the procedural animator for many personas, cache streaming-style "
                    "Whisper features, train the style encoder (contrastive) and the denoiser (DiffPoseTalk's "
                    "losses), and write a model folder. Every phase checkpoints; rerun the same command to resume.",
    )
    parser.add_argument("--corpus", type=Path, required=True, help="folder from `posetalk corpus build`")
    parser.add_argument("-o", "--output", type=Path, required=True, help="model folder to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=20000, help="denoiser steps (default 20000)")
    parser.add_argument("--minutes", type=float, help="stop the denoiser after this long (resumable)")
    parser.add_argument("--style-steps", type=int, default=1500, help="style-encoder steps (default 1500)")
    parser.add_argument("--personas", type=int, default=40, help="random personas besides the presets (default 40)")
    parser.add_argument("--batch-size", type=int, default=48)
    parser.add_argument("--lr", type=float, default=3e-4, help="denoiser peak learning rate (default 3e-4)")
    parser.add_argument("--lip-gap-weight", type=float, default=1.0,
                        help="weight of the lip-gap loss, closures emphasised (default 1; 0 = the first model's recipe)")
    parser.add_argument("--head-weight", type=float, default=1.0,
                        help="weight of the head losses: the denoiser's head-rotation error (deg^2) and the style "
                             "encoder's head read-out (default 1; 0 = the first model's recipe)")
    parser.add_argument("--init", type=Path, metavar="MODEL_DIR",
                        help="fine-tune this model folder: keep its style encoder, start the denoiser from its weights")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.set_defaults(run=run)


def _check_numbers(args: argparse.Namespace) -> None:
    """One line naming the first option out of its range."""
    from posetalk.errors import PosetalkError

    at_least_one = {"--steps": args.steps, "--style-steps": args.style_steps, "--batch-size": args.batch_size,
                    "--threads": args.threads}
    for option, value in at_least_one.items():
        if value is not None and value < 1:
            raise PosetalkError(f"{option} must be at least 1, got {value}")
    if args.personas < 0:
        raise PosetalkError(f"--personas must not be negative, got {args.personas}")
    if args.minutes is not None and not args.minutes > 0:
        raise PosetalkError(f"--minutes must be positive, got {args.minutes:g}")
    if not args.lr > 0:
        raise PosetalkError(f"--lr must be positive, got {args.lr:g}")
    for option, value in {"--lip-gap-weight": args.lip_gap_weight, "--head-weight": args.head_weight}.items():
        if value < 0:
            raise PosetalkError(f"{option} must not be negative, got {value:g}")


def run(args: argparse.Namespace) -> int:
    from posetalk.cli.outputs import writable_folder
    from posetalk.errors import PosetalkError
    from posetalk.training.recipe import RecipeOptions, run_recipe

    _check_numbers(args)
    if not (args.corpus / "manifest.jsonl").is_file():
        raise PosetalkError(f"{args.corpus}: not a corpus folder (no manifest.jsonl); build one with `posetalk corpus build`")
    if args.init is not None and not all((args.init / n).is_file() for n in ("denoiser.pt", "style_encoder.pt")):
        raise PosetalkError(f"{args.init}: not a model folder (needs denoiser.pt and style_encoder.pt)")
    writable_folder(args.output)
    out = run_recipe(RecipeOptions(
        corpus=args.corpus, out=args.output, seed=args.seed, personas=args.personas, style_steps=args.style_steps,
        denoiser_steps=args.steps, denoiser_minutes=args.minutes, batch_size=args.batch_size, learning_rate=args.lr,
        lip_gap_weight=args.lip_gap_weight, head_weight=args.head_weight, threads=args.threads, init=args.init,
    ))
    print(f"wrote the model folder {out}")
    return 0
