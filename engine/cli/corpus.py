"""`posetalk corpus build`: the default model's training audio with phone timings."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_SPEECH = Path("../shared/speech")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("corpus", help="training corpora: speech with exact phone timings")
    actions = parser.add_subparsers(dest="corpus_command", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="TTS voices and force-aligned real speech -> a corpus folder",
        description="Synthesise seeded sentences with espeak-ng, flite and festival (their phone timings "
                    "reported by the synthesisers) and force-align real recordings to their transcripts "
                    "(pocketsphinx). Resumes: clips already in the folder are kept.",
    )
    build.add_argument("output", type=Path, help="corpus folder (created; manifest.jsonl + audio/)")
    build.add_argument("--seed", type=int, default=0, help="seed of texts, voices and prosody (default 0)")
    build.add_argument("--tts-minutes", type=float, default=40.0, help="minutes of TTS speech (default 40)")
    build.add_argument("--speech", type=Path, default=DEFAULT_SPEECH,
                       help=f"real-speech folder laid out like ../shared/speech (default {DEFAULT_SPEECH})")
    build.add_argument("--no-real", action="store_true", help="TTS only")
    build.add_argument("--hold-out", action="append", default=[], metavar="SPEAKER",
                       help="leave this real speaker out (repeatable), to evaluate on a voice never trained on")
    build.set_defaults(run=run_build)


def run_build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from posetalk.cli.outputs import writable_folder
    from posetalk.corpus.real_speech import real_speakers, real_speech_clips
    from posetalk.corpus.store import CorpusWriter
    from posetalk.corpus.tts import tts_clips
    from posetalk.errors import PosetalkError

    if args.tts_minutes < 0:
        raise PosetalkError(f"--tts-minutes must not be negative, got {args.tts_minutes:g}")
    speakers = set() if args.no_real else set(real_speakers(args.speech)) - set(args.hold_out)  # before the TTS
    writable_folder(args.output)
    writer = CorpusWriter(args.output)
    added = {"tts": 0, "real": 0}
    with tqdm(desc="tts", unit="clip") as bar:
        for clip_id, clip in tts_clips(args.seed, args.tts_minutes):
            if clip_id not in writer:  # deterministic for a seed: a rerun resumes
                writer.add(clip_id, clip)
                added["tts"] += 1
            bar.update()
    if not args.no_real:
        skipped: list[tuple[str, str]] = []
        with tqdm(desc="real speech", unit="clip") as bar:
            for clip_id, clip in real_speech_clips(args.speech, speakers, transcript_cache=args.output / "transcripts.json",
                                                   skipped=skipped):
                if clip_id not in writer:
                    writer.add(clip_id, clip)
                    added["real"] += 1
                bar.update()
        if skipped:
            print(f"real speech: {len(skipped)} clips did not align and were left out")
    print(f"{args.output}: added {added['tts']} TTS and {added['real']} real clips ({len(writer.ids)} in all)")
    return 0
