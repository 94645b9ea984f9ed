"""``posetalk view``: play saved coefficients in the interactive window, in real time."""

from __future__ import annotations

import argparse
from pathlib import Path

from posetalk.cli.render import parse_size


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "view",
        help="play coefficients in a window (drag: orbit, wheel: zoom, S: screenshot, Esc: quit)",
    )
    parser.add_argument("params", type=Path, help="coefficients .npz (exp, pose, shape)")
    parser.add_argument("--flame", type=Path, help="FLAME model (.pkl or .npz); default: built-in")
    parser.add_argument("--loop", action="store_true", help="repeat the clip until closed")
    parser.add_argument("--size", type=parse_size, default=(720, 720), help="window WIDTHxHEIGHT")
    parser.add_argument("--screenshot-dir", type=Path, default=Path("."), help="where S saves")
    parser.add_argument("--screenshot", action="store_true", help="save the first frame shown")
    parser.add_argument("--max-frames", type=int, help="close after this many displayed frames")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import queue
    import threading

    from posetalk.pipeline.coefficients_file import load_coefficients
    from posetalk.render.head_source import load_head
    from posetalk.render.offline import ClipMotion
    from posetalk.render.playback import play_into
    from posetalk.render.window import ViewerWindow, WindowConfig

    sequence = load_coefficients(args.params)
    motion = ClipMotion(sequence.exp, sequence.pose, sequence.shape, sequence.fps)
    geometry, description = load_head(args.flame)
    print(f"head: {description}")
    frames: queue.Queue = queue.Queue(maxsize=8)
    stop = threading.Event()
    config = WindowConfig(size=args.size, screenshot_dir=args.screenshot_dir)
    window = ViewerWindow(geometry, frames, config)
    if args.screenshot:
        window.request_screenshot()
    producer = threading.Thread(target=play_into, args=(motion, frames, stop, args.loop), daemon=True)
    producer.start()
    try:
        stats = window.run(args.max_frames)
    finally:
        stop.set()
        producer.join()
    for path in stats.screenshots:
        print(f"screenshot: {path}")
    print(f"drew {stats.frames_drawn} frames ({stats.mean_fps:.1f} fps), "
          f"received {stats.frames_received}")
    return 0
