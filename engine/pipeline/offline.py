"""Offline inference over a whole clip, window by window, as the published demo runs it.

The clip's audio is normalised as a whole, zero- (or edge-) padded to whole windows and encoded
at once; windows of ``n_motions`` frames do not overlap, and the last ``n_prev_motions`` frames of
each (with their audio features) condition the next. Every window starts from the same x_T.

Models whose encoder hears chunks (Whisper) are instead fed each window's chunk as the stream cuts
it (:mod:`posetalk.audio.chunks`: left context, then the window), the prefix's features taken from
the same chunk: the features they were trained on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from posetalk.audio.chunks import context_frames, cut_chunk, frame_sample, window_chunk
from posetalk.backends.base import ModelBackend
from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.diffusion.ddpm import sample_ddpm
from posetalk.diffusion.guidance import Guidance
from posetalk.diffusion.noise import NoiseSource
from posetalk.diffusion.samplers import SamplerName, run_sampler, spaced_steps
from posetalk.diffusion.thresholding import DynamicThreshold
from posetalk.model.motion import motion_to_coefficients, normalise_shape
from posetalk.model.window import GuidedDenoiser, WindowConditions, start_conditions

SAMPLE_RATE = 16000
CHUNK_CONTEXT_MS = 500.0
"""Left context of chunk-fed encoders offline: the streaming default the default model was trained with."""


@dataclass(frozen=True)
class SamplingOptions:
    """How each window is sampled.

    Attributes:
        sampler: ``ddpm`` (the published ancestral sampler over every step, the reference),
            ``ddim`` or ``dpmpp-2m`` over ``steps`` evenly spaced steps.
        steps: denoiser evaluations per window for ``ddim`` / ``dpmpp-2m`` (ignored by ``ddpm``).
    """

    guidance: Guidance
    dynamic_threshold: DynamicThreshold | None = None
    flexibility: float = 0.0
    n_repetitions: int = 1
    sampler: SamplerName = "ddpm"
    steps: int = 10

    def evaluations(self, num_steps: int) -> int:
        """Denoiser calls per window for a schedule of ``num_steps``."""
        return num_steps if self.sampler == "ddpm" else min(self.steps, num_steps)


@dataclass(frozen=True)
class Coefficients:
    """FLAME coefficients at the model's frame rate, one sequence per repetition.

    Attributes:
        exp: (R, L, 50) expression.
        pose: (R, L, 6) global axis-angle then jaw axis-angle, radians.
        shape: (R, L, 100) identity shape (as given, not normalised).
        fps: frames per second.
    """

    exp: np.ndarray
    pose: np.ndarray
    shape: np.ndarray
    fps: int


@dataclass(frozen=True)
class WindowPlan:
    """How a clip of ``n_samples`` is cut into windows of ``n_motions`` frames."""

    n_windows: int
    pad_samples: int
    pad_frames: int


def plan_windows(n_samples: int, n_motions: int, fps: int) -> WindowPlan:
    """Windows needed for ``n_samples`` of 16 kHz audio, and the padding of the last one."""
    samples_per_frame = SAMPLE_RATE / fps
    clip_frames = int(n_samples / SAMPLE_RATE * fps)
    n_windows = 1 if clip_frames <= n_motions else math.ceil(clip_frames / n_motions)
    pad_samples = round(samples_per_frame * n_motions) * n_windows - n_samples
    return WindowPlan(n_windows, pad_samples, math.ceil(pad_samples / samples_per_frame))


def normalise_audio(audio: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit (unbiased) standard deviation: (x - mean) / (std + 1e-5)."""
    return (audio - audio.mean()) / (audio.std() + 1e-5)


def _pad(audio: torch.Tensor, n: int, mode: str) -> torch.Tensor:
    if n <= 0:
        return audio
    value = 0.0 if mode == "zero" else float(audio[-1])
    return F.pad(audio, (0, n), value=value)


