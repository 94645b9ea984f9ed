"""`posetalk serve`: stream FLAME parameters over WebSocket (protocol v1, docs/protocol.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from posetalk.assets import package_dir
from posetalk.cli.ifacialmocap_options import add_ifacialmocap_arguments
from posetalk.cli.stream_options import add_mapping_arguments, add_source_arguments

VIEWER_DIR = package_dir("posetalk.viewer") / "static"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="stream parameters over WebSocket",
        description="Serve protocol v1 (docs/protocol.md) on one port: WebSocket frames, GET /healthz, "
        "the head mesh and the browser viewer.",
    )
    add_source_arguments(parser)
    add_mapping_arguments(parser)
    group = parser.add_argument_group("server")
    group.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    group.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 picks one)")
    group.add_argument("--token", help="control token, also required to connect beyond loopback (default: random)")
    group.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN", help="extra browser origin")
    group.add_argument("--max-clients", type=int, default=64, help="connection limit (default 64)")
    group.add_argument("--queue-frames", type=int, default=50, help="frames queued per client (default 50)")
    group.add_argument("--stall-timeout", type=float, default=5.0, help="seconds before a stuck client is dropped")
    group.add_argument("--static", type=Path, default=VIEWER_DIR, help="viewer files to serve over HTTP")
    add_ifacialmocap_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import secrets
    import sys

    from posetalk.bridges import MappedFrame
    from posetalk.cli.ifacialmocap_options import ifacialmocap_sender
    from posetalk.cli.stream_options import build_mapper, build_source, head_mesh
    from posetalk.errors import PosetalkError
    from posetalk.server import ServerConfig, StreamServer

    try:  # checked before the model loads
        config = ServerConfig(
            host=args.host,
            port=args.port,
            token=args.token or secrets.token_urlsafe(16),
            allowed_origins=tuple(args.allow_origin),
            max_clients=args.max_clients,
            queue_frames=args.queue_frames,
            stall_timeout_s=args.stall_timeout,
            static_dir=args.static if args.static.is_dir() else None,
        )
    except ValueError as error:
        raise PosetalkError(str(error)) from None
    sender = ifacialmocap_sender(args)  # also before the model loads
    taps = () if sender is None else (lambda frame, outputs: sender.send(MappedFrame(frame, outputs)),)
    source, running = build_source(args)
    head = head_mesh(args)
    server = StreamServer(config, source, build_mapper(args, head), head, taps=taps)

    def announce(port: int) -> None:
        print(f"posetalk: serving {source.kind} on ws://{args.host}:{port}/ (viewer http://{args.host}:{port}/)", file=sys.stderr)
        if not args.token:
            print(f"posetalk: control token {config.token}", file=sys.stderr)
        sys.stderr.flush()

    with running:
        asyncio.run(server.run(on_listening=announce))
    if sender is not None:
        sender.close()
    print(f"posetalk: stream ended after {server.last_seq + 1} frames", file=sys.stderr)
    return 0
