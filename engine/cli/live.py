"""`posetalk live`: microphone -> streaming engine -> window, WebSocket server and, with
``--ifacialmocap``, an iFacialMocap receiver."""

from __future__ import annotations

import argparse
from pathlib import Path

from posetalk.cli.ifacialmocap_options import add_ifacialmocap_arguments
from posetalk.cli.options import add_model_arguments, add_stream_arguments
from posetalk.cli.stream_options import add_mapping_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "live",
        help="animate the avatar from the microphone, live",
        description="Streams the microphone through the model into a window and a WebSocket server "
        "(protocol v1). Without a microphone it plays the bundled speech sample; without a display it "
        "runs headless and serves the frames.",
    )
    group = parser.add_argument_group("audio")
    group.add_argument("--mic", help="input device: index or part of its name (`posetalk devices`; default: the system's)")
    group.add_argument("--file", type=Path, help="play this file in real time instead of the microphone")
    group.add_argument("--loop", action="store_true", help="repeat --file")
    group.add_argument("--styles", type=Path, help="folder of style presets (NAME.npy) clients may select")
    group.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    out = parser.add_argument_group("outputs")
    out.add_argument("--no-window", action="store_true", help="do not open a window")
    out.add_argument("--no-server", action="store_true", help="do not serve frames over WebSocket")
    out.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    out.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 picks one)")
    out.add_argument("--token", help="control token (default: random, printed)")
    add_ifacialmocap_arguments(parser)
    add_model_arguments(parser)
    add_stream_arguments(parser)
    add_mapping_arguments(parser)
    parser.set_defaults(run=run)


def _microphone_or_sample(args: argparse.Namespace):
    """The microphone, else (none plugged in, none asked for) the bundled sample, looped."""
    from posetalk.audio.sources import FileConfig, FileSource, MicrophoneConfig, MicrophoneSource
    from posetalk.data import SPEECH_SAMPLE
    from posetalk.errors import PosetalkError

    try:
        return MicrophoneSource(MicrophoneConfig(device=args.mic)), "mic"
    except PosetalkError as error:
        if args.mic is not None:
            raise
        print(f"posetalk: {error}; playing the bundled speech sample instead")
        return FileSource(FileConfig(SPEECH_SAMPLE, realtime=True, loop=True)), "file"


def _server_config(args: argparse.Namespace):
    """The WebSocket server's settings, or None with --no-server; checked before the model loads."""
    import secrets

    from posetalk.errors import PosetalkError
    from posetalk.server import ServerConfig

    if args.no_server:
        return None
    try:
        return ServerConfig(host=args.host, port=args.port, token=args.token or secrets.token_urlsafe(16))
    except ValueError as error:
        raise PosetalkError(str(error)) from None


def _serve(args: argparse.Namespace, config, engine, kind: str, head):
    from posetalk.cli.stream_options import build_mapper
    from posetalk.server import StreamServer
    from posetalk.server.background import BackgroundServer
    from posetalk.server.engine_source import EngineSource

    server = BackgroundServer(StreamServer(config, EngineSource(engine, kind), build_mapper(args, head), head))
    port = server.start()
    print(f"posetalk: serving frames on ws://{args.host}:{port}/ (viewer http://{args.host}:{port}/)")
    if not args.token:
        print(f"posetalk: control token {config.token}")
    return server


def _relay(args: argparse.Namespace, engine, sender, head):
    """The engine's frames, mapped and sent to the iFacialMocap receiver on a thread of their own
    (it ends with the stream)."""
    import threading

    from posetalk.bridges.feed import relay
    from posetalk.cli.stream_options import build_mapper

    frames = engine.bus.subscribe(maxsize=50)
    thread = threading.Thread(target=relay, args=(frames, build_mapper(args, head), sender.send),
                              name="posetalk-ifacialmocap", daemon=True)
    thread.start()
    return thread


def _show(args: argparse.Namespace, engine) -> bool:
    """Run the window (in its own process) until it is closed; False when no window can open here."""
    from posetalk.errors import PosetalkError
    from posetalk.render.governor import LEVELS
    from posetalk.render.window_process import WindowOptions, show_in_process

    try:
        drawn = show_in_process(WindowOptions(flame=args.flame), engine.bus.subscribe(maxsize=50), engine.health)
    except PosetalkError as error:
        print(f"posetalk: {error}; running headless")
        return False
    if drawn is not None:
        print(f"posetalk: the window drew {drawn.frames_drawn} frames ({drawn.mean_fps:.1f} fps) of "
              f"{drawn.frames_received} received; its cheapest level: {LEVELS[drawn.lowest_level].describe().lower()}")
    return True


def _wait(engine, duration: float | None) -> None:
    import time

    started = time.monotonic()
    while not engine.wait(timeout=5.0):
        stats = engine.stats
        print(f"posetalk: {stats.frames_published} frames, latency p50 {_p50(stats.latency_ms):.0f} ms, "
              f"{stats.deadline_misses} deadline misses, {stats.skipped_frames} skipped")
        if duration is not None and time.monotonic() - started >= duration:
            return


def _p50(values) -> float:
    import numpy as np

    return float(np.median(list(values))) if values else float("nan")


def run(args: argparse.Namespace) -> int:
    import threading

    from posetalk.audio.ring import AudioRingBuffer
    from posetalk.audio.sources import FileConfig, FileSource
    from posetalk.cli.ifacialmocap_options import ifacialmocap_sender
    from posetalk.cli.live_engine import build_live_engine
    from posetalk.cli.stream_options import head_mesh
    from posetalk.errors import PosetalkError

    if args.duration is not None and not args.duration > 0:
        raise PosetalkError(f"--duration must be positive, got {args.duration:g}")
    server_config = _server_config(args)
    sender = ifacialmocap_sender(args)
    played = FileSource(FileConfig(args.file, realtime=True, loop=args.loop)) if args.file else None  # checked first
    ring = AudioRingBuffer()
    engine = build_live_engine(args, ring)
    source, kind = (played, "file") if played is not None else _microphone_or_sample(args)
    head = head_mesh(args) if server_config is not None or sender is not None else None
    server = None if server_config is None else _serve(args, server_config, engine, kind, head)
    relayed = None if sender is None else _relay(args, engine, sender, head)
    engine.start()
    source.start(ring)
    def end_of_audio() -> None:
        source.stop()
        ring.close()

    if args.duration is not None:
        threading.Timer(args.duration, end_of_audio).start()
    try:
        if args.no_window or not _show(args, engine):
            _wait(engine, args.duration)
    finally:
        end_of_audio()
        engine.stop()
        if server is not None:
            server.stop()
        if relayed is not None:
            relayed.join(timeout=5)
            sender.close()
    stats = engine.stats
    print(f"posetalk: {stats.frames_published} frames published, {stats.deadline_misses} deadline misses, "
          f"{stats.failed_ticks} failed ticks, {stats.skipped_frames} frames skipped")
    return 0
