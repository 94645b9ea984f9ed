"""One tick of a motion stream: the next few frames from the newest audio.

Each tick denoises a whole model window of ``n_motions`` frames that starts ``revision_frames``
(R) before the first frame not yet emitted, conditioned on the ``n_prev_motions`` emitted frames
before the window (the model's previous-motion prefix) and their audio features, and emits its
frames R .. R + ``frames_per_tick`` - 1. With ``head_window`` a second window, starting at the
first new frame (its prefix the newest emitted frames), runs in the same batch and gives the
emitted frames their head rotation, which the revised window would draw afresh each tick.
Window frames whose audio has not been heard yet get silence and indicator 0, as the model saw
truncated clips in training. Everything a stream carries between ticks is in its
:class:`StreamState`, which a tick takes and returns anew.

With frames_per_tick = n_motions, unlimited context and lookahead, the window's silence encoded
(``unheard_ms=None``), fixed normalisation by the clip's statistics and the ``ddpm`` sampler, a
stream reproduces the offline pipeline exactly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from posetalk.audio.chunks import Chunk, context_frames, frame_sample, read_chunk, trim_unheard, window_chunk
from posetalk.audio.ring import AudioRingBuffer
from posetalk.backends.base import ModelBackend
from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.diffusion.guidance import Guidance, guidance_for_style
from posetalk.diffusion.noise import NoiseSource, RowNoise
from posetalk.diffusion.samplers import renoise, run_sampler, spaced_steps
from posetalk.model.config import EXP_DIM
from posetalk.model.motion import motion_to_coefficients, normalise_shape
from posetalk.model.window import GuidedDenoiser, WindowConditions
from posetalk.stream.config import StreamConfig
from posetalk.stream.normaliser import AudioNormaliser, FixedNormaliser, RunningNormaliser
from posetalk.stream.style_control import StyleMixer

SAMPLE_RATE = 16000
HEAD_ROTATION = slice(EXP_DIM, EXP_DIM + 3)
"""The global (head) rotation's dimensions in normalised motion (exp, then pose)."""


class NonFiniteMotion(RuntimeError):
    """A tick produced NaN or infinite motion; nothing of it may be emitted."""


