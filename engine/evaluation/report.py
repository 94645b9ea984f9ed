"""``posetalk eval``: the default model's evaluation, all sections in one run.

1. ``tts``: the model (neutral style, streaming defaults and the live silence gate: what ``posetalk
   live`` publishes) against the animator's neutral reference on held-out TTS voices.
2. ``real``: the same on held-out real speakers, side by side with the two peers.
3. ``style``: each preset's motion statistics against neutral, and whether each moved as its
   name says (:mod:`posetalk.evaluation.style_stats`), for the model and for the animator.
4. ``streaming``: sections 1-2's scores of the stream (with and without the gate) against offline
   generation of the same clips, and the stream's loss in %.
5. ``latency``: ``posetalk bench`` (:mod:`posetalk.evaluation.latency`).

Clip k of the evaluation (TTS clips first, then the real ones in speaker order) is generated
with noise seed ``100000 · seed + k`` and animated with the same seed, for every method and style,
so styles and samplers are compared on the same noise. docs/evaluation.md defines every number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from posetalk.animator.animate import Animation
from posetalk.animator.style import NEUTRAL, PRESETS
from posetalk.corpus.tts import held_out_tts_clips
from posetalk.evaluation.clips import Clips, real_evaluation_clips
from posetalk.evaluation.latency import run_latency
from posetalk.evaluation.metrics import RELATIVE_FRACTION, RELATIVE_PERCENTILE, ratio_deviation_loss, relative_loss
from posetalk.evaluation.mouth import CLOSURE_THRESHOLD_MM, MIN_PAUSE_S
from posetalk.evaluation.options import EvalOptions
from posetalk.evaluation.peers import peers
from posetalk.evaluation.runs import STREAM_DEFAULTS, ModelRunner, peer_track, reference_motion
from posetalk.evaluation.scores import MethodScores, MouthTrack, motion_track, score_method
from posetalk.evaluation.style_stats import PRESET_RULES, check_preset, style_stats
from posetalk.pipeline.model_files import LoadedModel, load_model_files, resolve_model_files
from posetalk.stream.config import StreamConfig
from posetalk.stream.style_control import StylePresets

SEED_STRIDE = 100_000
NEUTRAL_PRESET = "neutral"
HIGHER_IS_BETTER = {
    "opening_mae_mm": False, "width_mae_mm": False, "opening_r": True, "width_r": True,
    "bilabial_closure_mm": True, "closed_pauses_mm": True, "bilabial_closure_relative": True,
    "closed_pauses_relative": True,
}
"""The scores the streaming section compares by which way is better."""
NEARER_THE_REFERENCE = ("vowel_ratio",)
"""The scores the streaming section compares by their distance from the reference's own score."""


@dataclass(frozen=True)
class Example:
    """One real clip's mouth opening by method, for the plots: (L,) in mm (``in_mm``) or 0-1."""

    clip_id: str
    fps: int
    openings: dict[str, np.ndarray]
    in_mm: dict[str, bool]


@dataclass
class Evaluation:
    """The report (``data``, JSON-ready: NaN became None) and the plotted example clip."""

    data: dict
    example: Example | None = None


@dataclass
class SetRuns:
    """Every method's motion or mouth on one set of clips, one entry per clip."""

    clips: Clips
    reference: list[Animation]
    stream: list[Animation]
    gated: list[Animation]
    peers: dict[str, list[MouthTrack]] = field(default_factory=dict)

    @property
    def phones(self) -> list:
        return [clip.phones for _, clip in self.clips]

    @property
    def seconds(self) -> float:
        return float(sum(clip.duration for _, clip in self.clips))


def tracks(motions: list[Animation]) -> list[MouthTrack]:
    """The mouth (mm) of each motion."""
    return [motion_track(m.exp, m.pose, m.shape) for m in motions]


def noise_seed(seed: int, clip_index: int) -> int:
    """Noise (and animator) seed of the evaluation's clip ``clip_index``."""
    return SEED_STRIDE * seed + clip_index


class Phases:
    """Prints each phase as it starts and ends, and keeps the seconds each took."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str, what: str) -> Iterator[None]:
        self.log(f"[{name}] {what}")
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        self.seconds[name] = round(elapsed, 1)
        self.log(f"[{name}] done in {elapsed:.0f} s")


def model_styles(loaded: LoadedModel) -> dict[str, np.ndarray]:
    """The model folder's presets (``styles/NAME.npy``) by name; none without a styles folder."""
    if loaded.files.styles is None:
        return {}
    presets = StylePresets(loaded.files.styles, loaded.config.d_style)
    return {name: presets.load(name) for name in presets.names()}


