"""The streaming benchmark: a real speech file paced through the real pipeline in real time.

Latency of a frame runs from the moment the audio at the frame's time (its centre) was written to
the ring to the moment the frame was published. After the stream, the same audio goes through
the offline reference (the published 500-step DDPM sampler over whole windows) to measure how far
the stream deviates from it; two reference runs with different noise give the deviation that
sampling noise alone causes, for scale.

Every phase reports its progress through a :data:`Phase` (the command line draws progress bars),
so a long reference run is never silent.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from posetalk.audio.ring import RATE, AudioRingBuffer
from posetalk.audio.sources import FileConfig, FileSource
from posetalk.backends.base import ModelBackend
from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.data import SPEECH_SAMPLE
from posetalk.diffusion.guidance import guidance_for_style
from posetalk.diffusion.noise import SeededNoise
from posetalk.pipeline.offline import SamplingOptions, generate, plan_windows
from posetalk.stream.config import StreamConfig
from posetalk.stream.batcher import TickBatcher
from posetalk.stream.engine import StreamingEngine
from posetalk.stream.generator import StreamGenerator


Phase = Callable[[str, int, str], AbstractContextManager[Callable[[int], None]]]
"""``phase(description, total, unit)`` opens a phase of ``total`` units; the context yields
``advance(n)``, called as units complete."""


@contextmanager
def silent_phase(description: str, total: int, unit: str) -> Iterator[Callable[[int], None]]:
    """A :data:`Phase` that reports nothing."""
    yield lambda n: None


REFERENCE_RUNS = 2
"""Offline reference runs: one to compare the stream with, one more for the noise floor."""


@dataclass(frozen=True)
class BenchSetup:
    backend: ModelBackend
    stats: CoefficientStats
    shape: np.ndarray
    style: np.ndarray | None
    config: StreamConfig
    duration: float
    reference: bool = True
    seed: int = 0
    threads: int | None = None
    streams: int = 1
    batched: bool = True


@dataclass
class BenchReport:
    """Everything ``posetalk bench`` prints; times in milliseconds."""

    latency_ms: dict[str, float]
    tick_ms: dict[str, float]
    rtf: float
    deadline_misses: int
    skipped_frames: int
    failed_ticks: int
    frames: int
    expected_frames: int
    in_order: bool
    breakdown_ms: dict[str, float]
    deviation: dict[str, float] | None
    config: dict = field(default_factory=dict)
    streams: int = 1
    batched: bool = False
    batch_size_mean: float = 1.0


def _percentiles(values, names=("p50", "p95", "p99", "max")) -> dict[str, float]:
    data = np.asarray(list(values), dtype=np.float64)
    if data.size == 0:
        return {name: float("nan") for name in names}
    points = {"p50": 50, "p95": 95, "p99": 99, "max": 100}
    return {name: round(float(np.percentile(data, points[name])), 2) for name in names}


def seam_ratio(coefficients: np.ndarray, seams: list[int]) -> float:
    """Mean frame-to-frame change at the given seam frames over the mean change elsewhere.

    (L, C) coefficients; 1 means seams are as smooth as the rest, > 1 that they jump.
    """
    steps = np.abs(np.diff(coefficients, axis=0)).mean(axis=1)  # steps[i]: frame i -> i + 1
    at = np.zeros(steps.size, dtype=bool)
    at[[s - 1 for s in seams if 0 < s <= steps.size]] = True
    if not at.any() or at.all():
        return float("nan")
    return float(steps[at].mean() / max(steps[~at].mean(), 1e-12))


def _reference_options(setup: BenchSetup) -> SamplingOptions:
    config = setup.backend.config
    guidance = guidance_for_style(config.guiding_conditions, setup.style is not None, setup.config.cfg_scale_audio,
                                  setup.config.cfg_scale_style, config.cfg_mode)
    return SamplingOptions(guidance, setup.config.dynamic_threshold)


def reference_steps(setup: BenchSetup, n_samples: int) -> int:
    """Denoiser evaluations of the offline reference (all its runs) over ``n_samples`` of audio."""
    config = setup.backend.config
    windows = plan_windows(n_samples, config.n_motions, config.fps).n_windows
    return REFERENCE_RUNS * windows * _reference_options(setup).evaluations(config.n_diff_steps)


def _references(setup: BenchSetup, audio: np.ndarray, phase: Phase) -> tuple[np.ndarray, np.ndarray]:
    """(L, 54) motion (exp, global rotation, jaw pitch) of two runs of the published offline
    pipeline with different noise: the reference and its noise floor."""
    windows = plan_windows(len(audio), setup.backend.config.n_motions, setup.backend.config.fps).n_windows
    description = (f"offline reference: {REFERENCE_RUNS} runs of the published sampler over {windows} windows "
                   "(--no-reference skips it)")
    runs = []
    with phase(description, reference_steps(setup, len(audio)), "step") as advance:
        for run in range(REFERENCE_RUNS):
            result = generate(setup.backend, setup.stats, audio, setup.shape, setup.style, _reference_options(setup),
                              SeededNoise(setup.seed + 1 + run), on_step=lambda: advance(1))
            runs.append(np.concatenate([result.exp[0], result.pose[0, :, :4]], axis=1))
    return runs[0], runs[1]


def _stream_in_real_time(engines: list[StreamingEngine], rings: list[AudioRingBuffer], duration: float,
                         phase: Phase) -> None:
    """Play the bundled sample into every ring for (at least) ``duration`` seconds, then let the
    streams drain."""
    sources = [FileSource(FileConfig(SPEECH_SAMPLE, realtime=True, loop=True)) for _ in rings]
    for engine in engines:
        engine.start()
    for source, ring in zip(sources, rings):
        source.start(ring)
    started = time.monotonic()
    streams = f" x {len(rings)} streams" if len(rings) > 1 else ""
    with phase(f"streaming {duration:g} s of speech in real time{streams}", round(duration), "s") as advance:
        for second in range(1, round(duration) + 1):
            time.sleep(max(0.0, started + min(second, duration) - time.monotonic()))
            advance(1)
        time.sleep(max(0.0, started + duration - time.monotonic()))
    for source, ring in zip(sources, rings):
        # a source started a little later, or lagging on a loaded machine, still delivers all of it
        ring.wait_for(round(duration * ring.rate), timeout=duration + 10)
        source.stop()
        ring.close()
    for engine in engines:
        engine.wait(timeout=duration * 20 + 60)
        engine.stop()


def _engines(setup: BenchSetup) -> tuple[list[StreamingEngine], list[AudioRingBuffer], TickBatcher | None]:
    """``setup.streams`` engines, each on its own ring; batched, their ticks share one worker with
    all the threads, else each ticks on its own scheduler thread with an equal share of them."""
    n = setup.streams
    rings = [AudioRingBuffer(capacity_seconds=setup.duration + 10) for _ in range(n)]
    batcher = None
    threads = setup.threads
    if setup.batched and n > 1:
        batcher = TickBatcher(StreamGenerator(setup.backend, setup.stats, setup.config), setup.threads)
        threads = None
    elif threads is not None:
        threads = max(1, threads // n)
    engines = [
        StreamingEngine(setup.backend, setup.stats, setup.shape, setup.style, setup.config, ring,
                        noise=SeededNoise(setup.seed + i), threads=threads, batcher=batcher)
        for i, ring in enumerate(rings)
    ]
    return engines, rings, batcher


def run_bench(setup: BenchSetup, phase: Phase = silent_phase) -> BenchReport:
    """Stream ``duration`` seconds of the bundled speech sample in real time on ``setup.streams``
    streams at once and measure, over all of them; the first stream's frames are compared with
    the offline reference.

    Seams are taken every frames_per_tick frames, which holds while no frames were skipped.
    """
    torch.manual_seed(setup.seed)
    engines, rings, batcher = _engines(setup)
    subscriptions = [engine.bus.subscribe(maxsize=int(setup.duration * engine.fps) + 100) for engine in engines]
    if batcher is not None:
        batcher.start()
    try:
        _stream_in_real_time(engines, rings, setup.duration, phase)
    finally:
        if batcher is not None:
            batcher.stop()
    streams = [list(subscription) for subscription in subscriptions]
    frames = streams[0]
    fps = engines[0].fps

    audio = rings[0].read(0, rings[0].end)
    seqs = [f.seq for f in frames]
    streamed = np.array([np.concatenate([f.exp, f.pose[:4]]) for f in frames]) if frames else np.zeros((0, 54))
    stats = [engine.stats for engine in engines]
    heard = sum(ring.end for ring in rings) / rings[0].rate
    compute = batcher.stats.busy_s if batcher is not None else float(sum(np.sum(s.tick_ms) for s in stats)) / 1000
    report = BenchReport(
        latency_ms=_percentiles(itertools.chain.from_iterable(s.latency_ms for s in stats)),
        tick_ms=_percentiles(itertools.chain.from_iterable(s.tick_ms for s in stats), ("p50", "p95")),
        rtf=round(compute / max(heard, 1e-9), 4),
        deadline_misses=sum(s.deadline_misses for s in stats),
        skipped_frames=sum(s.skipped_frames for s in stats),
        failed_ticks=sum(s.failed_ticks for s in stats),
        frames=sum(len(stream) for stream in streams),
        expected_frames=sum(int(ring.end / ring.rate * fps) for ring in rings),
        in_order=all(all(b.seq > a.seq for a, b in zip(stream, stream[1:])) for stream in streams),
        breakdown_ms={
            "features_p50": _percentiles(itertools.chain.from_iterable(s.features_ms for s in stats), ("p50",))["p50"],
            "sampling_p50": _percentiles(itertools.chain.from_iterable(s.sampling_ms for s in stats), ("p50",))["p50"],
            "lookahead": setup.config.lookahead_ms,
            "frames_per_tick_wait": (setup.config.frames_per_tick - 1) * 1000 / fps,
        },
        deviation=None,
        config={k: v for k, v in asdict(setup.config).items() if k != "dynamic_threshold"},
        streams=setup.streams,
        batched=batcher is not None,
        batch_size_mean=round(float(np.mean(batcher.stats.batch_sizes)), 2) if batcher and batcher.stats.batches else 1.0,
    )
    if setup.reference and frames:
        started = time.perf_counter()
        reference, second = _references(setup, audio, phase)
        index = np.asarray(seqs)
        kept = index < len(reference)  # frames compared by sequence number: skips leave gaps
        difference = np.abs(streamed[kept] - reference[index[kept]])
        floor = np.abs(second - reference)
        k, window = setup.config.frames_per_tick, setup.backend.config.n_motions
        report.deviation = {
            "mean_abs": round(float(difference.mean()), 5),
            "max_abs": round(float(difference.max()), 5),
            "seam": round(seam_ratio(streamed, list(range(k, len(streamed), k))), 4),
            "reference_seam": round(seam_ratio(reference, list(range(window, len(reference), window))), 4),
            "noise_floor_mean_abs": round(float(floor.mean()), 5),
            "reference_s": round(time.perf_counter() - started, 1),
        }
    return report


def stream_without_pacing(setup: BenchSetup, audio: np.ndarray, config: StreamConfig) -> np.ndarray:
    """(L, 54) motion a stream with ``config`` emits for ``audio``, ticks run back to back.

    A tick's output depends only on the audio it has heard, never on when it runs, so this is
    what the live stream would publish (minus the silence gate, which the quality sweep disables).
    """
    ring = AudioRingBuffer(capacity_seconds=len(audio) / RATE + 1)
    ring.write(audio)
    ring.close()
    generator = StreamGenerator(setup.backend, setup.stats, config)
    state, rows = generator.start(setup.shape, setup.style, SeededNoise(setup.seed)), []
    while (plan := generator.plan(state, ring.end)) is not None:
        out, state = generator.tick(ring, state, plan)
        rows.append(np.concatenate([out.exp, out.pose[:, :4]], axis=1))
    return np.concatenate(rows)


QUALITY_SWEEPS = {
    "steps": ("steps", (1, 2, 4, 8, 16)),
    "lookahead": ("lookahead_ms", (0.0, 40.0, 80.0, 120.0, 200.0)),
    "frames-per-tick": ("frames_per_tick", (1, 2, 4, 8)),
    "warm-start": ("warm_start", (None, 0.6, 0.3)),
    "encode-unheard": ("unheard_ms", (None, 400.0, 200.0, 80.0, 0.0)),
}
APPROXIMATIONS = {"encode-unheard": None}
"""Sweeps of a speed-up against exact computation: their option's exact value, whose stream
(same noise) each row is also compared with."""


def quality_sweep(setup: BenchSetup, sweep: str, audio: np.ndarray,
                  phase: Phase = silent_phase) -> list[dict[str, float]]:
    """Deviation from the offline reference as one option varies (silence gate off).

    Rows: the option's value, mean and max absolute deviation, seam ratio; plus the noise floor
    (two reference runs with different noise) in every row for scale; for an approximation
    (:data:`APPROXIMATIONS`) also ``exact_mean_abs`` / ``exact_max_abs``, the deviation from the
    stream that computes exactly, with the same noise.
    """
    option, values = QUALITY_SWEEPS[sweep]
    reference, second = _references(setup, audio, phase)
    floor = float(np.abs(second - reference).mean())
    streams = {}
    with phase(f"streams with {len(values)} values of {option}", len(values), "stream") as advance:
        for value in values:
            config = replace(setup.config, silence_gate=False, **{option: value})
            streams[value] = stream_without_pacing(setup, audio, config), config.frames_per_tick
            advance(1)
    rows = []
    for value, (streamed, k) in streams.items():
        n = min(len(streamed), len(reference))
        difference = np.abs(streamed[:n] - reference[:n])
        row = {
            option: value, "mean_abs": float(difference.mean()), "max_abs": float(difference.max()),
            "seam": seam_ratio(streamed, list(range(k, len(streamed), k))), "noise_floor": floor,
        }
        if sweep in APPROXIMATIONS:
            exact = np.abs(streamed - streams[APPROXIMATIONS[sweep]][0])
            row.update(exact_mean_abs=float(exact.mean()), exact_max_abs=float(exact.max()))
        rows.append(row)
    return rows
