"""The streaming engine: audio ring -> ticks -> paced frames on a bus.

Two threads: the *scheduler* waits until the audio a tick needs has been heard, runs the tick and
hands its frames to the *pacer*, which publishes them at a steady frame rate. The audio producer
(microphone callback, file player, network) only ever writes the ring, so it is never blocked;
the bus drops the oldest frames of a slow consumer. A tick that fails or yields non-finite motion
emits copies of the last good frame for its slots, is reported, and the stream goes on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from posetalk.audio.chunks import frame_sample
from posetalk.audio.ring import AudioRingBuffer
from posetalk.backends.base import ModelBackend
from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.diffusion.noise import NoiseSource, SeededNoise
from posetalk.stream.bus import FrameBus
from posetalk.stream.config import StreamConfig
from posetalk.stream.frame import Frame
from posetalk.stream.batcher import TickBatcher
from posetalk.stream.generator import StreamGenerator, TickOutput, TickPlan, TickRequest
from posetalk.stream.health import StreamHealth
from posetalk.stream.overload import OverloadReporter, RateLimit, tick_budget_ms
from posetalk.stream.silence import SilenceGate
from posetalk.stream.style_control import StyleMixer, StylePresets
from posetalk.stream.threads import use_threads

log = logging.getLogger("posetalk.stream")

RECORDS_KEPT = 100_000
RECENT_TICKS = 50
"""Ticks whose compute times judge the current load (2 s of audio at the default tick)."""
HEALTH_TICKS = 12
"""Ticks whose compute times make a health snapshot's load (about 1 s of audio at the default tick)."""
HEALTH_FRAMES = 25
"""Frames whose latencies make a health snapshot's latency (1 s at 25 fps)."""
READY_FRAMES = 250
"""Frames between scheduler and pacer (10 s at 25 fps); a full queue holds the scheduler back."""


@dataclass
class StreamStats:
    """Counters and measurements of a running stream (read them from any thread)."""

    ticks: int = 0
    failed_ticks: int = 0
    frames_published: int = 0
    deadline_misses: int = 0
    skipped_frames: int = 0
    latency_ms: deque = field(default_factory=lambda: deque(maxlen=RECORDS_KEPT))
    tick_ms: deque = field(default_factory=lambda: deque(maxlen=RECORDS_KEPT))
    features_ms: deque = field(default_factory=lambda: deque(maxlen=RECORDS_KEPT))
    sampling_ms: deque = field(default_factory=lambda: deque(maxlen=RECORDS_KEPT))
    last_error: str | None = None

    def health(self, budget_ms: float) -> StreamHealth:
        """A snapshot of how the stream keeps up; ``budget_ms`` is a tick's budget
        (:func:`~posetalk.stream.overload.tick_budget_ms`)."""
        ticks, latencies = _latest(self.tick_ms, HEALTH_TICKS), _latest(self.latency_ms, HEALTH_FRAMES)
        return StreamHealth(
            tick_load=float(np.percentile(ticks, 90)) / budget_ms if ticks else None,
            latency_ms=float(np.median(latencies)) if latencies else None,
            frames_published=self.frames_published, deadline_misses=self.deadline_misses,
            skipped_frames=self.skipped_frames,
        )


def _latest(records: deque, n: int) -> list[float]:
    """The last ``n`` values of ``records`` (by index: another thread may be appending)."""
    return [records[-i] for i in range(1, min(n, len(records)) + 1)]