def run_set(runner: ModelRunner, clips: Clips, style: np.ndarray | None, stream: StreamConfig, seed: int,
            first_index: int, with_peers: bool, label: str) -> SetRuns:
    """Reference, streamed (raw and gated) motion and, with ``with_peers``, the peers' mouths."""
    methods = peers() if with_peers else []
    runs = SetRuns(clips, [], [], [], {peer.name: [] for peer in methods})
    for k, (_, clip) in enumerate(tqdm(clips, desc=label, unit="clip", leave=False)):
        clip_seed = noise_seed(seed, first_index + k)
        runs.reference.append(reference_motion(clip, NEUTRAL, runner.loaded.shape, runner.fps, clip_seed))
        raw = runner.stream(clip.audio, style, stream, clip_seed)
        runs.stream.append(raw)
        runs.gated.append(runner.gated(raw, clip.audio))
        for peer in methods:
            runs.peers[peer.name].append(peer_track(peer, clip.audio, runner.fps))
    return runs


def lip_sync_section(runs: SetRuns, fps: int, with_peers: bool) -> dict:
    """Sections 1-2: each method's :class:`MethodScores` against the reference."""
    reference = tracks(runs.reference)
    methods: dict[str, list[MouthTrack]] = {"reference": reference, "model": tracks(runs.gated)}
    if with_peers:
        methods.update(runs.peers)
    return {
        "clips": len(runs.clips), "seconds": round(runs.seconds, 1),
        "methods": {name: score_method(t, reference, runs.phones, fps) for name, t in methods.items()},
        "units": {name: "mm" if t[0].in_mm else "0-1" for name, t in methods.items()},
    }


def style_section(runner: ModelRunner, styles: dict[str, np.ndarray], tts: SetRuns, stream: StreamConfig,
                  seed: int, seconds: float) -> dict:
    """Section 3 on the first TTS clips that make up ``seconds``; skipped (with the reason) when
    the model has no neutral preset or none of :data:`PRESET_RULES`'s."""
    names = [name for name in PRESET_RULES if name in styles]
    if NEUTRAL_PRESET not in styles or not names:
        return {"skipped": "the model folder has no styles/neutral.npy and presets "
                           f"({', '.join(PRESET_RULES)}) to compare"}
    durations = np.cumsum([clip.duration for _, clip in tts.clips])
    n_clips = min(len(durations), int(np.searchsorted(durations, seconds)) + 1)
    clips = tts.clips[:n_clips]
    stats = {NEUTRAL_PRESET: {"model": style_stats(tts.gated[:n_clips]), "reference": style_stats(tts.reference[:n_clips])}}
    checks = []
    for name in tqdm(names, desc="styles", unit="preset", leave=False):
        model, reference = [], []
        for k, (_, clip) in enumerate(clips):
            clip_seed = noise_seed(seed, k)
            raw = runner.stream(clip.audio, styles[name], stream, clip_seed)
            model.append(runner.gated(raw, clip.audio))
            reference.append(reference_motion(clip, PRESETS[name], runner.loaded.shape, runner.fps, clip_seed))
        stats[name] = {"model": style_stats(model), "reference": style_stats(reference)}
        for source in ("model", "reference"):
            for check in check_preset(name, stats[name][source], stats[NEUTRAL_PRESET][source]):
                checks.append({"source": source, **asdict(check)})
    return {"clips": len(clips), "seconds": round(float(durations[n_clips - 1]), 1), "presets": stats, "checks": checks}


def stream_losses(stream: MethodScores, offline: MethodScores, reference: MethodScores) -> dict[str, float]:
    """The stream's loss against offline in % per score: :func:`relative_loss` for the scores of
    :data:`HIGHER_IS_BETTER`, :func:`ratio_deviation_loss` around the reference's score for those of
    :data:`NEARER_THE_REFERENCE`; scores the method lacks are left out."""
    losses = {measure: relative_loss(getattr(stream, measure), getattr(offline, measure), higher)
              for measure, higher in HIGHER_IS_BETTER.items() if getattr(stream, measure) is not None}
    losses.update({measure: ratio_deviation_loss(getattr(stream, measure), getattr(offline, measure),
                                                 getattr(reference, measure))
                   for measure in NEARER_THE_REFERENCE if getattr(stream, measure) is not None})
    return losses


