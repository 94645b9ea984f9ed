"""One tick of a motion stream: the next few frames from the newest audio.

Each tick denoises a whole model window of ``n_motions`` frames that starts ``revision_frames``
(R) before the first frame not yet emitted, conditioned on the ``n_prev_motions`` emitted frames
before the window (the model's previous-motion prefix) and their audio features, and emits its
frames R .. R + ``frames_per_tick`` - 1.
Window frames whose audio has not been heard yet get silence and indicator 0, as the model saw
truncated clips in training. The per-stream state lives in :class:`StreamState`.

With frames_per_tick = n_motions, unlimited context and lookahead, fixed normalisation by the
clip's statistics and the ``ddpm`` sampler, a stream reproduces the offline pipeline exactly.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from posetalk.audio.chunks import Chunk, context_frames, read_chunk, window_chunk
from posetalk.audio.ring import AudioRingBuffer
from posetalk.backends.base import ModelBackend
from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.diffusion.guidance import Guidance, guidance_for_style
from posetalk.diffusion.noise import NoiseSource
from posetalk.diffusion.samplers import renoise, run_sampler, spaced_steps
from posetalk.model.motion import motion_to_coefficients, normalise_shape
from posetalk.model.window import GuidedDenoiser, WindowConditions
from posetalk.stream.config import StreamConfig
from posetalk.stream.normaliser import FixedNormaliser, RunningNormaliser

SAMPLE_RATE = 16000


class NonFiniteMotion(RuntimeError):
    """A tick produced NaN or infinite motion; nothing of it may be emitted."""


@dataclass
class StreamState:
    """What one stream carries from tick to tick.

    Attributes:
        next_frame: index of the first frame not yet emitted.
        history: (1, <= L_p + R, d_motion) the last emitted frames, normalised, newest last.
        history_end: the frame after the newest one in ``history`` (it lags ``next_frame`` after a
            skip ahead or a failed tick; only frames contiguous with the window are a prefix).
        x_T: the window noise drawn at the first tick; cold starts reuse it, as the published
            pipeline reuses one x_T for every window.
        last_window: (1, L, d_motion) the previous tick's x_0 estimate (for warm starts).
        last_emitted: frames the previous tick emitted.
        heard_until: samples already folded into the audio normaliser.
    """

    next_frame: int = 0
    history: torch.Tensor | None = None
    history_end: int = 0
    x_T: torch.Tensor | None = None
    last_window: torch.Tensor | None = None
    last_emitted: int = 0
    heard_until: int = 0


@dataclass(frozen=True)
class TickPlan:
    """The frames and audio of one tick (frame f covers samples [f * spf, (f + 1) * spf)): the
    window starts at ``window_first_frame`` and its frames ``first_frame`` .. + ``n_emit`` - 1
    are emitted; ``n_real`` of its frames have been heard."""

    first_frame: int
    n_emit: int
    n_real: int
    audio_end: int
    chunk_first_frame: int
    chunk_end_frame: int
    window_first_frame: int

    @property
    def n_revised(self) -> int:
        return self.first_frame - self.window_first_frame


@dataclass(frozen=True)
class TickOutput:
    """Frames first_frame .. first_frame + K - 1: exp (K, 50), pose (K, 6), and where time went."""

    first_frame: int
    exp: np.ndarray
    pose: np.ndarray
    features_ms: float
    sampling_ms: float
    n_denoiser_calls: int


class StreamGenerator:
    """Runs ticks for one model (through its backend), one identity and a style that may change between ticks."""

    def __init__(
        self, backend: ModelBackend, stats: CoefficientStats, shape: np.ndarray, config: StreamConfig, noise: NoiseSource
    ) -> None:
        self.backend, self.stats, self.config, self.noise = backend, stats, config, noise
        model_config = self.model_config = backend.config
        self.revision_frames = max(0, min(config.revision_frames, model_config.n_motions - config.frames_per_tick))
        self.samples_per_frame = SAMPLE_RATE / model_config.fps
        self.set_shape(shape)
        self.reset_audio_statistics()
        self.context_frames = context_frames(config.left_context_ms, model_config.n_prev_motions, model_config.fps)
        self.lookahead_samples = round(config.lookahead_ms / 1000 * SAMPLE_RATE)
        self.cfg_scale_audio, self.cfg_scale_style = config.cfg_scale_audio, config.cfg_scale_style

    def reset_audio_statistics(self) -> None:
        """Forget the audio heard so far (running normalisation starts again)."""
        if self.config.normalisation == "fixed":
            self.normaliser: RunningNormaliser | FixedNormaliser = FixedNormaliser(
                self.config.audio_mean, self.config.audio_std
            )
        else:
            self.normaliser = RunningNormaliser()

    def set_shape(self, shape: np.ndarray) -> None:
        """Change the identity (100 FLAME shape coefficients) from the next tick on."""
        shape_tensor = torch.as_tensor(np.asarray(shape, np.float32), device=self.backend.device)
        self.shape = normalise_shape(shape_tensor, self.stats)[None]

    def guidance(self, style_given: bool) -> Guidance:
        config = self.model_config
        return guidance_for_style(config.guiding_conditions, style_given, self.cfg_scale_audio, self.cfg_scale_style,
                                  self.config.cfg_mode or config.cfg_mode)

    def _frame_sample(self, frame: int) -> int:
        return round(frame * self.samples_per_frame)

    def plan(self, state: StreamState, stream_end: int | None) -> TickPlan | None:
        """The next tick, or None when a closed stream has emitted every frame.

        Args:
            stream_end: total samples of a stream that has ended, else None.
        """
        n_motions, k = self.model_config.n_motions, self.config.frames_per_tick
        first = state.next_frame
        window_first = first - min(self.revision_frames, first)
        audio_end = self._frame_sample(first + k) + self.lookahead_samples
        n_emit = k
        pad_to = window_first + n_motions
        if stream_end is not None:
            total_frames = int(stream_end / self.samples_per_frame)
            n_emit = min(k, total_frames - first)
            if n_emit <= 0:
                return None
            if audio_end >= stream_end:
                # All remaining audio is in this chunk: pad it to whole windows, as published.
                audio_end = stream_end
                pad_to = window_first + n_motions * math.ceil((total_frames - window_first) / n_motions)
        chunk = window_chunk(window_first, pad_to - window_first, self.context_frames, audio_end, self.model_config.fps)
        n_real = min(n_motions, max(0, int(audio_end / self.samples_per_frame) - window_first))
        return TickPlan(first, n_emit, n_real, audio_end, chunk.first_frame, chunk.end_frame, window_first)

    def _audio_chunk(self, ring: AudioRingBuffer, plan: TickPlan, state: StreamState) -> torch.Tensor:
        if plan.audio_end > state.heard_until:
            self.normaliser.update(ring.read(state.heard_until, plan.audio_end))
            state.heard_until = plan.audio_end
        chunk = Chunk(plan.chunk_first_frame, plan.chunk_end_frame, plan.audio_end)
        samples = read_chunk(lambda a, b: self.normaliser(ring.read(a, b)), chunk, self.model_config.fps)
        ring.mark_read(self._frame_sample(plan.chunk_first_frame))
        return torch.from_numpy(samples).to(self.backend.device)

    def _prefix(self, state: StreamState, features: torch.Tensor, plan: TickPlan) -> tuple[torch.Tensor, torch.Tensor]:
        """(1, L_p, d_motion) previous motion and (1, L_p, d_model) its audio features: the
        emitted frames just before the window; where there are fewer (the stream's start, after a
        skip ahead) the learned start prefix fills the front."""
        n_prev = self.model_config.n_prev_motions
        offset = plan.window_first_frame - plan.chunk_first_frame
        have, newer = 0, 0
        if state.history is not None and state.history_end == plan.first_frame:
            newer = plan.n_revised
            have = max(0, min(state.history.shape[1] - newer, n_prev, offset))
        embeddings = self.backend.embeddings
        motion = embeddings.start_motion[:, have:]
        audio = embeddings.start_audio[:, have:]
        if have > 0:
            end = state.history.shape[1] - newer
            motion = torch.cat([motion, state.history[:, end - have : end]], dim=1)
            audio = torch.cat([audio, features[:, offset - have : offset]], dim=1)
        return motion, audio

    def _initial_state(self, state: StreamState, shape: tuple[int, ...]) -> tuple[torch.Tensor, list[int]]:
        schedule, config = self.backend.schedule, self.config
        T = schedule.num_steps
        if state.x_T is None:
            state.x_T = self.noise(shape).to(self.backend.device)
        if config.warm_start is not None and state.last_window is not None:
            start = max(1, round(config.warm_start * T))
            shifted = state.last_window[:, state.last_emitted :]
            guess = torch.cat([shifted, torch.zeros_like(state.last_window[:, : state.last_emitted])], dim=1)
            x = renoise(guess, start, schedule, self.noise(shape).to(guess))
        else:
            start, x = T, state.x_T
        steps = list(range(start, 0, -1)) if config.sampler == "ddpm" else spaced_steps(T, min(config.steps, start), start)
        return x, steps

    @torch.inference_mode()
    def tick(self, ring: AudioRingBuffer, state: StreamState, plan: TickPlan, style: np.ndarray | None) -> TickOutput:
        """Generate the plan's frames and advance ``state``; the ring must hold plan.audio_end."""
        config, model_config = self.config, self.model_config
        started = time.perf_counter()
        chunk = self._audio_chunk(ring, plan, state)
        features = self.backend.audio_features(chunk[None], plan.chunk_end_frame - plan.chunk_first_frame)
        offset = plan.window_first_frame - plan.chunk_first_frame
        window_audio = features[:, offset : offset + model_config.n_motions]
        prev_motion, prev_audio = self._prefix(state, features, plan)
        indicator = None
        if model_config.use_indicator:
            indicator = torch.zeros(1, model_config.n_motions, device=self.backend.device)
            indicator[:, : plan.n_real] = 1
        style_tensor = None if style is None else torch.as_tensor(style, dtype=torch.float32, device=self.backend.device)[None]
        conditions = WindowConditions(window_audio, prev_motion, prev_audio, self.shape, style_tensor, indicator)
        features_done = time.perf_counter()

        denoiser = GuidedDenoiser(self.backend, conditions, self.guidance(style is not None), config.dynamic_threshold)
        x, steps = self._initial_state(state, (1, model_config.n_motions, model_config.motion_dim))
        window = run_sampler(config.sampler, denoiser, x, self.backend.schedule, model_config.target, steps, self.noise, config.eta)
        if not torch.isfinite(window).all():
            raise NonFiniteMotion(f"tick at frame {plan.first_frame} produced non-finite motion")
        emitted = window[:, plan.n_revised : plan.n_revised + plan.n_emit]
        contiguous = state.history is not None and state.history_end == plan.first_frame
        history = torch.cat([state.history, emitted], dim=1) if contiguous else emitted
        state.history = history[:, -(model_config.n_prev_motions + self.revision_frames) :]
        state.history_end = plan.first_frame + plan.n_emit
        state.last_window, state.last_emitted = window, plan.n_emit
        state.next_frame += plan.n_emit
        exp, pose = motion_to_coefficients(emitted[0], self.stats, model_config.predict_head_pose)
        done = time.perf_counter()
        return TickOutput(
            plan.first_frame, exp.cpu().numpy(), pose.cpu().numpy(),
            (features_done - started) * 1000, (done - features_done) * 1000, len(steps),
        )
