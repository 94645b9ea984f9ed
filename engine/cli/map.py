"""`posetalk map fit`: the expression → ARKit map of a FLAME model (docs/mapping.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "map",
        help="parameter maps to ARKit / VRM",
        description="Maps from FLAME coefficients to other rigs' parameters (docs/mapping.md).",
    )
    actions = parser.add_subparsers(dest="map_command", required=True, metavar="ACTION")
    fit = actions.add_parser(
        "fit",
        help="fit the ARKit map of a FLAME model",
        description="Least squares between the model's expression basis and ARKit-like target "
        "displacements on landmark regions; writes a (52, 50) map for `posetalk serve --map`.",
    )
    fit.add_argument("--flame", type=Path, required=True, help="FLAME model (.pkl or `posetalk flame convert` .npz)")
    fit.add_argument("-o", "--output", type=Path, required=True, help="output map (.npz)")
    fit.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from posetalk.cli.outputs import writable_file
    from posetalk.mapping import ARKIT_NAMES, fit_arkit_map
    from posetalk.rig.flame import load_flame

    output = args.output if args.output.suffix == ".npz" else args.output.with_name(args.output.name + ".npz")
    writable_file(output)
    arkit_map = fit_arkit_map(load_flame(args.flame), args.flame.name)
    arkit_map.save(output)
    driven = int(np.count_nonzero(np.abs(arkit_map.matrix).sum(axis=1) > 1e-6))
    print(f"wrote {output}: {driven} of {len(ARKIT_NAMES)} ARKit weights driven by the expression")
    return 0
