"""The streaming engine with real rings, sources, threads and models."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from posetalk.audio.ring import AudioRingBuffer
from posetalk.audio.sources import FileConfig, FileSource
from posetalk.backends.torch_backend import TorchBackend
from posetalk.diffusion.noise import ReplayNoise, SeededNoise
from posetalk.pipeline.model_files import LoadedModel, load_model_files, resolve_model_files
from posetalk.stream.batcher import TickBatcher
from posetalk.stream.bus import FrameBus
from posetalk.stream.config import StreamConfig
from posetalk.stream.engine import StreamingEngine
from posetalk.stream.generator import StreamGenerator, StreamState, TickRequest
from posetalk.stream.normaliser import RunningNormaliser
from posetalk.stream.silence import SilenceGate
from posetalk.stream.style_control import StyleMixer, StylePresets
from tests.conftest import fixture_id, official_fixture_dirs
from tests.published_files import speech_like_audio, write_model_folder

FOLDERS = official_fixture_dirs()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    return load_model_files(resolve_model_files(write_model_folder(tmp_path_factory.mktemp("tiny"))))


def _at(generator: StreamGenerator, loaded: LoadedModel, frame: int) -> StreamState:
    """A new stream of ``loaded``'s identity starting at ``frame``."""
    return generator.start(loaded.shape, None, SeededNoise(0), next_frame=frame)


def _run_stream(loaded: LoadedModel, audio: np.ndarray, config: StreamConfig, realtime: bool = False,
                tmp_path: Path | None = None, during=None):
    ring = AudioRingBuffer(capacity_seconds=len(audio) / 16000 + 5)
    engine = StreamingEngine(TorchBackend(loaded.model), loaded.stats, loaded.shape, loaded.style, config, ring, noise=SeededNoise(0))
    subscription = engine.bus.subscribe(maxsize=10_000)
    path = tmp_path / "speech.wav"
    soundfile.write(path, audio, 16000, subtype="FLOAT")
    source = FileSource(FileConfig(path, realtime=realtime))
    engine.start()
    source.start(ring)
    if during is not None:
        during(engine)
    assert engine.wait(timeout=120), "stream did not finish"
    engine.stop()
    source.stop()
    return engine, list(subscription)


@pytest.mark.parametrize("folder", FOLDERS, ids=[fixture_id(f) for f in FOLDERS])
def test_stream_parity_with_offline_pipeline(folder: Path) -> None:
    """Whole-window ticks, unlimited context, the window's silence encoded, clip statistics and the
    published sampler: the stream is the offline pipeline, draw for draw."""
    loaded = load_model_files(resolve_model_files(folder))
    meta = json.loads((folder / "meta.json").read_text())
    with np.load(folder / "expected.npz") as expected:
        audio, noise = expected["audio"], expected["plain_noise"]
        exp_ref, pose_ref = expected["plain_exp"], expected["plain_pose"]
    if meta.get("n_repetitions", 1) != 1 or meta.get("flexibility", 0) != 0:
        pytest.skip("streams draw one sample with flexibility 0")
    scales = dict(zip(meta["cfg_cond"], meta["cfg_scale"]))
    clip = torch.from_numpy(audio)
    config = StreamConfig(
        sampler="ddpm", frames_per_tick=loaded.model.config.n_motions, lookahead_ms=1e9, left_context_ms=1e9,
        unheard_ms=None, normalisation="fixed", audio_mean=float(clip.mean()), audio_std=float(clip.std()),
        cfg_scale_audio=scales.get("audio", 1.0), cfg_scale_style=scales.get("style", 1.0), cfg_mode=meta["cfg_mode"],
        silence_gate=False,
    )
    ring = AudioRingBuffer()
    ring.write(audio)
    ring.close()
    generator = StreamGenerator(TorchBackend(loaded.model), loaded.stats, config)
    state, exps, poses = generator.start(loaded.shape, loaded.style, ReplayNoise(torch.from_numpy(noise))), [], []
    while (plan := generator.plan(state, ring.end)) is not None:
        out, state = generator.tick(ring, state, plan)
        exps.append(out.exp)
        poses.append(out.pose)
    np.testing.assert_allclose(np.concatenate(exps), exp_ref, atol=1e-3, rtol=0)
    np.testing.assert_allclose(np.concatenate(poses), pose_ref, atol=1e-3, rtol=0)