@dataclass(frozen=True)
class StreamState:
    """Everything one stream carries from tick to tick: a tick takes a state and returns the next
    (:meth:`StreamGenerator.tick`), so one generator, holding only the model and the
    configuration, can run any number of streams. Make the first with :meth:`StreamGenerator.start`.

    Attributes:
        identity: (100,) FLAME shape coefficients of the face.
        styles: the style in force at each audio time (a blend moving between targets).
        noise: the stream's own source of standard-normal draws.
        normaliser: the audio normalisation statistics (of everything heard so far, or fixed).
        cfg_scale_audio, cfg_scale_style: guidance scales.
        next_frame: index of the first frame not yet emitted.
        history: (1, <= L_p + R, d_motion) the last emitted frames, normalised, newest last.
        history_end: the frame after the newest one in ``history`` (it lags ``next_frame`` after a
            skip ahead or a failed tick; only frames contiguous with the window are a prefix).
        x_T: the window noise drawn at the first tick; cold starts reuse it, as the published
            pipeline reuses one x_T for every window.
        last_window: (1, L, d_motion) the previous tick's x_0 estimate (for warm starts).
        last_emitted: frames the previous tick emitted.
        heard_until: the sample up to which audio has been folded into the normaliser (or
            skipped: audio of skipped frames is never read).
    """

    identity: np.ndarray
    styles: StyleMixer
    noise: NoiseSource
    normaliser: AudioNormaliser
    cfg_scale_audio: float
    cfg_scale_style: float
    next_frame: int = 0
    history: torch.Tensor | None = None
    history_end: int = 0
    x_T: torch.Tensor | None = None
    last_window: torch.Tensor | None = None
    last_emitted: int = 0
    heard_until: int = 0

    def continues_at(self, frame: int) -> bool:
        """Whether ``history`` ends just before ``frame`` (its frames can prefix a window there)."""
        return self.history is not None and self.history_end == frame

    def skipped(self, n_frames: int, fps: int) -> StreamState:
        """The state with ``n_frames`` frames passed over unsampled (a pause, falling behind, a
        failed tick): their audio is neither read nor folded into the normaliser, so a skip of
        any length leaves the stream reading audio the ring still holds."""
        next_frame = self.next_frame + n_frames
        heard = max(self.heard_until, frame_sample(next_frame, fps))
        return replace(self, next_frame=next_frame, heard_until=heard, last_window=None)

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
    """Runs the ticks of streams of one model (through its backend) and one configuration; what
    differs between streams, and changes within one, is in each stream's :class:`StreamState`."""

    def __init__(self, backend: ModelBackend, stats: CoefficientStats, config: StreamConfig) -> None:
        self.backend, self.stats, self.config = backend, stats, config
        model_config = self.model_config = backend.config
        self.revision_frames = max(0, min(config.revision_frames, model_config.n_motions - config.frames_per_tick))
        self.samples_per_frame = SAMPLE_RATE / model_config.fps
        self.context_frames = context_frames(config.left_context_ms, model_config.n_prev_motions, model_config.fps)
        self.lookahead_samples = round(config.lookahead_ms / 1000 * SAMPLE_RATE)
        self.unheard_frames = None if config.unheard_ms is None else math.ceil(config.unheard_ms / 1000 * model_config.fps)

    def start(self, identity: np.ndarray, style: np.ndarray | None, noise: NoiseSource, next_frame: int = 0) -> StreamState:
        """A new stream's state at frame ``next_frame``: (100,) identity, (d_style,) style or None,
        guidance scales and normalisation from the configuration."""
        config = self.config
        normaliser: AudioNormaliser = (
            FixedNormaliser(config.audio_mean, config.audio_std) if config.normalisation == "fixed" else RunningNormaliser()
        )
        state = StreamState(np.asarray(identity, np.float32), StyleMixer(style), noise, normaliser,
                            config.cfg_scale_audio, config.cfg_scale_style)
        return state.skipped(next_frame, self.model_config.fps) if next_frame else state

    def guidance(self, state: StreamState, style_given: bool) -> Guidance:
        config = self.model_config
        return guidance_for_style(config.guiding_conditions, style_given, state.cfg_scale_audio, state.cfg_scale_style,
                                  self.config.cfg_mode or config.cfg_mode)

    def plan(self, state: StreamState, stream_end: int | None) -> TickPlan | None:
        """The next tick, or None when a closed stream has emitted every frame.

        Args:
            stream_end: total samples of a stream that has ended, else None.
        """
        n_motions, k = self.model_config.n_motions, self.config.frames_per_tick
        first = state.next_frame
        window_first = first - min(self.revision_frames, first)
        audio_end = frame_sample(first + k, self.model_config.fps) + self.lookahead_samples
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
        if self.unheard_frames is not None:
            chunk = trim_unheard(chunk, self.unheard_frames, self.model_config.fps)
        n_real = self._heard_frames(audio_end, window_first)
        return TickPlan(first, n_emit, n_real, audio_end, chunk.first_frame, chunk.end_frame, window_first)

    def _heard_frames(self, audio_end: int, window_first: int) -> int:
        """Frames of a window starting at ``window_first`` whose audio ends before sample ``audio_end``."""
        return min(self.model_config.n_motions, max(0, int(audio_end / self.samples_per_frame) - window_first))

    def audio_chunk(self, ring: AudioRingBuffer, plan: TickPlan, state: StreamState) -> tuple[torch.Tensor, AudioNormaliser]:
        """(S,) the plan's chunk, normalised by the statistics of everything heard up to its end,
        and those statistics."""
        normaliser = state.normaliser
        if plan.audio_end > state.heard_until:
            normaliser = normaliser.updated(ring.read(state.heard_until, plan.audio_end))
        chunk = Chunk(plan.chunk_first_frame, plan.chunk_end_frame, plan.audio_end)
        samples = read_chunk(lambda a, b: normaliser(ring.read(a, b)), chunk, self.model_config.fps)
        return torch.from_numpy(samples).to(self.backend.device), normaliser

    def _prefix(self, state: StreamState, features: torch.Tensor, plan: TickPlan) -> tuple[torch.Tensor, torch.Tensor]:
        """(1, L_p, d_motion) previous motion and (1, L_p, d_model) its audio features: the
        emitted frames just before the window; where there are fewer (the stream's start, after a
        skip ahead) the learned start prefix fills the front."""
        n_prev = self.model_config.n_prev_motions
        offset = plan.window_first_frame - plan.chunk_first_frame
        have, newer = 0, 0
        if state.continues_at(plan.first_frame):
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

    def _head_plan(self, request: TickRequest) -> TickPlan | None:
        """The tick's head window (:attr:`StreamConfig.head_window`): the plan's window moved to
        start at its first new frame, so the emitted frames before it are its prefix; None when
        the stream has none (the option is off, the model poses no head, nothing is revised, or
        the emitted frames before the tick are not contiguous with it)."""
        state, plan = request.state, request.plan
        if not (self.config.head_window and self.model_config.predict_head_pose and plan.n_revised > 0
                and state.continues_at(plan.first_frame)):
            return None
        heard = self._heard_frames(plan.audio_end, plan.first_frame)
        return replace(plan, window_first_frame=plan.first_frame, n_real=heard)

    def _initial_sample(self, state: StreamState, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        """The stream's x_T (drawn at its first tick), where this tick's sampling starts, and its steps."""
        schedule, config, device = self.backend.schedule, self.config, self.backend.device
        T = schedule.num_steps
        x_T = state.x_T if state.x_T is not None else state.noise(shape).to(device)
        if config.warm_start is not None and state.last_window is not None:
            start = max(1, round(config.warm_start * T))
            shifted = state.last_window[:, state.last_emitted :]
            guess = torch.cat([shifted, torch.zeros_like(state.last_window[:, : state.last_emitted])], dim=1)
            x = renoise(guess, start, schedule, state.noise(shape).to(guess))
        else:
            start, x = T, x_T
        steps = list(range(start, 0, -1)) if config.sampler == "ddpm" else spaced_steps(T, min(config.steps, start), start)
        return x_T, x, steps

    def tick(self, ring: AudioRingBuffer, state: StreamState, plan: TickPlan) -> tuple[TickOutput, StreamState]:
        """The plan's frames and the stream's next state (``state`` itself is left as it was);
        the ring must hold plan.audio_end."""
        result = self.tick_many([TickRequest(ring, state, plan)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    @torch.inference_mode()
    def tick_many(self, requests: Sequence[TickRequest]) -> list[tuple[TickOutput, StreamState] | Exception]:
        """Ticks of several streams, those that can share them (same chunk length, steps and
        guidance: every stream in step) batched into one encoder call and one denoiser call per
        step. Each stream draws its noise from its own source, so its frames are those it would get
        ticking alone, up to float rounding. A stream whose tick fails gets its exception in its
        slot; the others are unaffected."""
        results: list[tuple[TickOutput, StreamState] | Exception | None] = [None] * len(requests)
        groups: dict[tuple, list[_PreparedTick]] = {}
        for i, request in enumerate(requests):
            try:
                prepared = self._prepare(i, request)
            except Exception as error:  # one stream's bad audio must not fail the others
                results[i] = error
                continue
            groups.setdefault(prepared.group_key, []).append(prepared)
        for group in groups.values():
            try:
                outcomes = self._tick_group(group)
            except Exception as error:
                outcomes = [error] * len(group)
            for prepared, outcome in zip(group, outcomes):
                results[prepared.index] = outcome
        return results

    def _prepare(self, index: int, request: TickRequest) -> _PreparedTick:
        """A stream's part of a tick before the networks run: its audio chunk, style and start noise."""
        ring, state, plan = request.ring, request.state, request.plan
        chunk, normaliser = self.audio_chunk(ring, plan, state)
        ring.mark_read(frame_sample(plan.chunk_first_frame, self.model_config.fps))
        style = state.styles.style_at(plan.first_frame / self.model_config.fps)
        x_T, x, steps = self._initial_sample(state, (1, self.model_config.n_motions, self.model_config.motion_dim))
        guidance = self.guidance(state, style is not None)
        return _PreparedTick(index, request, chunk, normaliser, style, x_T, x, steps, guidance)

    def _tick_group(self, group: list[_PreparedTick]) -> list[tuple[TickOutput, StreamState] | Exception]:
        """One batched tick of streams with the same chunk length, steps and guidance."""
        config, model_config, device = self.config, self.model_config, self.backend.device
        started = time.perf_counter()
        first = group[0]
        n_chunk_frames = first.request.plan.chunk_end_frame - first.request.plan.chunk_first_frame
        features = self.backend.audio_features(torch.stack([p.chunk for p in group]), n_chunk_frames)
        # rows: every stream's window, then the head windows of those that have one
        heads = [(row, head) for row, p in enumerate(group) if (head := self._head_plan(p.request)) is not None]
        rows = [(row, p.request.plan) for row, p in enumerate(group)] + heads
        window_audio, prev_motion, prev_audio, indicator = [], [], [], []
        for row, plan in rows:
            offset = plan.window_first_frame - plan.chunk_first_frame
            window_audio.append(repeat_last(features[row : row + 1, offset : offset + model_config.n_motions],
                                            model_config.n_motions))
            motion, audio = self._prefix(group[row].request.state, features[row : row + 1], plan)
            prev_motion.append(motion)
            prev_audio.append(audio)
            indicator.append(torch.arange(model_config.n_motions, device=device)[None] < plan.n_real)
        identity = torch.as_tensor(np.stack([group[row].request.state.identity for row, _ in rows]), device=device)
        styles = None if first.style is None else torch.as_tensor(np.stack([group[row].style for row, _ in rows]),
                                                                   device=device)
        conditions = WindowConditions(
            torch.cat(window_audio), torch.cat(prev_motion), torch.cat(prev_audio), normalise_shape(identity, self.stats),
            None if styles is None else styles.float(),
            torch.cat(indicator).float() if model_config.use_indicator else None,
        )
        features_done = time.perf_counter()

        denoiser = GuidedDenoiser(self.backend, conditions, first.guidance, config.dynamic_threshold)
        noise = RowNoise([group[row].request.state.noise for row, _ in rows])
        windows = run_sampler(config.sampler, denoiser, torch.cat([group[row].x for row, _ in rows]),
                              self.backend.schedule, model_config.target, first.steps, noise, config.eta)
        windows = with_head_from(windows[: len(group)], windows[len(group) :],
                                 [(row, group[row].request.plan) for row, _ in heads])
        done = time.perf_counter()
        features_ms, sampling_ms = (features_done - started) * 1000, (done - features_done) * 1000
        return [self._finish(p, windows[row : row + 1], features_ms, sampling_ms) for row, p in enumerate(group)]

    def _finish(
        self, prepared: _PreparedTick, window: torch.Tensor, features_ms: float, sampling_ms: float
    ) -> tuple[TickOutput, StreamState] | Exception:
        """A stream's frames and next state from its (1, L, d_motion) sampled window."""
        state, plan, model_config = prepared.request.state, prepared.request.plan, self.model_config
        if not torch.isfinite(window).all():
            return NonFiniteMotion(f"tick at frame {plan.first_frame} produced non-finite motion")
        emitted = window[:, plan.n_revised : plan.n_revised + plan.n_emit]
        history = torch.cat([state.history, emitted], dim=1) if state.continues_at(plan.first_frame) else emitted
        exp, pose = motion_to_coefficients(emitted[0], self.stats, model_config.predict_head_pose)
        output = TickOutput(plan.first_frame, exp.cpu().numpy(), pose.cpu().numpy(), features_ms, sampling_ms,
                            len(prepared.steps))
        return output, replace(
            state,
            normaliser=prepared.normaliser,
            heard_until=max(state.heard_until, plan.audio_end),
            next_frame=state.next_frame + plan.n_emit,
            history=history[:, -(model_config.n_prev_motions + self.revision_frames) :],
            history_end=plan.first_frame + plan.n_emit,
            x_T=prepared.x_T,
            last_window=window,
            last_emitted=plan.n_emit,
        )


def with_head_from(windows: torch.Tensor, heads: torch.Tensor, plans: Sequence[tuple[int, TickPlan]]) -> torch.Tensor:
    """(N, L, d_motion) windows whose emitted frames take their head rotation from head windows.

    Args:
        windows: the streams' windows (starting ``n_revised`` frames before their first new frame).
        heads: (H, L, d_motion) head windows, starting at the first new frame of their stream.
        plans: for each head window, its stream's row in ``windows`` and that stream's plan.
    """
    if not plans:
        return windows
    windows = windows.clone()
    for head, (row, plan) in zip(heads, plans):
        new = slice(plan.n_revised, plan.n_revised + plan.n_emit)
        windows[row, new, HEAD_ROTATION] = head[: plan.n_emit, HEAD_ROTATION]
    return windows


def repeat_last(features: torch.Tensor, n_frames: int) -> torch.Tensor:
    """(B, m, d) features, m >= 1, extended to (B, n_frames, d) by repeating the last frame (the
    window frames past the encoded audio, :attr:`StreamConfig.unheard_ms`)."""
    missing = n_frames - features.shape[1]
    return features if missing <= 0 else torch.cat([features, features[:, -1:].expand(-1, missing, -1)], dim=1)


@dataclass(frozen=True)
class TickRequest:
    """One stream's tick: its audio, its state and the plan for it."""

    ring: AudioRingBuffer
    state: StreamState
    plan: TickPlan


@dataclass(frozen=True)
class _PreparedTick:
    """A request with what it needs before the networks run."""

    index: int
    request: TickRequest
    chunk: torch.Tensor
    normaliser: AudioNormaliser
    style: np.ndarray | None
    x_T: torch.Tensor
    x: torch.Tensor
    steps: list[int]
    guidance: Guidance

    @property
    def group_key(self) -> tuple:
        """Requests with equal keys can share a batch: chunk samples, steps, guidance."""
        return self.chunk.shape[0], tuple(self.steps), self.guidance
