"""Configuration of a motion stream (free of torch, so the command line shares its defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from posetalk.diffusion.sampler_names import SAMPLER_NAMES, SamplerName

if TYPE_CHECKING:
    from posetalk.diffusion.guidance import GuidanceMode
    from posetalk.diffusion.thresholding import DynamicThreshold

Normalisation = Literal["running", "fixed"]


@dataclass(frozen=True)
class StreamConfig:
    """How a stream samples its windows and when it runs them.

    Attributes:
        sampler: ``ddpm`` (the published reference; all steps), ``ddim`` or ``dpmpp-2m``.
        steps: denoiser evaluations per tick (ignored by ``ddpm``, which takes every step).
        eta: DDIM's stochasticity (0 deterministic, 1 DDPM-like).
        frames_per_tick: frames emitted by each tick (K); a tick runs every K / fps seconds.
        revision_frames: frames before the first new one that each tick denoises again (R): the
            window starts R frames back, so its previous-motion prefix ends R frames before the
            new frames and the model follows the audio rather than its own last two frames; the
            revised frames are not emitted again. At most the model's window less K (a model with
            a shorter window revises what fits).
        head_window: also sample, in the same batch, a window that starts at the first new frame
            (its prefix the newest emitted frames) and take the emitted frames' head rotation
            from it: the head then continues the emitted head instead of being drawn afresh in
            each tick's revised frames (a tremble at the tick rate), at the cost of twice the
            denoiser rows (docs/streaming.md, "The head window"). Needs revision_frames > 0 to
            matter; not with warm_start.
        lookahead_ms: audio past the last emitted frame that must be heard before a tick runs.
        left_context_ms: audio before the window's first new frame given to the speech encoder
            (at least the previous-motion prefix is always included).
        unheard_ms: silence after the newest heard audio that the speech encoder is given; the
            window's frames past it take the last encoded frame's features (their motion is never
            emitted by this tick). None encodes silence to the window's end: exact, as offline and
            in training, but a long window then spends most of the encoder on silence.
        warm_start: start each window from the previous window's prediction re-noised to
            step round(warm_start * T) instead of from x_T; None for cold starts.
        normalisation: ``running`` (mean and std of everything heard so far) or ``fixed``
            (``audio_mean`` / ``audio_std``, e.g. from a calibration recording).
        cfg_scale_audio, cfg_scale_style: guidance scales; cfg_mode None keeps the checkpoint's.
        dynamic_threshold: optional clamp of predictions (see DynamicThreshold).
        silence_gate: close the mouth and relax the face while the input is silent.
        max_backlog_ms: when the newest audio is this far past what the next tick needs (the
            machine cannot keep up), skip ahead to it, dropping frames, so latency stays bounded;
            None never skips (files processed faster than real time, tests).
    """

    sampler: SamplerName = "dpmpp-2m"
    steps: int = 2
    eta: float = 0.0
    frames_per_tick: int = 2
    revision_frames: int = 15
    head_window: bool = False
    lookahead_ms: float = 80.0
    left_context_ms: float = 500.0
    unheard_ms: float | None = None
    warm_start: float | None = None
    normalisation: Normalisation = "running"
    audio_mean: float = 0.0
    audio_std: float = 1.0
    cfg_scale_audio: float = 1.15
    cfg_scale_style: float = 3.0
    cfg_mode: GuidanceMode | None = None
    dynamic_threshold: DynamicThreshold | None = None
    silence_gate: bool = True
    max_backlog_ms: float | None = None

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLER_NAMES:
            raise ValueError(f"unknown sampler {self.sampler!r}; expected one of {SAMPLER_NAMES}")
        if self.steps < 1 or self.frames_per_tick < 1:
            raise ValueError("steps and frames_per_tick must be at least 1")
        if self.revision_frames < 0:
            raise ValueError("revision_frames cannot be negative")
        if self.head_window and self.warm_start is not None:
            raise ValueError("the head window starts from x_T; it cannot be combined with warm_start")
        if self.lookahead_ms < 0 or self.left_context_ms < 0:
            raise ValueError("lookahead and left context cannot be negative")
        if self.unheard_ms is not None and self.unheard_ms < 0:
            raise ValueError("the unheard silence given to the encoder cannot be negative")
        if self.warm_start is not None and not 0.0 < self.warm_start <= 1.0:
            raise ValueError("warm_start must lie in (0, 1]")
        if self.max_backlog_ms is not None and self.max_backlog_ms <= 0:
            raise ValueError("max_backlog_ms must be positive")
        if self.normalisation == "fixed" and self.audio_std <= 0:
            raise ValueError("fixed normalisation needs a positive audio_std")

    def summary(self) -> str:
        """One line of the options that shape the stream, e.g. for a command's start-up report."""
        sampler = "ddpm (every step)" if self.sampler == "ddpm" else f"{self.sampler} x{self.steps}"
        backlog = "never skips" if self.max_backlog_ms is None else f"skips past {self.max_backlog_ms:g} ms behind"
        parts = [
            sampler, f"{self.frames_per_tick} frames/tick", f"revision {self.revision_frames}",
            f"lookahead {self.lookahead_ms:g} ms", f"context {self.left_context_ms:g} ms",
            "encodes the window's silence" if self.unheard_ms is None else f"encodes {self.unheard_ms:g} ms unheard",
            backlog,
            f"guidance audio {self.cfg_scale_audio:g} style {self.cfg_scale_style:g}"
            + (f" ({self.cfg_mode})" if self.cfg_mode else ""),
        ]
        if self.head_window:
            parts.append("head window")
        if self.warm_start is not None:
            parts.append(f"warm start {self.warm_start:g}")
        if self.dynamic_threshold is not None:
            parts.append("dynamic threshold")
        if not self.silence_gate:
            parts.append("no silence gate")
        return ", ".join(parts)