class StreamingEngine:
    """Runs one motion stream over an audio ring until stopped or the ring is closed and drained.

    Args:
        backend, stats: the model, as the backend that runs it, and its coefficient statistics.
        shape: (100,) identity shape coefficients.
        style: (d_style,) initial style feature, or None.
        config: sampling and scheduling options.
        ring: the audio ring some source writes.
        bus: where frames are published (a new one if not given).
        presets: named styles for :meth:`select_style`.
        noise: noise source (seeded randomly by default).
        threads: intra-op CPU threads of the scheduler thread (see engine/stream/threads.py);
            None leaves torch's setting.
        batcher: runs this stream's ticks batched with other streams' (its generator, of the same
            backend and configuration, is then this stream's); None ticks on the scheduler thread.
    """

    def __init__(
        self,
        backend: ModelBackend,
        stats: CoefficientStats,
        shape: np.ndarray,
        style: np.ndarray | None,
        config: StreamConfig,
        ring: AudioRingBuffer,
        bus: FrameBus | None = None,
        presets: StylePresets | None = None,
        noise: NoiseSource | None = None,
        threads: int | None = None,
        batcher: TickBatcher | None = None,
    ) -> None:
        self.backend, self.config, self.ring = backend, config, ring
        self.threads = threads
        self.bus = bus or FrameBus()
        self.presets = presets
        self.fps = backend.config.fps
        if batcher is not None and (batcher.generator.backend is not backend or batcher.generator.config != config):
            raise ValueError("a batched stream must use the batcher's backend and configuration")
        self.batcher = batcher
        self.generator = batcher.generator if batcher is not None else StreamGenerator(backend, stats, config)
        # Only the scheduler thread replaces the state; controls reach it through _apply_controls.
        self.state = self.generator.start(shape, style, noise or SeededNoise())
        self.gate = SilenceGate(self.fps) if config.silence_gate else None
        self.default_shape = np.asarray(shape, np.float32)
        self._controls: dict[str, object] = {}
        self._controls_lock = threading.Lock()
        self.stats = StreamStats()
        self.overload = OverloadReporter(config, self.fps)
        self._failure_log = RateLimit()
        self._paused = threading.Event()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._ready: queue.Queue[Frame | None] = queue.Queue(READY_FRAMES)
        self._last_good: Frame | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._schedule, name="posetalk-scheduler", daemon=True),
            threading.Thread(target=self._pace, name="posetalk-pacer", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the stream has published its last frame; False on timeout."""
        return self._finished.wait(timeout)

    # -- live control (any thread) --------------------------------------------------------------

    def health(self) -> StreamHealth:
        """How the stream keeps up now (any thread)."""
        return self.stats.health(tick_budget_ms(self.config, self.fps))

    @property
    def audio_time(self) -> float:
        return self.state.next_frame / self.fps

    @property
    def styles(self) -> StyleMixer:
        """The stream's style blend (thread-safe; its targets change in place)."""
        return self.state.styles

    def select_style(self, name: str, transition: float = 0.5) -> None:
        """Switch to the named preset, blending over ``transition`` seconds of audio."""
        if self.presets is None:
            raise ValueError("no style folder was given")
        self.styles.set(self.presets.load(name), self.audio_time, transition)

    def blend_styles(self, weights: dict[str, float], transition: float = 0.5) -> None:
        """Move to a weighted mix of presets, e.g. {"calm": 0.7, "smile": 0.3}."""
        if self.presets is None:
            raise ValueError("no style folder was given")
        self.styles.blend([self.presets.load(n) for n in weights], list(weights.values()), self.audio_time, transition)

    def set_style(self, style: np.ndarray | None, transition: float = 0.5) -> None:
        """Move to a style feature (d_style,) or to no style; refuses malformed vectors."""
        if style is not None:
            style = np.asarray(style, np.float32)
            if style.shape != (self.backend.config.d_style,) or not np.all(np.isfinite(style)):
                raise ValueError(f"a style must be {self.backend.config.d_style} finite values")
        self.styles.set(style, self.audio_time, transition)

    def set_guidance(self, audio: float | None = None, style: float | None = None) -> None:
        """Change guidance scales from the next tick on."""
        changes = {"cfg_scale_audio": audio, "cfg_scale_style": style}
        self._control(**{name: float(value) for name, value in changes.items() if value is not None})

    def set_shape(self, shape: np.ndarray) -> None:
        """Change the identity (100 finite FLAME shape coefficients) from the next tick on."""
        shape = np.asarray(shape, np.float32)
        if shape.shape != (100,) or not np.all(np.isfinite(shape)):
            raise ValueError("an identity shape must be 100 finite values")
        self._control(identity=shape)

    def _control(self, **changes: object) -> None:
        """Hand state changes to the scheduler thread, which applies them before its next tick."""
        with self._controls_lock:
            self._controls.update(changes)

    def pause(self) -> None:
        """Stop publishing frames; audio heard meanwhile is skipped."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    # -- scheduler thread ---------------------------------------------------------------------

    def _apply_controls(self) -> None:
        with self._controls_lock:
            changes, self._controls = self._controls, {}
        if changes:
            self.state = replace(self.state, **changes)

    def _plan(self) -> TickPlan | None:
        return self.generator.plan(self.state, self.ring.end if self.ring.closed else None)

    def _warm_up(self) -> None:
        """Run two throwaway ticks on silence, so first-call costs (allocations, kernel choice)
        are paid before the stream starts rather than by its first frames' latency."""
        ring = AudioRingBuffer(capacity_seconds=5)
        ring.write_silence(ring.capacity)
        state = self.generator.start(self.state.identity, self.styles.style_at(0.0), SeededNoise(0))
        for _ in range(2):
            _, state = self.generator.tick(ring, state, self.generator.plan(state, None))

    def _schedule(self) -> None:
        if self.threads is not None:
            use_threads(self.threads)
        if self.batcher is not None:
            self.batcher.attach()
        try:
            self._warm_up()
            while not self._stop.is_set():
                plan = self._plan()
                if plan is None:
                    break
                if not self.ring.wait_for(plan.audio_end, timeout=0.1):
                    continue
                plan = self._plan()  # the stream may have closed while we waited
                if plan is None:
                    break
                self._apply_controls()
                if self._paused.is_set():
                    self._skip(plan.n_emit + self._frames_past(plan))
                    continue
                if (behind := self._frames_behind(plan)) > 0:
                    self.stats.skipped_frames += behind
                    self.overload.skipped(behind, self._recent_tick_ms())
                    self._skip(behind)
                    continue
                self._run_tick(plan)
        finally:
            if self.batcher is not None:
                self.batcher.detach()
            try:
                self._ready.put(None, timeout=1.0)
            except queue.Full:  # the pacer has stopped too
                pass

    def _recent_tick_ms(self) -> list[float]:
        return _latest(self.stats.tick_ms, RECENT_TICKS)

    def _frames_behind(self, plan: TickPlan) -> int:
        """Whole frames to skip so the next tick needs the newest audio; 0 within the backlog."""
        limit = self.config.max_backlog_ms
        if limit is None or self.ring.closed:
            return 0
        if self.ring.end - plan.audio_end <= limit / 1000 * self.ring.rate:
            return 0
        return self._frames_past(plan)

    def _frames_past(self, plan: TickPlan) -> int:
        """Whole frames of audio heard past what the plan needs."""
        return int(max(0, self.ring.end - plan.audio_end) / self.generator.samples_per_frame)

    def _skip(self, n_frames: int) -> None:
        self.state = self.state.skipped(n_frames, self.fps)
        self.ring.mark_read(frame_sample(self.state.next_frame, self.fps))

    def _run_tick(self, plan: TickPlan) -> None:
        started = time.perf_counter()
        try:
            if self.batcher is not None:
                output, state = self.batcher.run(TickRequest(self.ring, self.state, plan))
            else:
                output, state = self.generator.tick(self.ring, self.state, plan)
            frames = self._frames(output, state.identity)
            self.state = state
        except Exception as error:  # a failed tick must not end the stream
            self.stats.failed_ticks += 1
            self.stats.last_error = f"{type(error).__name__}: {error}"
            if self._failure_log.allow():
                log.warning("tick at frame %d failed (%s; %d failed ticks so far); holding the last good frame",
                            plan.first_frame, self.stats.last_error, self.stats.failed_ticks)
            self.state = self.state.skipped(plan.n_emit, self.fps)
            frames = self._held_frames(plan)
        else:
            self.stats.features_ms.append(output.features_ms)
            self.stats.sampling_ms.append(output.sampling_ms)
        self.stats.ticks += 1
        self.stats.tick_ms.append((time.perf_counter() - started) * 1000)
        for frame in frames:
            while not self._stop.is_set():
                try:
                    self._ready.put(frame, timeout=0.1)
                    break
                except queue.Full:
                    continue

    def _frame_audio(self, first: int, count: int) -> np.ndarray:
        spf = self.generator.samples_per_frame
        return np.stack([self.ring.read(round(f * spf), round((f + 1) * spf)) for f in range(first, first + count)])

    def _frames(self, output: TickOutput, identity: np.ndarray) -> list[Frame]:
        exp, pose = output.exp, output.pose
        if self.gate is not None:
            exp, pose = self.gate.apply(exp, pose, self._frame_audio(output.first_frame, len(exp)))
        frames = [
            Frame(f, (f + 0.5) / self.fps, 0.0, exp[i].astype(np.float32), pose[i].astype(np.float32), identity)
            for i, f in enumerate(range(output.first_frame, output.first_frame + len(exp)))
        ]
        self._last_good = frames[-1]
        return frames

    def _held_frames(self, plan: TickPlan) -> list[Frame]:
        if self._last_good is None:
            return []
        return [
            replace(self._last_good, seq=f, audio_time=(f + 0.5) / self.fps)
            for f in range(plan.first_frame, plan.first_frame + plan.n_emit)
        ]

    # -- pacer thread -------------------------------------------------------------------------

    def _pace(self) -> None:
        """Publish each frame at a constant delay after its audio was heard (a jitter buffer).

        Frame f is due at arrival(f) + D, arrival(f) being when the sample at its centre reached
        the ring. Audio arrives at a steady rate, so frames leave at a steady rate with a constant
        latency D, which consumers can compensate. D is the least a tick allows — the wait for the
        tick's last frame and the lookahead — plus headroom for compute (1.25 x the p95 of recent
        ticks): it rises at once when ticks slow down and falls by at most 1 ms a frame, so the
        output never jumps. A frame published over half a frame after its due time is a deadline miss.
        """
        config = self.config
        frame_s = 1.0 / self.fps
        base = (config.frames_per_tick - 0.5) * frame_s + config.lookahead_ms / 1000
        delay = base
        try:
            while not self._stop.is_set():
                try:
                    frame = self._ready.get(timeout=0.1)
                except queue.Empty:
                    continue
                if frame is None:
                    break
                recent = self._recent_tick_ms()
                target = base + 1.25 * float(np.percentile(recent, 95)) / 1000 + 0.005 if recent else base
                delay = target if target > delay else max(target, delay - 0.001)
                heard = self.ring.arrival_time(round(frame.audio_time * self.ring.rate))
                if heard is not None:
                    wait = heard + delay - time.monotonic()
                    if wait > 0 and self._stop.wait(wait):
                        break
                    if time.monotonic() - (heard + delay) > frame_s / 2:
                        self.stats.deadline_misses += 1
                        self.overload.missed(recent)
                self._publish(frame, heard)
        finally:
            self.bus.end()
            self._finished.set()

    def _publish(self, frame: Frame, heard: float | None) -> None:
        published = time.monotonic()
        frame = replace(frame, wall_time=time.time())
        if heard is not None:
            self.stats.latency_ms.append((published - heard) * 1000)
        self.stats.frames_published += 1
        self.bus.publish(frame)
