"""``posetalk flame convert``: turn a published FLAME pickle into a plain, fast ``.npz``."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("flame", help="FLAME model files")
    commands = parser.add_subparsers(dest="flame_command", required=True, metavar="ACTION")
    convert = commands.add_parser(
        "convert", help="convert a FLAME pickle (generic_model.pkl, FLAME 2023) to .npz"
    )
    convert.add_argument("source", type=Path, help="published FLAME pickle")
    convert.add_argument("-o", "--output", type=Path, required=True, help="output .npz")
    convert.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from posetalk.cli.outputs import writable_file
    from posetalk.rig.flame import load_flame, save_flame_npz

    output = args.output if args.output.suffix == ".npz" else args.output.with_suffix(".npz")
    writable_file(output)
    model = load_flame(args.source)
    save_flame_npz(model, output)
    print(f"{output}: {model.n_vertices} vertices, {len(model.faces)} faces")
    return 0