def test_plan_follows_lookahead_and_the_end_of_the_stream(tiny: LoadedModel) -> None:
    config = StreamConfig(frames_per_tick=3, revision_frames=0, lookahead_ms=100, left_context_ms=0)
    generator = StreamGenerator(TorchBackend(tiny.model), tiny.stats, config)
    plan = generator.plan(_at(generator, tiny, 20), None)
    assert plan.audio_end == 23 * 640 + 1600  # three frames, then 100 ms
    assert plan.n_real == 5 and plan.n_emit == 3  # 2.5 lookahead frames: whole ones only
    assert plan.chunk_first_frame == 20 - tiny.model.config.n_prev_motions
    assert plan.chunk_end_frame == 20 + tiny.model.config.n_motions
    last = generator.plan(_at(generator, tiny, 20), stream_end=21 * 640 + 100)
    assert last.n_emit == 1 and last.n_real == 1 and last.audio_end == 21 * 640 + 100
    assert generator.plan(_at(generator, tiny, 21), stream_end=21 * 640 + 100) is None


def test_plan_with_revision_starts_the_window_earlier(tiny: LoadedModel) -> None:
    n_motions = tiny.model.config.n_motions
    config = StreamConfig(frames_per_tick=2, revision_frames=5, lookahead_ms=80, left_context_ms=0)
    generator = StreamGenerator(TorchBackend(tiny.model), tiny.stats, config)
    plan = generator.plan(_at(generator, tiny, 20), None)
    assert plan.window_first_frame == 15 and plan.first_frame == 20 and plan.n_revised == 5
    assert plan.audio_end == 22 * 640 + 1280 and plan.n_real == 5 + 2 + 2
    assert plan.chunk_first_frame == 15 - tiny.model.config.n_prev_motions
    assert plan.chunk_end_frame == 15 + n_motions
    start = generator.plan(_at(generator, tiny, 3), None)
    assert start.window_first_frame == 0 and start.n_revised == 3  # no frames before the stream
    too_many = StreamGenerator(TorchBackend(tiny.model), tiny.stats, StreamConfig(frames_per_tick=2, revision_frames=n_motions))
    widest = too_many.plan(_at(too_many, tiny, 100), None)
    assert widest.n_revised == n_motions - 2  # what fits in the window before the new frames


def test_plan_encodes_only_the_unheard_silence_asked_for(tiny: LoadedModel) -> None:
    config = StreamConfig(frames_per_tick=2, revision_frames=0, lookahead_ms=0, left_context_ms=0, unheard_ms=80)
    generator = StreamGenerator(TorchBackend(tiny.model), tiny.stats, config)
    plan = generator.plan(_at(generator, tiny, 20), None)
    assert plan.audio_end == 22 * 640 and plan.n_real == 2
    assert plan.chunk_end_frame == 22 + 2  # 80 ms of silence, not the window's 8 unheard frames
    exact = StreamGenerator(TorchBackend(tiny.model), tiny.stats, replace(config, unheard_ms=None))
    assert exact.plan(_at(exact, tiny, 20), None).chunk_end_frame == 20 + tiny.model.config.n_motions


def _stream_frames(loaded: LoadedModel, audio: np.ndarray, config: StreamConfig) -> np.ndarray:
    """(L, 50) expressions a stream emits for a closed clip, ticks back to back."""
    ring = AudioRingBuffer()
    ring.write(audio)
    ring.close()
    generator = StreamGenerator(TorchBackend(loaded.model), loaded.stats, config)
    state, out = generator.start(loaded.shape, loaded.style, SeededNoise(0)), []
    while (plan := generator.plan(state, ring.end)) is not None:
        tick, state = generator.tick(ring, state, plan)
        out.append(tick.exp)
    return np.concatenate(out)


