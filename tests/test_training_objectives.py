"""The training objectives, the prefix as the stream builds it, and checkpoints the loader reads."""

from __future__ import annotations

import numpy as np
import torch
from transformers import WhisperConfig
from transformers.models.whisper.modeling_whisper import WhisperEncoder

from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.checkpoint.models import load_denoiser
from posetalk.diffusion.schedules import make_schedule
from posetalk.model.config import denoiser_config_from_args
from posetalk.model.talking_head import DiffPoseTalk
from posetalk.training.architecture import DENOISER_ARGS
from posetalk.training.checkpoints import save_published
from posetalk.training.loops import _prefix
from posetalk.training.objectives import (
    LossWeights,
    denoiser_losses,
    frame_weights,
    persona_head_statistics,
    supervised_contrastive,
)
from posetalk.training.rig_loss import built_in_mouth_vertices


def _model() -> DiffPoseTalk:
    torch.manual_seed(0)
    encoder = WhisperEncoder(WhisperConfig(d_model=64, encoder_layers=1, encoder_attention_heads=1, encoder_ffn_dim=128,
                                           num_mel_bins=80, max_source_positions=1500))
    config = denoiser_config_from_args({**DENOISER_ARGS, "feature_dim": 32, "n_heads": 2, "n_layers": 1, "n_diff_steps": 20})
    model = DiffPoseTalk(config, encoder, make_schedule(config.diff_schedule, config.n_diff_steps))
    with torch.no_grad():
        for name in ("start_motion_feat", "start_audio_feat", "null_style_feat", "null_audio_feat"):
            getattr(model, name).normal_()
    return model.eval()


def test_contrastive_loss_prefers_clustered_features() -> None:
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    clustered = torch.eye(3)[labels] + 0.01 * torch.randn(6, 3)
    mixed = torch.eye(3)[torch.tensor([0, 1, 2, 0, 1, 2])]
    assert supervised_contrastive(clustered, labels) < supervised_contrastive(mixed, labels) - 1.0


def test_losses_vanish_for_a_perfect_prediction_and_weigh_frames() -> None:
    stats = CoefficientStats(*(np.zeros(n, np.float32) if i % 2 == 0 else np.ones(n, np.float32)
                               for i, n in enumerate((50, 50, 6, 6, 100, 100))))
    mouth = built_in_mouth_vertices(n_vertices=50)
    target = torch.randn(2, 5, 54) * 0.1
    prev = target[:, :1]
    valid = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1.0]])
    indicator = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1.0]])
    weights = frame_weights(valid, indicator, 0.3)
    assert np.allclose(weights[0].numpy(), [1.0, 1.0, 0.3, 0.0, 0.0])
    perfect = denoiser_losses(target, target, prev, weights, stats, mouth, LossWeights())
    assert all(float(perfect[k]) < 1e-6 for k in ("simple", "vertex", "lip_gap", "velocity"))
    wrong = target.clone()
    wrong[0, 3:] += 5.0  # frames past the end of the first sequence do not count
    assert float(denoiser_losses(wrong, target, prev, weights, stats, mouth, LossWeights())["simple"]) < 1e-6
    wrong[1, 0, 53] += 1.0  # the jaw: motion, vertex and velocity terms all see it
    losses = denoiser_losses(wrong, target, prev, weights, stats, mouth, LossWeights())
    assert float(losses["simple"]) > 0 and float(losses["vertex"]) > 0 and float(losses["velocity"]) > 0
    assert float(losses["head"]) < 1e-12  # the jaw is not the head


def test_head_loss_is_the_rotation_error_in_square_degrees_and_the_mouth_terms_ignore_it() -> None:
    stats = CoefficientStats(*(np.zeros(n, np.float32) if i % 2 == 0 else np.full(n, 0.1, np.float32)
                               for i, n in enumerate((50, 50, 6, 6, 100, 100))))
    mouth = built_in_mouth_vertices(n_vertices=50)
    target = torch.zeros(1, 4, 54)
    weights = torch.ones(1, 4)
    turned = target.clone()
    turned[0, :, 51] = 0.5  # yaw 0.05 rad off in every frame (pose std 0.1 rad)
    losses = denoiser_losses(turned, target, target[:, :1], weights, stats, mouth, LossWeights())
    assert np.isclose(float(losses["head"]), np.degrees(0.05) ** 2, rtol=1e-5)
    assert float(losses["vertex"]) < 1e-9 and float(losses["lip_gap"]) < 1e-9
    assert np.isclose(float(losses["total"]) - float(losses["head"]),
                      LossWeights().simple * 0.25 + LossWeights().velocity * 0.25 / 4
                      + LossWeights().smooth * 0.25 / 4, rtol=1e-5)


