"""`posetalk bridge vts|vmc|ifacialmocap`: drive VTube Studio, a VMC receiver or an iFacialMocap
receiver with the animated face."""

from __future__ import annotations

import argparse
from pathlib import Path

from posetalk.cli.ifacialmocap_options import DEFAULT_PORT as IFACIALMOCAP_PORT
from posetalk.cli.ifacialmocap_options import FORMAT_HELP, FORMATS
from posetalk.cli.stream_options import add_mapping_arguments, add_source_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bridge",
        help="drive VTube Studio, a VMC receiver or an iFacialMocap receiver",
        description="Animate a source (like `posetalk serve`) and send the mapped parameters to other software.",
    )
    targets = parser.add_subparsers(dest="target", required=True, metavar="TARGET")
    vts = targets.add_parser("vts", help="VTube Studio public API (WebSocket)")
    vts.add_argument("--vts-url", default="ws://localhost:8001", help="VTube Studio API (default ws://localhost:8001)")
    vts.add_argument("--custom-params", action="store_true", help="also create and feed Posetalk<ARKit> custom parameters")
    vts.add_argument("--token-file", type=Path, help="where to keep the VTube Studio token (default: user config dir)")
    vmc = targets.add_parser("vmc", help="VMC protocol (OSC over UDP)")
    vmc.add_argument("--vmc-host", default="127.0.0.1", help="VMC receiver host (default 127.0.0.1)")
    vmc.add_argument("--vmc-port", type=int, default=39539, help="VMC receiver port (default 39539)")
    vmc.add_argument(
        "--names", choices=("vrm0", "arkit", "arkit-capitalized"), default="vrm0", help="blend-shape names to send"
    )
    ifm = targets.add_parser("ifacialmocap", help="iFacialMocap's text format over UDP (VMagicMirror, Warudo, …)")
    ifm.add_argument("--host", default="127.0.0.1", help="receiver host (default 127.0.0.1)")
    ifm.add_argument("--port", type=int, default=IFACIALMOCAP_PORT, help=f"receiver port (default {IFACIALMOCAP_PORT})")
    ifm.add_argument("--format", choices=FORMATS, default="v1", help=FORMAT_HELP)
    for target in (vts, vmc, ifm):
        add_source_arguments(target)
        add_mapping_arguments(target)
        target.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from posetalk.bridges import mapped_frames
    from posetalk.cli.stream_options import build_mapper, build_source, head_mesh
    from posetalk.errors import PosetalkError

    if args.source == "network":
        raise PosetalkError("bridge takes no network audio: run `posetalk serve --source network` for that")
    bridge = _bridge(args)  # checked before the model loads
    source, running = build_source(args)
    frames = mapped_frames(source, build_mapper(args, head_mesh(args)))
    with running:
        asyncio.run(bridge.run(frames))
    return 0


def _bridge(args: argparse.Namespace):
    """The VTube Studio, VMC or iFacialMocap bridge the options name; one-line errors for bad
    addresses."""
    from posetalk.errors import PosetalkError

    try:
        if args.target == "vts":
            from posetalk.bridges.vts import VtsBridge, VtsConfig

            return VtsBridge(VtsConfig(url=args.vts_url, token_file=args.token_file,
                                       custom_parameters=args.custom_params))
        if args.target == "ifacialmocap":
            from posetalk.bridges.ifacialmocap import IFacialMocapConfig, IFacialMocapSender

            return IFacialMocapSender(IFacialMocapConfig(host=args.host, port=args.port, version=args.format))
        from posetalk.bridges.vmc import VmcBridge, VmcConfig

        config = VmcConfig(host=args.vmc_host, port=args.vmc_port, names=args.names)
        config.address()
        return VmcBridge(config)
    except ValueError as error:
        raise PosetalkError(str(error)) from None