def test_unheard_silence_covering_the_window_computes_exactly(tiny: LoadedModel) -> None:
    """Encoding less of the window's silence is an approximation; given all of it, it is exact."""
    audio = speech_like_audio(1.5, 3)
    config = StreamConfig(frames_per_tick=2, revision_frames=0, lookahead_ms=0, unheard_ms=None)
    exact = _stream_frames(tiny, audio, config)
    covering = _stream_frames(tiny, audio, replace(config, unheard_ms=1000.0 * tiny.model.config.n_motions / tiny.model.config.fps))
    np.testing.assert_array_equal(covering, exact)
    shortest = _stream_frames(tiny, audio, replace(config, unheard_ms=0.0))
    assert shortest.shape == exact.shape and np.isfinite(shortest).all()
    assert not np.allclose(shortest, exact)


@pytest.mark.parametrize("revision", [0, 4, 15])
def test_a_tick_after_a_gap_in_the_history_starts_afresh(tiny: LoadedModel, revision: int) -> None:
    """After frames were skipped, the emitted history no longer ends where the window's prefix
    must: the tick uses the learned start prefix, exactly as a stream started at that frame."""
    audio = speech_like_audio(3.0)
    ring = AudioRingBuffer()
    ring.write(audio)
    config = StreamConfig(frames_per_tick=2, revision_frames=revision, steps=2, normalisation="fixed",
                          audio_std=float(audio.std()))

    def ticks_from(first_frame: int) -> np.ndarray:
        generator = StreamGenerator(TorchBackend(tiny.model), tiny.stats, config)
        state = _at(generator, tiny, first_frame)
        if first_frame == 0:
            _, state = generator.tick(ring, state, generator.plan(state, None))
            state = state.skipped(40 - state.next_frame, 25)  # a skip ahead, as the engine does when it falls behind
        ticks = []
        for _ in range(3):
            out, state = generator.tick(ring, state, generator.plan(state, None))
            ticks.append(out.exp)
        return np.concatenate(ticks)

    skipped = ticks_from(0)
    fresh = ticks_from(40)
    assert skipped.shape == (6, 50)
    np.testing.assert_allclose(skipped, fresh, atol=1e-5, rtol=0)


def test_streams_sharing_a_generator_are_independent(tiny: LoadedModel) -> None:
    """All a stream carries is in its state: two streams interleaved tick by tick on one generator,
    or ticked together in one batch, emit what each emits alone, and a tick leaves the state it
    was given as it was."""
    voices = [speech_like_audio(2.0, seed) for seed in (1, 2)]
    rings = []
    for voice in voices:
        ring = AudioRingBuffer()
        ring.write(voice)
        ring.close()
        rings.append(ring)
    generator = StreamGenerator(TorchBackend(tiny.model), tiny.stats, StreamConfig(frames_per_tick=2, steps=2))
    shapes = [tiny.shape, np.linspace(-1, 1, 100, dtype=np.float32)]

    def alone(i: int) -> np.ndarray:
        state, out = generator.start(shapes[i], tiny.style, SeededNoise(i)), []
        while (plan := generator.plan(state, rings[i].end)) is not None:
            tick, state = generator.tick(rings[i], state, plan)
            out.append(tick.exp)
        return np.concatenate(out)

    states = [generator.start(shapes[i], tiny.style, SeededNoise(i)) for i in range(2)]
    interleaved: list[list[np.ndarray]] = [[], []]
    while any(states):
        for i, state in enumerate(states):
            if state is None or (plan := generator.plan(state, rings[i].end)) is None:
                states[i] = None
                continue
            before = (state.next_frame, state.heard_until, state.normaliser)
            tick, states[i] = generator.tick(rings[i], state, plan)
            assert (state.next_frame, state.heard_until, state.normaliser) == before
            interleaved[i].append(tick.exp)
    for i in range(2):
        np.testing.assert_array_equal(np.concatenate(interleaved[i]), alone(i))
    assert not np.allclose(alone(0), alone(1))

    states, batched = [generator.start(shapes[i], tiny.style, SeededNoise(i)) for i in range(2)], [[], []]
    while (plans := [generator.plan(state, ring.end) for state, ring in zip(states, rings)]) and all(plans):
        results = generator.tick_many([TickRequest(rings[i], states[i], plans[i]) for i in range(2)])
        for i, (tick, states[i]) in enumerate(results):
            batched[i].append(tick.exp)
    for i in range(2):  # one encoder and one denoiser call per step for both: equal up to float rounding
        np.testing.assert_allclose(np.concatenate(batched[i]), alone(i), rtol=0, atol=1e-5)


