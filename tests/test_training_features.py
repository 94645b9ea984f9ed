"""Training windows get exactly the audio features the stream computes live."""

from __future__ import annotations

import numpy as np
import torch
from transformers import WhisperConfig
from transformers.models.whisper.modeling_whisper import WhisperEncoder

from posetalk.audio.ring import AudioRingBuffer
from posetalk.backends.torch_backend import TorchBackend
from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.diffusion.noise import SeededNoise
from posetalk.diffusion.schedules import make_schedule
from posetalk.model.config import denoiser_config_from_args
from posetalk.model.talking_head import DiffPoseTalk
from posetalk.stream.config import StreamConfig
from posetalk.stream.generator import StreamGenerator
from posetalk.training.features import WindowSample, encode_windows
from posetalk.training.architecture import DENOISER_ARGS


def _tiny_whisper_model() -> DiffPoseTalk:
    torch.manual_seed(0)
    encoder = WhisperEncoder(WhisperConfig(d_model=64, encoder_layers=1, encoder_attention_heads=1, encoder_ffn_dim=128,
                                           num_mel_bins=80, max_source_positions=1500))
    config = denoiser_config_from_args({**DENOISER_ARGS, "feature_dim": 32, "n_heads": 2, "n_layers": 1, "n_diff_steps": 20})
    return DiffPoseTalk(config, encoder, make_schedule(config.diff_schedule, config.n_diff_steps)).eval()


def _stats() -> CoefficientStats:
    ones = {n: np.ones(k, np.float32) for n, k in (("exp", 50), ("pose", 6), ("shape", 100))}
    return CoefficientStats(np.zeros(50, np.float32), ones["exp"], np.zeros(6, np.float32), ones["pose"],
                            np.zeros(100, np.float32), ones["shape"])


def test_window_features_equal_the_streams() -> None:
    model = _tiny_whisper_model()
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.normal(size=16000 * 3) * np.sin(np.linspace(0, 40, 16000 * 3)) ** 2).astype(np.float32)
    config = StreamConfig(frames_per_tick=2, lookahead_ms=80, left_context_ms=500, normalisation="fixed",
                          audio_mean=0.0, audio_std=1.0, steps=1, unheard_ms=None)  # training encodes all the silence
    generator = StreamGenerator(TorchBackend(model), _stats(), config)
    ring = AudioRingBuffer()
    ring.write(audio)
    normalised = (audio / (1.0 + 1e-5)).astype(np.float32)
    n_prev, n_motions = model.config.n_prev_motions, model.config.n_motions
    for first in (0, 4, 14, 30, 47):
        state = generator.start(np.zeros(100, np.float32), None, SeededNoise(0), next_frame=first)
        plan = generator.plan(state, None)
        chunk, _ = generator.audio_chunk(ring, plan, state)
        with torch.no_grad():
            live = model.audio_features(chunk[None], plan.chunk_end_frame - plan.chunk_first_frame)
        # the window the stream samples (starting revision_frames before the new frames)
        offset = plan.window_first_frame - plan.chunk_first_frame
        have = min(n_prev, offset)
        window = WindowSample(0, plan.window_first_frame, plan.audio_end, plan.n_real)
        cached = encode_windows(model.audio_encoder, [normalised], [window], n_prev, n_motions,
                                generator.context_frames, model.config.fps)
        with torch.no_grad():
            trained = model.audio_feature_map(torch.from_numpy(cached.astype(np.float32)))
        expected = live[:, offset - have : offset + n_motions]
        # float16 cache: about 1e-3 relative
        assert torch.allclose(trained[:, n_prev - have :], expected, atol=2e-2 * float(expected.abs().max())), first
        assert not cached[:, : n_prev - have].any()  # no prefix audio before the start: zeros
