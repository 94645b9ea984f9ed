"""Options shared by the commands that stream frames (``serve``, ``bridge``): source and mapping."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING

from posetalk.cli.options import add_model_arguments, add_stream_arguments
from posetalk.errors import PosetalkError

if TYPE_CHECKING:  # these load numpy, torch and the engine
    from posetalk.audio.sources import AudioSource
    from posetalk.mapping import FaceMapper
    from posetalk.server.mesh import HeadMesh
    from posetalk.server.sources import FrameSource
    from posetalk.stream.engine import StreamingEngine


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("source")
    group.add_argument(
        "--source",
        metavar="mic|FILE|network",
        help="audio to animate through the streaming engine: the microphone, audio sent by clients, or a "
        "speech file played in real time",
    )
    group.add_argument("--params", type=Path, help="play saved coefficients (.npz from `posetalk infer`) instead")
    group.add_argument("--loop", action="store_true", help="repeat a file or --params source forever")
    group.add_argument("--mic", help="microphone: device index or part of its name (`posetalk devices`; default: the system's)")
    group.add_argument("--styles", type=Path, help="live sources: folder of style presets (NAME.npy) clients may select")
    add_model_arguments(parser)
    add_stream_arguments(parser)


def add_mapping_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("head and mapping")
    group.add_argument("--flame", type=Path, help="FLAME model (.pkl or .npz) for the mesh and the ARKit map")
    group.add_argument("--map", type=Path, help="ARKit map from `posetalk map fit` (default: the built-in head's authored map, or one fitted to --flame)")
    group.add_argument("--no-blink", action="store_true", help="no procedural blinks")
    group.add_argument("--no-saccades", action="store_true", help="no procedural eye saccades")


def head_mesh(args: argparse.Namespace) -> HeadMesh:
    """The head named by ``--flame``, else the built-in head (with its vertex colours)."""
    from posetalk.rig.flame import load_flame
    from posetalk.server.mesh import HeadMesh

    if args.flame is not None:
        return HeadMesh(load_flame(args.flame), args.flame.name)
    from posetalk.rig.head.assemble import built_in_head

    head = built_in_head()
    return HeadMesh(head.model, "built-in head", head.colors)


def build_mapper(args: argparse.Namespace, head: HeadMesh) -> FaceMapper:
    """``--map`` if given; else the built-in head's authored map, or one fitted to ``--flame``."""
    from posetalk.mapping import ArkitMap, EyeMotion, FaceMapper, fit_arkit_map

    if args.map is not None:
        arkit_map = ArkitMap.load(args.map)
    elif args.flame is None:
        from posetalk.mapping.builtin import built_in_arkit_map
        from posetalk.rig.head.blendshapes import EXPRESSIONS

        arkit_map = built_in_arkit_map(EXPRESSIONS)
    else:
        arkit_map = fit_arkit_map(head.model, head.name)
    return FaceMapper(arkit_map, EyeMotion(blinks=not args.no_blink, saccades=not args.no_saccades))


def build_source(args: argparse.Namespace) -> tuple[FrameSource, AbstractContextManager[object]]:
    """The frame source the options name, and the context that runs it (a live source's engine
    and audio); model files load here (slow) before serving starts."""
    from posetalk.pipeline.coefficients_file import load_coefficients
    from posetalk.server.sources import PlaybackSource

    if args.params is not None:
        if args.source is not None:
            raise PosetalkError("give either --source or --params, not both")
        coefficients = load_coefficients(args.params)
        if coefficients.fps != 25:
            raise PosetalkError(f"{args.params}: the stream runs at 25 fps, the file is at {coefficients.fps}")
        return PlaybackSource(coefficients, "params", loop=args.loop), nullcontext()
    if args.source is None:
        raise PosetalkError("nothing to stream: pass --source mic|FILE|network or --params FILE")
    return _live_source(args)


def _live_source(args: argparse.Namespace) -> tuple[FrameSource, AbstractContextManager[object]]:
    """The streaming engine fed by the microphone, by clients' audio or by a file in real time."""
    from posetalk.audio.ring import AudioRingBuffer
    from posetalk.audio.sources import FileConfig, FileSource, MicrophoneConfig, MicrophoneSource, PushSource
    from posetalk.cli.live_engine import build_live_engine
    from posetalk.server.engine_source import EngineSource

    played = None
    if args.source not in ("mic", "network"):  # a file is checked before the model loads
        played = FileSource(FileConfig(Path(args.source), realtime=True, loop=args.loop))
    ring = AudioRingBuffer()
    engine = build_live_engine(args, ring)
    push = PushSource() if args.source == "network" else None
    audio: AudioSource
    if played is not None:
        audio, kind = played, "file"
    elif push is not None:
        audio, kind = push, "network"
    else:
        audio, kind = MicrophoneSource(MicrophoneConfig(device=args.mic)), "mic"
    return EngineSource(engine, kind, push=push), _running(engine, audio)


@contextmanager
def _running(engine: StreamingEngine, audio: AudioSource) -> Iterator[None]:
    """The engine and its audio, started for the block and stopped after it."""
    engine.start()
    audio.start(engine.ring)
    try:
        yield
    finally:
        audio.stop()
        engine.ring.close()
        engine.stop()