def test_engines_sharing_a_batcher_emit_what_each_emits_alone(tiny: LoadedModel) -> None:
    """Three streams' ticks run in shared batches on one worker; every stream gets every frame,
    in order, equal (up to float rounding) to what it gets ticking on its own thread."""
    backend, config = TorchBackend(tiny.model), StreamConfig(frames_per_tick=2, steps=2, silence_gate=False)
    voices = [speech_like_audio(1.5, seed) for seed in range(3)]

    def run(batcher: TickBatcher | None) -> list[np.ndarray]:
        engines = []
        for i, voice in enumerate(voices):
            ring = AudioRingBuffer()
            ring.write(voice)
            ring.close()
            engines.append(StreamingEngine(backend, tiny.stats, tiny.shape, tiny.style, config, ring,
                                           noise=SeededNoise(i), batcher=batcher))
        subscriptions = [engine.bus.subscribe(maxsize=1000) for engine in engines]
        for engine in engines:
            engine.start()
        for engine in engines:
            assert engine.wait(timeout=120), "a stream did not finish"
            engine.stop()
            assert engine.stats.failed_ticks == 0, engine.stats.last_error
        streams = [list(subscription) for subscription in subscriptions]
        for stream in streams:
            assert [f.seq for f in stream] == list(range(int(1.5 * 25)))
        return [np.stack([f.exp for f in stream]) for stream in streams]

    alone = run(None)
    batcher = TickBatcher(StreamGenerator(backend, tiny.stats, config))
    batcher.start()
    try:
        batched = run(batcher)
    finally:
        batcher.stop()
    assert max(batcher.stats.batch_sizes) > 1 and batcher.stats.ticks == 3 * 19
    for got, expected in zip(batched, alone):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="batcher's backend"):
        StreamingEngine(TorchBackend(tiny.model), tiny.stats, tiny.shape, tiny.style, config, AudioRingBuffer(),
                        batcher=batcher)


def test_stream_emits_every_frame_in_order(tiny: LoadedModel, tmp_path: Path) -> None:
    audio = speech_like_audio(2.0)
    engine, frames = _run_stream(tiny, audio, StreamConfig(frames_per_tick=3, steps=2), tmp_path=tmp_path)
    assert [f.seq for f in frames] == list(range(50))
    assert all(f.audio_time == pytest.approx((f.seq + 0.5) / 25) for f in frames)
    assert all(np.all(np.isfinite(f.exp)) and f.exp.shape == (50,) and f.pose.shape == (6,) for f in frames)
    assert engine.stats.failed_ticks == 0 and engine.stats.ticks == 17
    assert len(engine.stats.latency_ms) == 50


def test_real_time_stream_keeps_pace(tiny: LoadedModel, tmp_path: Path) -> None:
    audio = speech_like_audio(2.0)
    config = StreamConfig(frames_per_tick=2, steps=2)
    started = time.monotonic()
    engine, frames = _run_stream(tiny, audio, config, realtime=True, tmp_path=tmp_path)
    elapsed = time.monotonic() - started
    assert len(frames) == 50
    # Paced by the audio, which plays in real time: the stream cannot end before the audio has.
    assert elapsed >= 0.95 * 2.0
    # The jitter buffer: no frame leaves before its tick's last frame and the lookahead were heard,
    # at least that long after its own audio arrived (load can only add to it, never take from it).
    least_ms = ((config.frames_per_tick - 0.5) / 25 + config.lookahead_ms / 1000) * 1000
    assert len(engine.stats.latency_ms) == 50 and min(engine.stats.latency_ms) >= least_ms - 1.0
    walls = np.array([f.wall_time for f in frames])
    assert np.all(np.diff(walls) >= 0)


