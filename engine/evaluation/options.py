"""What ``posetalk eval`` runs on, with its defaults; free of heavy imports, so the command line
can show the defaults without loading the engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_SPEECH = Path("../shared/speech")
DEFAULT_SPEAKERS = ("george", "librivox", "cards")
DEFAULT_TTS_MINUTES = 3.0
DEFAULT_OFFLINE_STEPS = 25
DEFAULT_CLIPS_PER_SPEAKER = 100
DEFAULT_STYLE_SECONDS = 30.0
DEFAULT_THREADS = 1
"""One CPU thread: the evaluation is a batch job beside others (a training run, say), and two
OpenMP teams spinning on two cores starve each other (a streamed second of speech took 1 s on one
thread and 9-24 s on two while a training run held both cores)."""


@dataclass(frozen=True)
class EvalOptions:
    """What ``posetalk eval`` runs on (:mod:`posetalk.evaluation.report` describes the sections).

    Attributes:
        model_dir: model folder; None for the installed default model.
        speech_dir: real-speech folder laid out like ``../shared/speech``.
        speakers: real speakers of section 2 (held out of training).
        tts_minutes: minutes of held-out TTS speech for section 1.
        seed: seed of the TTS clips, the noise and the animator.
        offline_steps: DPM-Solver++ 2M steps per window offline; None for the published
            500-step ancestral sampler (about 5 s per window of the default model on one core).
        clips_per_speaker: at most this many clips of each real speaker, spread evenly; None for all.
        style_seconds: seconds of the TTS clips (whole clips, from the first) each preset runs on.
        threads: torch CPU threads of the evaluation (set process-wide when it starts).
        head_window: stream with :attr:`~posetalk.stream.config.StreamConfig.head_window`.
    """

    model_dir: Path | None = None
    speech_dir: Path = DEFAULT_SPEECH
    speakers: tuple[str, ...] = DEFAULT_SPEAKERS
    tts_minutes: float = DEFAULT_TTS_MINUTES
    seed: int = 0
    offline_steps: int | None = DEFAULT_OFFLINE_STEPS
    clips_per_speaker: int | None = DEFAULT_CLIPS_PER_SPEAKER
    style_seconds: float = DEFAULT_STYLE_SECONDS
    threads: int = DEFAULT_THREADS
    head_window: bool = False

    def __post_init__(self) -> None:
        if self.offline_steps is not None and self.offline_steps < 1:
            raise ValueError("offline_steps must be at least 1 (or None for the published sampler)")
        if self.clips_per_speaker is not None and self.clips_per_speaker < 1:
            raise ValueError("clips_per_speaker must be at least 1 (or None for all)")
        if not self.tts_minutes > 0:
            raise ValueError(f"tts_minutes must be positive, got {self.tts_minutes}")
        if not self.style_seconds > 0:
            raise ValueError("style_seconds must be positive")
        if self.threads < 1:
            raise ValueError("threads must be at least 1")
