"""The `posetalk` command line.

Every module in this package that defines ``register(subparsers)`` adds one sub-command; the
module's ``run(args) -> int`` does the work. Commands hold no logic of their own: they parse
options, call the engine and report. A :class:`~posetalk.errors.PosetalkError` becomes one line on
stderr and exit status 1; the engine's ``posetalk.*`` log lines go to stderr with the same prefix.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from posetalk import __version__
from posetalk.errors import PosetalkError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posetalk", description="Speech-driven FLAME avatar engine (DiffPoseTalk)."
    )
    parser.add_argument("--version", action="version", version=f"posetalk {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def log_to_stderr() -> None:
    """Show the engine's warnings and notices (``posetalk.*`` loggers) as ``posetalk: …`` lines."""
    logger = logging.getLogger("posetalk")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("posetalk: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log_to_stderr()
    try:
        return int(args.run(args) or 0)
    except PosetalkError as error:
        print(f"posetalk: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("posetalk: interrupted", file=sys.stderr)
        return 130