def test_failed_ticks_hold_the_last_good_frame(tiny: LoadedModel, tmp_path: Path) -> None:
    weight = tiny.model.denoising_net.motion_dec[2].bias
    original = weight.detach().clone()

    def corrupt_then_heal(engine: StreamingEngine) -> None:
        while engine.stats.frames_published < 10:
            time.sleep(0.005)
        with torch.no_grad():
            weight.fill_(float("nan"))
        while engine.stats.failed_ticks < 2:
            time.sleep(0.005)
        with torch.no_grad():
            weight.copy_(original)

    audio = speech_like_audio(3.0)
    try:
        engine, frames = _run_stream(tiny, audio, StreamConfig(frames_per_tick=2, steps=2), realtime=True,
                                     tmp_path=tmp_path, during=corrupt_then_heal)
    finally:
        with torch.no_grad():
            weight.copy_(original)
    assert engine.stats.failed_ticks >= 2 and "non-finite" in engine.stats.last_error
    assert [f.seq for f in frames] == list(range(75))
    assert all(np.all(np.isfinite(f.exp)) and np.all(np.isfinite(f.pose)) for f in frames)
    held = [i for i in range(1, 75) if np.array_equal(frames[i].exp, frames[i - 1].exp)]
    assert len(held) >= 4  # the failed ticks' slots repeat the last good frame
    assert not np.array_equal(frames[-1].exp, frames[held[0]].exp)  # and the stream recovered


def test_pause_skips_audio_and_resume_continues(tiny: LoadedModel, tmp_path: Path) -> None:
    def pause_for_a_while(engine: StreamingEngine) -> None:
        while engine.stats.frames_published < 10:
            time.sleep(0.005)
        engine.pause()
        time.sleep(0.5)
        engine.resume()

    engine, frames = _run_stream(tiny, speech_like_audio(3.0), StreamConfig(frames_per_tick=2, steps=1), realtime=True,
                                 tmp_path=tmp_path, during=pause_for_a_while)
    seqs = [f.seq for f in frames]
    gaps = [b - a for a, b in zip(seqs, seqs[1:]) if b - a != 1]
    assert seqs == sorted(seqs) and len(gaps) == 1 and gaps[0] >= 8  # about 0.5 s of frames skipped


def test_a_pause_longer_than_the_audio_ring_resumes_following_the_audio(tiny: LoadedModel) -> None:
    """While paused the ring is overwritten several times over; on resume the stream reads the
    audio the ring still holds and animates it, as a stream started there would."""
    ring = AudioRingBuffer(capacity_seconds=2.0)  # a tick reads ~1.2 s: context, revision, window
    engine = StreamingEngine(TorchBackend(tiny.model), tiny.stats, tiny.shape, tiny.style,
                             StreamConfig(frames_per_tick=2, steps=1, silence_gate=False), ring, noise=SeededNoise(0))
    subscription = engine.bus.subscribe(maxsize=1000)
    engine.pause()
    engine.start()
    speech = speech_like_audio(7.0)
    paused_part, resumed_part = speech[: 5 * 16000], speech[5 * 16000 :]
    for block in np.array_split(paused_part, 50):  # 5 s while paused: the 2 s ring wraps over twice
        ring.write(block)
        time.sleep(0.005)
    deadline = time.monotonic() + 30
    while engine.audio_time < 4.5 and time.monotonic() < deadline:
        time.sleep(0.01)
    engine.resume()
    for block in np.array_split(resumed_part, 20):
        ring.write(block)
        time.sleep(0.02)
    ring.close()
    assert engine.wait(timeout=60), "the stream did not finish after the pause"
    engine.stop()
    frames = list(subscription)
    assert engine.stats.failed_ticks == 0, engine.stats.last_error
    seqs = [f.seq for f in frames]
    assert seqs and seqs[0] >= 4.5 * 25 and seqs[-1] == 7 * 25 - 1 and seqs == sorted(seqs)
    assert len(frames) >= 1.5 * 25  # the resumed audio is animated, not held
    exp = np.stack([f.exp for f in frames])
    assert np.all(np.isfinite(exp)) and exp.std(axis=0).max() > 0  # moving with the audio, not frozen


