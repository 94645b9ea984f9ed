"""One run of `posetalk probe`: the clips, every front-end on them, and the table of results."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from posetalk.corpus.real_speech import real_speakers
from posetalk.corpus.tts import held_out_tts_clips, tts_clips
from posetalk.evaluation.clips import real_evaluation_clips
from posetalk.evaluation.frontends import StreamCut
from posetalk.evaluation.probe import ProbeResult, chance, probe_mel, probe_pocketsphinx, probe_whisper
from posetalk.evaluation.report import jsonable
from posetalk.evaluation.runs import STREAM_DEFAULTS
from posetalk.evaluation.tables import number, table
from posetalk.training.whisper_weights import packaged_whisper_encoder

FRONTENDS = ("tiny.en", "base", "log-mel", "pocketsphinx")
"""What `posetalk probe` compares: Whisper tiny.en and base, a learned log-mel encoder, PocketSphinx."""


@dataclass(frozen=True)
class ProbeOptions:
    """What `posetalk probe` runs on.

    Attributes:
        speech_dir: real-speech folder laid out like ``../shared/speech``.
        held_out: real speakers tested on, never trained on.
        tts_minutes: minutes of training TTS voices.
        test_tts_minutes: minutes of held-out TTS voices tested on.
        clips_per_speaker: at most this many clips of each real speaker (training and test).
        frontends: which of :data:`FRONTENDS` to run.
        mel_epochs: training epochs of the log-mel encoder.
        seed: seed of the TTS clips and the learned encoder.
    """

    speech_dir: Path
    held_out: tuple[str, ...] = ("george", "librivox", "cards")
    tts_minutes: float = 6.0
    test_tts_minutes: float = 2.0
    clips_per_speaker: int = 100
    frontends: tuple[str, ...] = FRONTENDS
    mel_epochs: int = 12
    seed: int = 0


def run_probe(options: ProbeOptions, log: Callable[[str], None]) -> list[ProbeResult]:
    """Every front-end of ``options``, trained on the TTS voices alone and with the training
    speakers' real speech, tested on held-out TTS voices and held-out real speakers."""
    torch.manual_seed(options.seed)
    cut = StreamCut.of(n_motions=25, n_prev_motions=10, fps=25, config=STREAM_DEFAULTS)
    log("clips: synthesising TTS voices and aligning real speech")
    tts = list(tts_clips(options.seed, options.tts_minutes))
    training_speakers = sorted(set(real_speakers(options.speech_dir)) - set(options.held_out))
    real_train = [c for clips in real_evaluation_clips(options.speech_dir, training_speakers, options.clips_per_speaker).values()
                  for c in clips]
    real_test = [c for clips in real_evaluation_clips(options.speech_dir, options.held_out, options.clips_per_speaker).values()
                 for c in clips]
    trains = {"tts": tts, "tts + real": tts + real_train}
    tests = {"held-out tts": list(held_out_tts_clips(options.seed, options.test_tts_minutes)), "held-out real": real_test}
    log(f"clips: {len(tts)} TTS, {len(real_train)} real of {', '.join(training_speakers)} to train on; "
        f"{len(tests['held-out tts'])} held-out TTS, {len(real_test)} real of {', '.join(options.held_out)} to test on")
    results = [chance(tests, tts, cut.fps)]
    for frontend in options.frontends:
        log(f"{frontend}: running")
        if frontend in ("tiny.en", "base"):
            results += probe_whisper(f"whisper {frontend}", packaged_whisper_encoder(frontend), cut, trains, tests)
        elif frontend == "log-mel":
            results += probe_mel(cut, trains, tests, options.mel_epochs, options.seed)
        else:
            results.append(probe_pocketsphinx(tests, cut.fps))
    return results


def probe_text(results: list[ProbeResult]) -> str:
    """The results as a Markdown table: accuracy and balanced accuracy per test set."""
    test_names = list(results[0].tests)
    header = ["front-end", "trained on", *(f"{name} {what}" for name in test_names for what in ("acc.", "bal. acc.")),
              "ms per s of audio"]
    rows = [[r.frontend, r.trained_on,
             *(value for n in test_names for value in (number(r.tests[n].accuracy), number(r.tests[n].balanced))),
             number(r.ms_per_second if math.isfinite(r.ms_per_second) else None, 1)] for r in results]
    frames = ", ".join(f"{n} {results[0].tests[n].frames} frames" for n in test_names)
    return "\n".join([table(header, rows), "", f"Viseme frame accuracy (15 classes; {frames})."])


def probe_json(results: list[ProbeResult]) -> list[dict]:
    """The results as JSON-ready dictionaries (NaN as None)."""
    return jsonable(results)
