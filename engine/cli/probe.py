"""`posetalk probe`: compare speech front-ends on how well their features tell visemes on real voices."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from posetalk.evaluation.options import DEFAULT_SPEAKERS, DEFAULT_SPEECH

FRONTEND_NAMES = ("tiny.en", "base", "log-mel", "pocketsphinx")
"""The front-ends `posetalk.evaluation.probe_report.FRONTENDS` names, here without importing it (torch)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "probe",
        help="compare speech front-ends (Whisper tiny.en and base, learned log-mel, PocketSphinx) on real voices",
        description="Trains a viseme classifier on each front-end's features of TTS voices (and of the training "
        "speakers' real speech), computed as the stream computes them, and tests it on held-out TTS voices and "
        "held-out real speakers. Needs the training extra (pip install -e '.[train]'). docs/training.md reports it.",
    )
    parser.add_argument("--speech", type=Path, default=DEFAULT_SPEECH,
                        help=f"real-speech folder laid out like ../shared/speech (default {DEFAULT_SPEECH})")
    parser.add_argument("--held-out", default=",".join(DEFAULT_SPEAKERS),
                        help=f"comma-separated real speakers tested on, never trained on (default {','.join(DEFAULT_SPEAKERS)})")
    parser.add_argument("--tts-minutes", type=float, default=6.0, help="minutes of training TTS voices (default 6)")
    parser.add_argument("--test-tts-minutes", type=float, default=2.0, help="minutes of held-out TTS voices (default 2)")
    parser.add_argument("--clips-per-speaker", type=int, default=100, metavar="N",
                        help="at most N clips of each real speaker, spread evenly (default 100)")
    parser.add_argument("--frontends", default=",".join(FRONTEND_NAMES),
                        help=f"comma-separated front-ends to run (default {','.join(FRONTEND_NAMES)})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the TTS clips and the learned encoder (default 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every number")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from posetalk.errors import PosetalkError
    from posetalk.evaluation.probe_report import FRONTENDS, ProbeOptions, probe_json, probe_text, run_probe

    frontends = tuple(name.strip() for name in args.frontends.split(",") if name.strip())
    unknown = [name for name in frontends if name not in FRONTENDS]
    if unknown or not frontends:
        raise PosetalkError(f"--frontends: unknown {', '.join(unknown) or 'nothing'}; expected some of {', '.join(FRONTENDS)}")
    for option, value in {"--tts-minutes": args.tts_minutes, "--test-tts-minutes": args.test_tts_minutes,
                          "--clips-per-speaker": args.clips_per_speaker, "--threads": args.threads}.items():
        if not value > 0:
            raise PosetalkError(f"{option} must be positive, got {value:g}")
    if not args.speech.is_dir():
        raise PosetalkError(f"{args.speech}: no such speech folder (pass --speech)")
    torch.set_num_threads(args.threads)
    options = ProbeOptions(speech_dir=args.speech, held_out=tuple(s.strip() for s in args.held_out.split(",") if s.strip()),
                           tts_minutes=args.tts_minutes, test_tts_minutes=args.test_tts_minutes,
                           clips_per_speaker=args.clips_per_speaker, frontends=frontends, seed=args.seed)
    results = run_probe(options, log=lambda line: print(line, flush=True))
    print()
    print(probe_text(results))
    if args.json:
        print(json.dumps(probe_json(results), allow_nan=False))
    return 0