@torch.no_grad()
def generate(
    backend: ModelBackend,
    stats: CoefficientStats,
    audio: np.ndarray | torch.Tensor,
    shape: np.ndarray,
    style: np.ndarray | None,
    options: SamplingOptions,
    noise: NoiseSource,
    on_step: Callable[[], None] | None = None,
) -> Coefficients:
    """Generate FLAME coefficients for a clip.

    Args:
        backend: the model, as the backend that runs it.
        stats: the training statistics the checkpoint goes with.
        audio: (S,) 16 kHz mono samples.
        shape: (100,) identity shape coefficients.
        style: (d_style,) style feature, or None.
        options: guidance, thresholding, repetitions.
        noise: source of every standard-normal draw (x_T once, then z per step and window).
        on_step: called after every denoising step (for progress bars).
    """
    config = backend.config
    device = backend.device
    audio = torch.as_tensor(audio, dtype=torch.float32, device=device)
    samples_per_frame = SAMPLE_RATE / config.fps
    if audio.ndim != 1:
        raise ValueError(f"audio must be one mono channel, got shape {tuple(audio.shape)}")
    if audio.shape[0] < samples_per_frame:
        raise ValueError(f"audio is shorter than one motion frame ({samples_per_frame:.0f} samples)")
    if not torch.isfinite(audio).all():
        raise ValueError("audio holds NaN or infinite samples")
    plan = plan_windows(audio.shape[0], config.n_motions, config.fps)
    n_heard = audio.shape[0]
    audio = _pad(normalise_audio(audio), plan.pad_samples, config.pad_mode)
    chunked = config.audio_model == "whisper"
    heard = audio.cpu().numpy() if chunked else None
    if not chunked:
        features = backend.audio_features(audio[None], config.n_motions * plan.n_windows)

    repetitions = options.n_repetitions
    shape_in = normalise_shape(torch.as_tensor(shape, device=device), stats)[None].expand(repetitions, -1)
    style_in = None if style is None else torch.as_tensor(style, device=device)[None].expand(repetitions, -1)
    prev_motion, prev_audio = start_conditions(backend, repetitions)
    x_T = noise((repetitions, config.n_motions, config.motion_dim)).to(device)
    step_callback = None if on_step is None else (lambda t: on_step())

    windows = []
    for w in range(plan.n_windows):
        if chunked:
            window_audio, chunk_prev_audio = _chunk_features(backend, heard, w, n_heard)
            window_audio = window_audio.expand(repetitions, -1, -1)
            if w > 0:
                prev_audio = chunk_prev_audio.expand(repetitions, -1, -1)
        else:
            window_audio = features[:, w * config.n_motions : (w + 1) * config.n_motions].expand(repetitions, -1, -1)
        indicator = None
        last = w == plan.n_windows - 1
        if config.use_indicator:
            indicator = torch.ones(repetitions, config.n_motions, device=device)
            if last and plan.pad_frames > 0:
                indicator[:, -plan.pad_frames :] = 0
        conditions = WindowConditions(window_audio, prev_motion, prev_audio, shape_in, style_in, indicator)
        denoiser = GuidedDenoiser(backend, conditions, options.guidance, options.dynamic_threshold)
        if options.sampler == "ddpm":
            motion = sample_ddpm(denoiser, x_T, backend.schedule, config.target, noise, options.flexibility, step_callback)
        else:
            steps = spaced_steps(backend.schedule.num_steps, options.evaluations(backend.schedule.num_steps))
            motion = run_sampler(options.sampler, _counted(denoiser, on_step), x_T, backend.schedule, config.target,
                                 steps, noise)
        prev_motion, prev_audio = motion[:, -config.n_prev_motions :], window_audio[:, -config.n_prev_motions :]
        if last and plan.pad_frames > 0:
            motion = motion[:, : -plan.pad_frames]
        windows.append(motion)

    exp, pose = motion_to_coefficients(torch.cat(windows, dim=1), stats, config.predict_head_pose)
    n_frames = exp.shape[1]
    shape_out = np.broadcast_to(np.asarray(shape, dtype=np.float32), (repetitions, n_frames, shape.shape[-1])).copy()
    return Coefficients(exp.cpu().numpy(), pose.cpu().numpy(), shape_out, config.fps)


def _counted(denoiser: GuidedDenoiser, on_step: Callable[[], None] | None) -> Callable[[torch.Tensor, int], torch.Tensor]:
    """The denoiser, calling ``on_step`` after each evaluation."""
    if on_step is None:
        return denoiser

    def denoise(x_t: torch.Tensor, t: int) -> torch.Tensor:
        out = denoiser(x_t, t)
        on_step()
        return out

    return denoise


def _chunk_features(backend: ModelBackend, heard: np.ndarray, window: int, n_heard: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, L, d_model) features of window ``window`` and (1, L_p, d_model) of the frames before it,
    from the window's own chunk of the normalised, padded clip ``heard`` (with ``n_heard`` real samples), as
    a stream emitting whole windows would cut it."""
    config = backend.config
    first = window * config.n_motions
    n_context = context_frames(CHUNK_CONTEXT_MS, config.n_prev_motions, config.fps)
    heard_end = min(n_heard, frame_sample(first + config.n_motions, config.fps))
    chunk = window_chunk(first, config.n_motions, n_context, heard_end, config.fps)
    samples = torch.from_numpy(cut_chunk(heard, chunk, config.fps)).to(backend.device)
    features = backend.audio_features(samples[None], chunk.end_frame - chunk.first_frame)
    offset = first - chunk.first_frame
    return features[:, offset : offset + config.n_motions], features[:, max(0, offset - config.n_prev_motions) : offset]