def test_bus_sheds_the_oldest_frames_of_a_slow_consumer(tiny: LoadedModel) -> None:
    bus = FrameBus()
    fast, slow = bus.subscribe(maxsize=100), bus.subscribe(maxsize=5)
    from posetalk.stream.frame import Frame

    for seq in range(40):
        bus.publish(Frame(seq, seq / 25, 0.0, np.zeros(50, np.float32), np.zeros(6, np.float32), np.zeros(100, np.float32)))
    bus.end()
    assert [f.seq for f in fast] == list(range(40))
    assert slow.dropped == 36  # 40 frames and the end marker into 5 slots
    assert [f.seq for f in slow] == [36, 37, 38, 39]


def test_running_normaliser_matches_whole_signal_statistics() -> None:
    rng = np.random.default_rng(0)
    signal = (0.2 * rng.standard_normal(50_000) + 0.05).astype(np.float32)
    normaliser = RunningNormaliser()
    for block in np.array_split(signal, 37):
        normaliser = normaliser.updated(block)
    assert normaliser.mean == pytest.approx(float(signal.mean()), abs=1e-7)
    assert normaliser.std == pytest.approx(float(signal.std(ddof=1)), rel=1e-6)
    quiet = RunningNormaliser().updated(np.zeros(1000, np.float32))
    assert quiet.std == pytest.approx(0.01)  # silence is not amplified


def test_style_mixer_blends_linearly_and_switches_to_none_at_once() -> None:
    a, b = np.zeros(4, np.float32), np.ones(4, np.float32)
    mixer = StyleMixer(a)
    mixer.set(b, at_time=10.0, transition=0.5)
    np.testing.assert_allclose(mixer.style_at(10.0), a)
    np.testing.assert_allclose(mixer.style_at(10.25), 0.5 * b)
    np.testing.assert_allclose(mixer.style_at(11.0), b)
    mixer.blend([a, b], [1.0, 3.0], at_time=12.0, transition=0.0)
    np.testing.assert_allclose(mixer.style_at(12.0), 0.75 * b)
    mixer.set(None, at_time=13.0)
    assert mixer.style_at(13.0) is None
    with pytest.raises(ValueError):
        mixer.blend([a], [0.0], at_time=14.0)


def test_style_presets_by_name(tmp_path: Path) -> None:
    from posetalk.errors import PosetalkError

    np.save(tmp_path / "calm.npy", np.full(8, 0.5, np.float32))
    np.save(tmp_path / "wide.npy", np.zeros(5, np.float32))
    presets = StylePresets(tmp_path, d_style=8)
    assert presets.names() == ["calm", "wide"]
    np.testing.assert_allclose(presets.load("calm"), 0.5)
    with pytest.raises(PosetalkError, match="expects"):
        presets.load("wide")
    with pytest.raises(PosetalkError, match="known: calm, wide"):
        presets.load("loud")


def test_live_style_switch_is_applied_from_presets(tiny: LoadedModel, tmp_path: Path) -> None:
    styles = tmp_path / "styles"
    styles.mkdir()
    np.save(styles / "other.npy", np.full(tiny.model.config.d_style, 2.0, np.float32))
    ring = AudioRingBuffer()
    engine = StreamingEngine(TorchBackend(tiny.model), tiny.stats, tiny.shape, tiny.style, StreamConfig(), ring,
                             presets=StylePresets(styles, tiny.model.config.d_style))
    engine.select_style("other", transition=0.2)
    target_time = engine.audio_time + 0.2
    np.testing.assert_allclose(engine.styles.style_at(target_time), 2.0)
    with pytest.raises(ValueError):
        engine.set_shape(np.full(100, np.nan))
    with pytest.raises(ValueError):
        engine.set_style(np.zeros(3))