def streaming_section(runner: ModelRunner, sets: dict[str, SetRuns], style: np.ndarray | None,
                      stream: StreamConfig, seed: int, steps: int | None) -> dict:
    """Section 4: offline, stream and gated stream scored alike on each set, and the stream's loss
    against offline in % per score (positive: worse than offline)."""
    out: dict = {"offline": "ddpm x500 (published)" if steps is None else f"dpmpp-2m x{steps} per window",
                 "stream": f"{stream.sampler} x{stream.steps}, {stream.frames_per_tick} frames/tick, "
                           f"{stream.revision_frames} revised, {stream.lookahead_ms:.0f} ms lookahead, "
                           f"{stream.left_context_ms:.0f} ms context" + (", head window" if stream.head_window else "")}
    first_index = 0
    for name, runs in sets.items():
        offline = [
            runner.offline(clip.audio, style, steps, noise_seed(seed, first_index + k))
            for k, (_, clip) in enumerate(tqdm(runs.clips, desc=f"offline {name}", unit="clip", leave=False))
        ]
        first_index += len(runs.clips)
        reference = tracks(runs.reference)
        variants = {"offline": offline, "stream": runs.stream, "stream_gated": runs.gated}
        scores = {v: score_method(tracks(m), reference, runs.phones, runner.fps) for v, m in variants.items()}
        scores["reference"] = score_method(reference, reference, runs.phones, runner.fps)
        out[name] = {"scores": scores,
                     "loss_pct": {v: stream_losses(scores[v], scores["offline"], scores["reference"])
                                  for v in ("stream", "stream_gated")}}
    return out


def example_clip(real: SetRuns, fps: int) -> Example:
    """The longest real clip's openings by method."""
    k = int(np.argmax([clip.duration for _, clip in real.clips]))
    openings = {"reference": tracks([real.reference[k]])[0], "model": tracks([real.gated[k]])[0]}
    openings.update({name: t[k] for name, t in real.peers.items()})
    return Example(real.clips[k][0], fps, {n: t.opening for n, t in openings.items()},
                   {n: t.in_mm for n, t in openings.items()})


def jsonable(value):
    """Dataclasses, dicts, lists and numbers as JSON values; NaN and infinities become None."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value


def run_evaluation(options: EvalOptions, log: Callable[[str], None] = print) -> Evaluation:
    """Every section of the evaluation; progress goes to ``log`` (clip bars to stderr). Sets
    torch's CPU threads to ``options.threads``.

    Raises:
        PosetalkError: no model, no speech folder, an unknown speaker.
    """
    torch.set_num_threads(options.threads)
    phases = Phases(log)
    with phases("model", "loading the model"):
        loaded = load_model_files(resolve_model_files(options.model_dir))
        runner = ModelRunner(loaded)
        styles = model_styles(loaded)
        style = styles.get(NEUTRAL_PRESET, loaded.style)
    log(f"model {loaded.files.source}; neutral style: "
        f"{'styles/neutral.npy' if NEUTRAL_PRESET in styles else loaded.files.style or 'none'}")
    with phases("clips", f"{options.tts_minutes:g} min of held-out TTS voices; real speakers {', '.join(options.speakers)}"):
        by_speaker = real_evaluation_clips(options.speech_dir, options.speakers, options.clips_per_speaker)
        tts_clips = list(held_out_tts_clips(options.seed, options.tts_minutes))
        real_clips = [item for clips in by_speaker.values() for item in clips]
    fps = runner.fps
    stream = replace(STREAM_DEFAULTS, head_window=options.head_window)
    with phases("tts", f"reference and stream on {len(tts_clips)} TTS clips"):
        tts = run_set(runner, tts_clips, style, stream, options.seed, 0, with_peers=False, label="tts")
    with phases("real", f"reference, stream and peers on {len(real_clips)} real clips"):
        real = run_set(runner, real_clips, style, stream, options.seed, len(tts_clips), with_peers=True, label="real")
    sections: dict = {
        "tts": lip_sync_section(tts, fps, with_peers=False),
        "real": {**lip_sync_section(real, fps, with_peers=True),
                 "speakers": {name: len(clips) for name, clips in by_speaker.items()}},
    }
    with phases("style", f"{len(styles)} style presets on {options.style_seconds:g} s of TTS clips"):
        sections["style"] = style_section(runner, styles, tts, stream, options.seed, options.style_seconds)
    offline_name = "ddpm x500" if options.offline_steps is None else f"dpmpp-2m x{options.offline_steps}"
    with phases("streaming", f"offline ({offline_name}) on the clips of sections 1-2"):
        sections["streaming"] = streaming_section(runner, {"tts": tts, "real": real}, style, stream, options.seed,
                                                  options.offline_steps)
    with phases("latency", "posetalk bench"):
        sections["latency"] = run_latency(options.model_dir, options.head_window)
    data = {
        "model": str(loaded.files.source),
        "options": asdict(options),
        "definitions": {
            "closure_threshold_mm": CLOSURE_THRESHOLD_MM, "min_pause_s": MIN_PAUSE_S,
            "relative_threshold": f"{RELATIVE_FRACTION:.0%} of the method's {RELATIVE_PERCENTILE:.0f}th-percentile opening",
        },
        "sections": sections,
        "seconds": phases.seconds,
    }
    return Evaluation(jsonable(data), example_clip(real, fps))
