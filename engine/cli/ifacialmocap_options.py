"""``--ifacialmocap HOST[:PORT]``: ``live`` and ``serve`` also send their frames to an iFacialMocap
receiver (docs/bridges.md), besides their window and WebSocket stream."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from posetalk.errors import PosetalkError

if TYPE_CHECKING:  # numpy and the mapping
    from posetalk.bridges.ifacialmocap import IFacialMocapSender

DEFAULT_PORT = 49983  # posetalk.bridges.ifacialmocap.IFACIALMOCAP_PORT, without importing numpy for --help
FORMATS = ("v1", "v2")
FORMAT_HELP = "v1: name-value (the published format, default); v2: name&value"


def add_ifacialmocap_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("iFacialMocap")
    group.add_argument(
        "--ifacialmocap",
        metavar="HOST[:PORT]",
        help=f"also send the frames to an iFacialMocap receiver (VMagicMirror, Warudo, VRCFaceTracking, …; "
        f"port {DEFAULT_PORT} unless given)",
    )
    group.add_argument("--ifacialmocap-format", choices=FORMATS, default="v1", help=FORMAT_HELP)


def parse_target(target: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT`` as (host, port); a bare IPv6 address is a host.

    Raises:
        PosetalkError: the port is not a number, or the brackets are not closed.
    """
    if target.startswith("["):
        host, bracket, rest = target[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise PosetalkError(f"--ifacialmocap {target!r}: write an IPv6 address as [ADDRESS]:PORT")
        port = rest[1:]
    elif target.count(":") == 1:
        host, _, port = target.partition(":")
    else:
        host, port = target, ""
    if not port:
        return host, DEFAULT_PORT
    if not port.isdigit():
        raise PosetalkError(f"--ifacialmocap {target!r}: the port {port!r} is not a number")
    return host, int(port)


def ifacialmocap_sender(args: argparse.Namespace) -> IFacialMocapSender | None:
    """The sender ``--ifacialmocap`` names, its host resolved now (before the model loads); None
    without the option.

    Raises:
        PosetalkError: a malformed target, a port outside 1-65535, a host that does not resolve.
    """
    if args.ifacialmocap is None:
        return None
    from posetalk.bridges.ifacialmocap import IFacialMocapConfig, IFacialMocapSender

    host, port = parse_target(args.ifacialmocap)
    return IFacialMocapSender(IFacialMocapConfig(host=host, port=port, version=args.ifacialmocap_format))
