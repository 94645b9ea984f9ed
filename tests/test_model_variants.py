"""Every option of the published architecture loads and samples: head pose or not, style or not,
x0 or noise target, learnable or fixed positions, both guidance modes, all schedules, other
window sizes and frame rates, both weight-norm namings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from posetalk.backends.torch_backend import TorchBackend
from posetalk.diffusion.guidance import Guidance
from posetalk.diffusion.noise import SeededNoise
from posetalk.pipeline.model_files import load_model_files, resolve_model_files
from posetalk.pipeline.offline import SamplingOptions, generate
from tests.published_files import speech_like_audio, write_model_folder

VARIANTS = {
    "base": {},
    "no_head_pose": {"no_head_pose": True},
    "no_style": {"style_enc_ckpt": None, "guiding_conditions": "audio"},
    "noise_target": {"target": "noise"},
    "fixed_positions": {"no_use_learnable_pe": True},
    "independent": {"cfg_mode": "independent"},
    "linear_schedule": {"diff_schedule": "linear"},
    "quadratic_schedule": {"diff_schedule": "quadratic"},
    "sigmoid_schedule": {"diff_schedule": "sigmoid"},
    "wide_alignment": {"align_mask_width": 3},
    "no_alignment_mask": {"align_mask_width": 0},
    "no_indicator": {"use_indicator": False},
    "replicate_padding": {"pad_mode": "replicate"},
    "long_window": {"n_motions": 24, "n_prev_motions": 6},
    "30fps": {"fps": 30},
    "old_option_names": {"drop": ("align_mask_width", "no_head_pose", "no_use_learnable_pe"),
                         "use_alignment_mask": True, "predict_head_pose": True, "use_learnable_pe": False},
}


def _run(folder: Path, seed: int, seconds: float = 1.3):
    loaded = load_model_files(resolve_model_files(folder))
    config = loaded.model.config
    conditions = tuple(c for c in config.guiding_conditions)
    options = SamplingOptions(Guidance(conditions, tuple(1.5 for _ in conditions), config.cfg_mode))
    audio = speech_like_audio(seconds)
    return loaded, generate(TorchBackend(loaded.model), loaded.stats, audio, loaded.shape, loaded.style, options, SeededNoise(seed))


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_samples_whole_clip(tmp_path: Path, variant: str) -> None:
    folder = write_model_folder(tmp_path / variant, **VARIANTS[variant])
    loaded, result = _run(folder, seed=1)
    config = loaded.model.config
    n_frames = int(1.3 * config.fps)
    assert result.exp.shape == (1, n_frames, 50) and result.pose.shape == (1, n_frames, 6)
    assert np.all(np.isfinite(result.exp)) and np.all(np.isfinite(result.pose))
    np.testing.assert_array_equal(result.shape[0], np.broadcast_to(loaded.shape, (n_frames, 100)))
    # The jaw's y/z rotations are not modelled: zero before de-normalisation, i.e. the mean after.
    np.testing.assert_allclose(result.pose[0, :, 4:], np.broadcast_to(loaded.stats.pose_mean[4:], (n_frames, 2)), atol=1e-6)
    if not config.predict_head_pose:
        assert np.all(result.pose[0, :, :3] == 0)
    else:
        assert np.any(result.pose[0, :, :3] != 0)
    _, again = _run(folder, seed=1)
    np.testing.assert_array_equal(result.exp, again.exp)
    _, other = _run(folder, seed=2)
    assert not np.allclose(result.exp, other.exp)


def test_old_and_new_weight_norm_names_load_the_same_weights(tmp_path: Path) -> None:
    new = load_model_files(resolve_model_files(write_model_folder(tmp_path / "new", seed=4))).model
    old = load_model_files(resolve_model_files(write_model_folder(tmp_path / "old", seed=4, old_weight_norm_names=True))).model
    audio = torch.from_numpy(speech_like_audio(0.4))[None]
    with torch.no_grad():
        torch.testing.assert_close(new.audio_features(audio, 10), old.audio_features(audio, 10), rtol=0, atol=0)


def test_model_without_style_refuses_a_style_file(tmp_path: Path) -> None:
    from posetalk.errors import PosetalkError

    folder = write_model_folder(tmp_path / "plain", style_enc_ckpt=None, guiding_conditions="audio")
    np.save(folder / "style.npy", np.zeros(8, np.float32))
    with pytest.raises(PosetalkError, match="trained without style"):
        load_model_files(resolve_model_files(folder))
