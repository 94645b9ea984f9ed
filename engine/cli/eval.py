"""`posetalk eval`: lip-sync, style control, streaming fidelity and latency of a model, in one run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from posetalk.evaluation.options import (
    DEFAULT_CLIPS_PER_SPEAKER,
    DEFAULT_OFFLINE_STEPS,
    DEFAULT_SPEAKERS,
    DEFAULT_SPEECH,
    DEFAULT_STYLE_SECONDS,
    DEFAULT_THREADS,
    DEFAULT_TTS_MINUTES,
    EvalOptions,
)

def _offline_steps(text: str) -> int | None:
    """``ddpm`` (None: the published sampler) or a positive step count."""
    if text == "ddpm":
        return None
    try:
        steps = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ddpm or a step count, got {text!r}") from None
    if steps < 1:
        raise argparse.ArgumentTypeError(f"the step count must be at least 1, got {steps}")
    return steps


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate a model: lip-sync against the animator and the peers, style control, streaming, latency",
        description="Scores the model (neutral style, streaming defaults) against the procedural animator's reference "
        "on held-out TTS voices and held-out real speakers (beside the volume-mouth and uLipSync peers), checks "
        "that each style preset moves the motion as its name says, compares streaming with offline generation and "
        "runs `posetalk bench`. docs/evaluation.md defines every number.",
    )
    parser.add_argument("--model-dir", type=Path, help="model folder (default: the installed default model)")
    parser.add_argument("--speech", type=Path, default=DEFAULT_SPEECH,
                        help=f"real-speech folder laid out like ../shared/speech (default {DEFAULT_SPEECH})")
    parser.add_argument("--speakers", default=",".join(DEFAULT_SPEAKERS),
                        help=f"comma-separated real speakers, held out of training (default {','.join(DEFAULT_SPEAKERS)})")
    parser.add_argument("--clips-per-speaker", type=int, default=DEFAULT_CLIPS_PER_SPEAKER, metavar="N",
                        help=f"at most N clips per speaker, spread evenly; 0 for all (default {DEFAULT_CLIPS_PER_SPEAKER})")
    parser.add_argument("--tts-minutes", type=float, default=DEFAULT_TTS_MINUTES,
                        help=f"minutes of held-out TTS voices (default {DEFAULT_TTS_MINUTES:g})")
    parser.add_argument("--style-seconds", type=float, default=DEFAULT_STYLE_SECONDS, metavar="S",
                        help=f"seconds of TTS speech each style preset runs on (default {DEFAULT_STYLE_SECONDS:g})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the TTS clips, noise and animator (default 0)")
    parser.add_argument("--offline-steps", type=_offline_steps, default=DEFAULT_OFFLINE_STEPS, metavar="ddpm|N",
                        help="offline generation: ddpm (the published 500-step sampler, slow) or N DPM-Solver++ 2M "
                        f"steps per whole window (default {DEFAULT_OFFLINE_STEPS})")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"torch CPU threads (default {DEFAULT_THREADS}: the evaluation shares the machine)")
    parser.add_argument("--head-window", action="store_true",
                        help="stream with a head window (as posetalk live --head-window; docs/streaming.md)")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every number")
    parser.add_argument("--plots", type=Path, metavar="DIR", help="write PNG figures to DIR")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from posetalk.cli.outputs import writable_folder
    from posetalk.errors import PosetalkError
    from posetalk.evaluation.report import run_evaluation
    from posetalk.evaluation.tables import report_text

    speakers = tuple(name.strip() for name in args.speakers.split(",") if name.strip())
    try:
        options = EvalOptions(
            model_dir=args.model_dir, speech_dir=args.speech, speakers=speakers, tts_minutes=args.tts_minutes,
            seed=args.seed, offline_steps=args.offline_steps, clips_per_speaker=args.clips_per_speaker or None,
            style_seconds=args.style_seconds, threads=args.threads, head_window=args.head_window,
        )
    except ValueError as error:
        raise PosetalkError(str(error)) from None
    if args.plots is not None:  # before the hour of evaluation, not after it
        writable_folder(args.plots)
    evaluation = run_evaluation(options, log=lambda line: print(line, flush=True))
    print()
    print(report_text(evaluation.data))
    if args.plots is not None:
        from posetalk.evaluation.plots import write_plots

        for path in write_plots(evaluation, args.plots):
            print(f"wrote {path}")
    if args.json:
        print(json.dumps(evaluation.data))
    return 0
