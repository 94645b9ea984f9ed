"""Bad model files give one clear line naming the file and the problem, never a deep traceback."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from posetalk.checkpoint.arrays import load_shape, load_stats, load_style
from posetalk.checkpoint.models import load_denoiser, load_style_encoder
from posetalk.errors import PosetalkError
from tests.published_files import write_model_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model_folder(tmp_path_factory.mktemp("model"))


def _expect(call, path: Path, phrase: str) -> None:
    with pytest.raises(PosetalkError) as caught:
        call(path)
    message = str(caught.value)
    assert str(path) in message and phrase in message and "\n" not in message, message


def test_missing_file(tmp_path: Path) -> None:
    _expect(load_denoiser, tmp_path / "absent.pt", "no such denoiser checkpoint")


def test_truncated_checkpoint(folder: Path, tmp_path: Path) -> None:
    data = (folder / "denoiser.pt").read_bytes()
    path = tmp_path / "truncated.pt"
    path.write_bytes(data[: len(data) // 3])
    _expect(load_denoiser, path, "truncated or corrupt")


def test_garbage_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"not a checkpoint at all" * 50)
    _expect(load_denoiser, path, "truncated or corrupt")


class Payload:
    def __reduce__(self):
        return (shutil.rmtree, ("/nonexistent-posetalk-target",))


def test_pickle_outside_the_allow_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hostile.pt"
    torch.save({"args": Payload(), "model": {}}, path)
    _expect(load_denoiser, path, "refusing to unpickle shutil.rmtree")


def test_wrong_kind_each_way(folder: Path) -> None:
    _expect(load_denoiser, folder / "style_encoder.pt", "style-encoder checkpoint, not a denoiser")
    _expect(load_style_encoder, folder / "denoiser.pt", "denoiser checkpoint, not a style-encoder")


def test_not_a_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path)
    _expect(load_denoiser, path, "expected a dict")


def test_shape_mismatch_names_the_tensor(folder: Path, tmp_path: Path) -> None:
    data = torch.load(folder / "denoiser.pt", weights_only=False)
    data["args"] = argparse.Namespace(**{**vars(data["args"]), "n_motions": 12})
    path = tmp_path / "mismatch.pt"
    torch.save(data, path)
    _expect(load_denoiser, path, "'denoising_net.PE' has shape (1, 14, 32)")


def test_missing_tensor_is_named(folder: Path, tmp_path: Path) -> None:
    data = torch.load(folder / "denoiser.pt", weights_only=False)
    del data["model"]["denoising_net.motion_dec.2.bias"]
    path = tmp_path / "missing.pt"
    torch.save(data, path)
    _expect(load_denoiser, path, "'denoising_net.motion_dec.2.bias' is missing")


def test_nan_weights_are_refused(folder: Path, tmp_path: Path) -> None:
    data = torch.load(folder / "denoiser.pt", weights_only=False)
    data["model"]["denoising_net.person_proj.weight"][0, 0] = float("nan")
    path = tmp_path / "nan.pt"
    torch.save(data, path)
    _expect(load_denoiser, path, "NaN")


def test_unsupported_option(folder: Path, tmp_path: Path) -> None:
    data = torch.load(folder / "denoiser.pt", weights_only=False)
    data["args"] = argparse.Namespace(**{**vars(data["args"]), "diff_schedule": "exponential"})
    path = tmp_path / "option.pt"
    torch.save(data, path)
    _expect(load_denoiser, path, "diff_schedule='exponential'")


def test_stats_errors(tmp_path: Path) -> None:
    path = tmp_path / "stats.npz"
    np.savez(path, exp_mean=np.zeros(50), exp_std=np.ones(50))
    _expect(load_stats, path, "lack 'pose_mean'")
    np.savez(path, **{f"{k}_{s}": np.ones(n) for k, n in (("exp", 50), ("pose", 5), ("shape", 100)) for s in ("mean", "std")})
    _expect(load_stats, path, "pose_mean has 5 values, expected 6")


def test_shape_and_style_errors(tmp_path: Path) -> None:
    path = tmp_path / "shape.npy"
    np.save(path, np.zeros(99))
    _expect(load_shape, path, "100 coefficients")
    np.save(path, np.full(100, np.nan))
    _expect(load_shape, path, "NaN")
    style = tmp_path / "style.npy"
    np.save(style, np.zeros(16))
    _expect(lambda p: load_style(p, 8), style, "expects (8,)")
    corrupt = tmp_path / "corrupt.npy"
    corrupt.write_bytes(b"\x93NUMPY garbage")
    _expect(load_shape, corrupt, "not a readable identity shape")


def test_shape_from_sequence_takes_the_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "shape_seq.npy"
    frames = np.arange(300, dtype=np.float32).reshape(3, 100)
    np.save(path, frames)
    np.testing.assert_array_equal(load_shape(path), frames[0])