def test_silence_gate_closes_the_mouth_only_in_silence() -> None:
    gate = SilenceGate(fps=25)
    exp, pose = np.full((25, 50), 2.0, np.float32), np.full((25, 6), 0.5, np.float32)
    speech = 0.3 * np.sin(np.linspace(0, 400, 640 * 25)).reshape(25, 640)
    loud_exp, loud_pose = gate.apply(exp, pose, speech)
    np.testing.assert_array_equal(loud_exp, exp)
    quiet_exp, quiet_pose = gate.apply(exp, pose, np.zeros((25, 640)))
    assert quiet_exp[0, 0] == 2.0  # holds a moment before closing
    np.testing.assert_allclose(quiet_exp[-1], 0.0, atol=0.02)  # the rest face: closed mouth
    np.testing.assert_allclose(quiet_pose[-1, 3:], 0.0, atol=0.01)
    np.testing.assert_array_equal(quiet_pose[:, :3], pose[:, :3])  # the head is left alone


def _bench(*options: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "posetalk", "bench", "--duration", "2", "--json", *options],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_bench_smoke_small_architecture() -> None:
    report = _bench("--model-size", "small", "--no-reference")
    for key in ("p50", "p95", "p99", "max"):
        assert report["latency_ms"][key] > 0
    assert set(report["tick_ms"]) == {"p50", "p95"} and report["rtf"] > 0
    # every frame is published or reported skipped (a loaded machine skips some; that is no failure)
    assert report["frames"] + report["skipped_frames"] == report["expected_frames"] and report["in_order"]
    assert "deadline_misses" in report and report["deviation"] is None


def test_bench_streams_compares_batched_with_unbatched() -> None:
    report = _bench("--model-size", "small", "--no-reference", "--streams", "2")
    unbatched = report.pop("unbatched")
    assert report["streams"] == unbatched["streams"] == 2
    assert report["batched"] and not unbatched["batched"] and report["batch_size_mean"] >= 1
    for run in (report, unbatched):
        assert run["expected_frames"] >= 2 * 2 * 25  # both streams' frames are counted
        assert run["frames"] + run["skipped_frames"] == run["expected_frames"] and run["in_order"]
        assert run["latency_ms"]["p50"] > 0 and run["rtf"] > 0


def test_bench_smoke_checkpoint_with_deviation() -> None:
    report = _bench("--model-dir", str(FOLDERS[0]))
    # every frame is published or reported skipped (a loaded machine skips some; that is no failure)
    assert report["frames"] + report["skipped_frames"] == report["expected_frames"] and report["in_order"]
    deviation = report["deviation"]
    assert {"mean_abs", "max_abs", "seam", "noise_floor_mean_abs"} <= set(deviation)
    assert 0 < deviation["mean_abs"] <= deviation["max_abs"]


def test_seam_ratio_by_hand() -> None:
    from posetalk.stream.bench import seam_ratio

    smooth = np.arange(10, dtype=np.float64)[:, None]  # steps of 1 everywhere
    assert seam_ratio(smooth, [5]) == pytest.approx(1.0)
    jump = smooth.copy()
    jump[5:] += 3  # the step into frame 5 is 4 instead of 1
    assert seam_ratio(jump, [5]) == pytest.approx(4.0)


def test_a_stream_far_behind_skips_to_the_newest_audio(tiny: LoadedModel, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="posetalk.stream")
    ring = AudioRingBuffer()
    ring.write(speech_like_audio(3.0))  # three seconds arrive before the engine has run a tick
    config = StreamConfig(frames_per_tick=2, steps=1, max_backlog_ms=200)
    engine = StreamingEngine(TorchBackend(tiny.model), tiny.stats, tiny.shape, tiny.style, config, ring, noise=SeededNoise(0))
    subscription = engine.bus.subscribe(maxsize=1000)
    engine.start()
    deadline = time.monotonic() + 60
    while engine.stats.frames_published == 0 and time.monotonic() < deadline and not engine.wait(0.01):
        pass
    ring.close()
    assert engine.wait(timeout=60)
    engine.stop()
    seqs = [f.seq for f in subscription]
    assert engine.stats.skipped_frames >= 60 and seqs[0] >= 60  # jumped close to the end at once
    assert seqs == list(range(seqs[0], 75))
    assert engine.stats.skipped_frames + len(seqs) == 75
    reports = [r.getMessage() for r in caplog.records if "cannot keep up" in r.getMessage()]
    assert len(reports) == 1 and f"skipped {engine.stats.skipped_frames} frames" in reports[0]
