"""Motion and mouth tracks of every method under evaluation, for one clip at a time.

- the reference: the procedural animator (:func:`posetalk.animator.animate.animate`) on the clip's
  phones, on the model's identity;
- the model streamed: the stream's own ticks (:class:`~posetalk.stream.generator.StreamGenerator`)
  run back to back over the whole clip: a tick's output depends only on the audio it has heard,
  never on when it runs, so this is what ``posetalk live`` publishes for the clip, deterministic
  for a seed; the live stream's silence gate is applied separately (:meth:`ModelRunner.gated`);
- the model offline: :func:`posetalk.pipeline.offline.generate` over whole windows, with the
  published 500-step ancestral sampler or DPM-Solver++ 2M with N steps per window;
- the peers (:mod:`posetalk.evaluation.peers`) on the clip's audio.

Every motion is an :class:`~posetalk.animator.animate.Animation` (exp (L, 50), pose (L, 6), shape
(100,), fps).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from posetalk.animator.animate import Animation, animate
from posetalk.animator.style import StyleParams
from posetalk.audio.ring import RATE, AudioRingBuffer
from posetalk.backends.base import ModelBackend
from posetalk.backends.choice import build_backend, default_backend_name
from posetalk.corpus.timeline import TimedClip
from posetalk.diffusion.guidance import guidance_for_style
from posetalk.diffusion.noise import SeededNoise
from posetalk.evaluation.peers import MouthPeer
from posetalk.evaluation.scores import MouthTrack
from posetalk.pipeline.model_files import LoadedModel
from posetalk.pipeline.offline import SamplingOptions, generate
from posetalk.stream.config import StreamConfig
from posetalk.stream.generator import StreamGenerator
from posetalk.stream.silence import SilenceGate

STREAM_DEFAULTS = StreamConfig()
"""The streaming defaults, those of ``posetalk live`` (dpmpp-2m, 2 steps, 2 frames a tick, 15 revised, 80 ms
lookahead, 500 ms left context, silence gate on)."""


def reference_motion(clip: TimedClip, style: StyleParams, shape: np.ndarray, fps: int, seed: int) -> Animation:
    """The animator's motion for ``clip`` on identity ``shape`` (100,)."""
    return animate(clip, style, fps=fps, seed=seed, identity=shape)


def peer_track(peer: MouthPeer, audio: np.ndarray, fps: float) -> MouthTrack:
    """A peer's mouth on (S,) 16 kHz audio, in its own 0-1 (width -1..1) units."""
    width = peer.lip_width(audio, fps)
    return MouthTrack(
        peer.mouth_opening(audio, fps).astype(np.float64),
        None if width is None else width.astype(np.float64),
        in_mm=False,
    )


@dataclass(frozen=True)
class ModelRunner:
    """Runs one loaded model over clips with a style (d_style,) or None."""

    loaded: LoadedModel

    @cached_property
    def backend(self) -> ModelBackend:
        """The network's default backend, built once for every clip."""
        network = self.loaded.network
        return build_backend(network, default_backend_name(network))

    @property
    def fps(self) -> int:
        return self.loaded.config.fps

    def _animation(self, exp: np.ndarray, pose: np.ndarray) -> Animation:
        return Animation(exp.astype(np.float32), pose.astype(np.float32), self.loaded.shape.astype(np.float32), self.fps)

    def stream(self, audio: np.ndarray, style: np.ndarray | None, config: StreamConfig, seed: int) -> Animation:
        """The frames a stream with ``config`` emits for (S,) 16 kHz ``audio``, ticks back to
        back (the silence gate is not applied: see :meth:`gated`)."""
        ring = AudioRingBuffer(capacity_seconds=len(audio) / RATE + 1)
        ring.write(audio)
        ring.close()
        loaded = self.loaded
        generator = StreamGenerator(self.backend, loaded.stats, config)
        state, exp, pose = generator.start(loaded.shape, style, SeededNoise(seed)), [], []
        while (plan := generator.plan(state, ring.end)) is not None:
            out, state = generator.tick(ring, state, plan)
            exp.append(out.exp)
            pose.append(out.pose)
        return self._animation(np.concatenate(exp), np.concatenate(pose))

    def gated(self, motion: Animation, audio: np.ndarray) -> Animation:
        """``motion`` through the live stream's silence gate (:class:`~posetalk.stream.silence.SilenceGate`),
        each frame judged by the raw audio it covers."""
        spf = RATE / self.fps
        frames = np.stack([audio[round(f * spf) : round((f + 1) * spf)] for f in range(len(motion.exp))])
        exp, pose = SilenceGate(self.fps).apply(motion.exp, motion.pose, frames)
        return replace(motion, exp=exp, pose=pose)

    def offline(self, audio: np.ndarray, style: np.ndarray | None, steps: int | None, seed: int) -> Animation:
        """Offline motion for (S,) 16 kHz ``audio`` (:func:`~posetalk.pipeline.offline.generate`:
        whole windows, the clip's own audio statistics) with the published sampler (``steps``
        None) or ``steps`` DPM-Solver++ 2M steps per window, guided as the stream is."""
        loaded, config = self.loaded, self.loaded.config
        guidance = guidance_for_style(config.guiding_conditions, style is not None, STREAM_DEFAULTS.cfg_scale_audio,
                                      STREAM_DEFAULTS.cfg_scale_style, config.cfg_mode)
        options = SamplingOptions(guidance) if steps is None else SamplingOptions(guidance, sampler="dpmpp-2m", steps=steps)
        result = generate(self.backend, loaded.stats, audio, loaded.shape, style, options, SeededNoise(seed))
        return self._animation(result.exp[0], result.pose[0])