def test_persona_head_statistics_grow_with_how_far_and_how_fast_the_head_moves() -> None:
    t = np.arange(200) / 25.0

    def track(amplitude: float, hz: float) -> np.ndarray:
        motion = np.zeros((200, 54), np.float32)
        motion[:, 51] = amplitude * np.sin(2 * np.pi * hz * t)
        return motion

    # personas 0-2: amplitude 1, 2, 4 at 0.5 Hz; persona 3: amplitude 2 at 1 Hz; persona 4: never animated
    motions = [[track(1, 0.5), track(2, 0.5)], [track(4, 0.5), track(2, 1.0)]]
    stats = persona_head_statistics(motions, [(0, 1), (2, 3)], 5)
    deviation, speed = stats[:, 0], stats[:, 1]
    assert np.allclose(stats[4], 0.0)
    # log RMS deviation: equal steps of log 2 for 0, 1, 2, and 3 sways as far as 1
    assert np.allclose(np.diff(deviation[:3]), deviation[1] - deviation[0], atol=1e-3)
    assert np.isclose(deviation[3], deviation[1], atol=1e-2)
    # speed: doubling the frequency at amplitude 2 is as fast as doubling the amplitude at 0.5 Hz
    assert np.isclose(speed[3], speed[2], atol=2e-2) and speed[0] < speed[1] < speed[2]
    assert np.isclose(deviation[:4].mean(), 0.0, atol=1e-5) and np.isclose(deviation[:4].std(), 1.0, atol=1e-3)


def test_prefix_uses_the_learned_start_rows_like_the_stream() -> None:
    model = _model()
    n_prev = model.config.n_prev_motions
    known = torch.randn(3, n_prev, 54)
    have = torch.tensor([0, 3, n_prev])
    prefix = _prefix(model.start_motion_feat, known, have)
    start = model.start_motion_feat[0]
    assert torch.equal(prefix[0], start)
    # the stream: start rows have.. in front, then the last `have` frames
    assert torch.equal(prefix[1], torch.cat([start[3:], known[1, -3:]]))
    assert torch.equal(prefix[2], known[2])


def test_saved_checkpoint_loads_with_the_published_loader(tmp_path) -> None:
    model = _model()
    path = tmp_path / "denoiser.pt"
    save_published(path, DENOISER_ARGS | {"feature_dim": 32, "n_heads": 2, "n_layers": 1, "n_diff_steps": 20},
                   "model", model.state_dict(), 7, half_prefixes=("audio_encoder.",))
    loaded = load_denoiser(path)
    assert loaded.config.audio_model == "whisper"
    audio = torch.randn(1, 16000)
    with torch.no_grad():
        expected, got = model.audio_features(audio, 25), loaded.audio_features(audio, 25)
    assert torch.allclose(expected, got, atol=2e-2 * float(expected.abs().max()))  # float16 encoder weights
    assert torch.equal(loaded.start_motion_feat, model.start_motion_feat)


def test_lip_gap_loss_weighs_an_open_mouth_in_a_closure_more() -> None:
    stats = CoefficientStats(*(np.zeros(n, np.float32) if i % 2 == 0 else np.ones(n, np.float32)
                               for i, n in enumerate((50, 50, 6, 6, 100, 100))))
    mouth = built_in_mouth_vertices(n_vertices=50)
    weights = torch.ones(1, 4)
    closed = torch.zeros(1, 4, 54)  # rest face: lips together
    ajar = closed.clone()
    ajar[..., 53] = 0.05  # the jaw opened a little: a few mm between the lips
    opened = closed.clone()
    opened[..., 53] = 0.25
    lw = LossWeights(closed_boost=4.0)
    missed_closure = denoiser_losses(ajar, closed, closed[:, :1], weights, stats, mouth, lw)["lip_gap"]
    # the same jaw error against an open target (no closure to miss) costs a fifth
    missed_open = denoiser_losses(opened + (ajar - closed), opened, opened[:, :1], weights, stats, mouth, lw)["lip_gap"]
    assert float(missed_closure) > 0
    assert float(missed_closure) / float(missed_open) > 3.0
