"""FLAME loading and skinning against the parity fixtures (select with ``-k flame``)."""

from __future__ import annotations

import io
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from scipy.spatial.transform import Rotation

from posetalk.cli import main as posetalk
from posetalk.errors import PosetalkError
from posetalk.rig.flame import flame_vertices, load_flame
from posetalk.rig.lbs import batch_rigid_transform, batch_rodrigues
from tests.conftest import require_fixture
from tests.flame_fixtures import FIXTURES, TOLERANCE, expected_arrays

PICKLES = ["flame_synthetic.pkl", "flame_synthetic_plain.pkl"]


def _cases() -> list:
    return [pytest.param(d, p, id=f"{d.name}-{p}") for d in FIXTURES for p in PICKLES]


def _check_parity(model_path: Path, expected: dict[str, np.ndarray]) -> None:
    model = load_flame(model_path)
    np.testing.assert_array_equal(model.faces, expected["faces"])
    vertices = flame_vertices(model, expected["shape"], expected["exp"], expected["pose"])
    np.testing.assert_allclose(vertices, expected["vertices"], rtol=0, atol=TOLERANCE)
    no_global = expected["pose"].copy()
    no_global[:, :3] = 0.0
    vertices = flame_vertices(model, expected["shape"], expected["exp"], no_global)
    np.testing.assert_allclose(
        vertices, expected["vertices_ignore_global_rot"], rtol=0, atol=TOLERANCE
    )


@pytest.mark.parametrize(("folder", "pickle_name"), _cases())
def test_flame_pickle_vertices_and_vertices_ignore_global_rot(folder: Path, pickle_name: str):
    _check_parity(require_fixture(folder / pickle_name), expected_arrays(folder))


@pytest.mark.parametrize(("folder", "pickle_name"), _cases())
def test_flame_convert_npz_parity(folder: Path, pickle_name: str, tmp_path: Path):
    output = tmp_path / "flame.npz"
    assert posetalk(["flame", "convert", str(require_fixture(folder / pickle_name)), "-o", str(output)]) == 0
    _check_parity(output, expected_arrays(folder))


def _write_pickle(path: Path, data: object, rename: tuple[bytes, bytes] | None = None) -> Path:
    raw = pickle.dumps(data, protocol=2)
    if rename:
        raw = raw.replace(*rename)
    path.write_bytes(raw)
    return path


def _tiny_flame(n_vertices: int = 6) -> dict[str, object]:
    rng = np.random.default_rng(0)
    return {
        "v_template": rng.normal(size=(n_vertices, 3)),
        "shapedirs": rng.normal(size=(n_vertices, 3, 400)),
        "posedirs": rng.normal(size=(n_vertices, 3, 36)),
        "J_regressor": scipy.sparse.csc_matrix(np.full((5, n_vertices), 1.0 / n_vertices)),
        "kintree_table": np.array([[2**32 - 1, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.int64),
        "weights": np.full((n_vertices, 5), 0.2),
        "f": np.array([[0, 1, 2], [3, 4, 5]], dtype=np.uint32),
    }


class _Python2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 ``str`` (BINSTRING) and numpy under its old module path, as the
    published FLAME 2020 pickles do; reading them needs ``encoding='latin1'``."""

    def save_bytes(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    def save_global(self, obj: object, name: str | None = None) -> None:
        module = getattr(obj, "__module__", "")
        if module.startswith("numpy._core"):
            self.write(pickle.GLOBAL + f"numpy.core.multiarray\n{obj.__name__}\n".encode())
            self.memoize(obj)
        else:
            super().save_global(obj, name)

    dispatch = {**pickle._Pickler.dispatch, bytes: save_bytes}


def test_flame_loader_reads_python2_pickles(tmp_path: Path):
    data = _tiny_flame()
    data["v_template"][0] = [0.5, 0.25, -1.0]  # little-endian float64 bytes beyond ASCII
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(data)
    raw = buffer.getvalue()
    assert b"_codecs" not in raw and b"numpy.core.multiarray" in raw
    path = tmp_path / "py2.pkl"
    path.write_bytes(raw)
    with pytest.raises(UnicodeDecodeError):
        pickle.loads(raw)  # the default ASCII decoding cannot read it
    model = load_flame(path)
    np.testing.assert_array_equal(model.v_template, data["v_template"])
    np.testing.assert_array_equal(model.exprdirs, data["shapedirs"][:, :, 300:350])


def test_flame_loader_accepts_old_scipy_module_path(tmp_path: Path):
    path = _write_pickle(
        tmp_path / "old.pkl", _tiny_flame(), (b"scipy.sparse._csc\n", b"scipy.sparse.csc\n")
    )
    assert b"scipy.sparse.csc\n" in path.read_bytes()
    model = load_flame(path)
    assert model.j_regressor.shape == (5, 6)
    assert list(model.parents) == [-1, 0, 1, 1, 1]


def test_flame_loader_refuses_arbitrary_globals(tmp_path: Path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = _write_pickle(tmp_path / "evil.pkl", {"f": Evil()})
    with pytest.raises(PosetalkError, match="refusing to unpickle"):
        load_flame(path)


def test_flame_loader_reports_bad_shapes(tmp_path: Path):
    data = _tiny_flame()
    data["weights"] = np.ones((6, 4))
    with pytest.raises(PosetalkError, match="lbs_weights has shape"):
        load_flame(_write_pickle(tmp_path / "bad.pkl", data))
    data = _tiny_flame()
    data["shapedirs"] = np.ones((6, 3, 300))
    with pytest.raises(PosetalkError, match="shapedirs"):
        load_flame(_write_pickle(tmp_path / "short.pkl", data))
    with pytest.raises(PosetalkError, match="not found"):
        load_flame(tmp_path / "missing.pkl")


def test_batch_rodrigues_matches_scipy():
    axis_angle = np.random.default_rng(1).normal(size=(32, 3))
    axis_angle[0] = 0.0
    expected = Rotation.from_rotvec(axis_angle).as_matrix()
    np.testing.assert_allclose(batch_rodrigues(axis_angle), expected, atol=1e-12)


def test_rigid_transform_chain_by_hand():
    # Root at the origin turned 90° about z; child 1 m along x turned 90° about z again.
    quarter = Rotation.from_rotvec([0, 0, np.pi / 2]).as_matrix()
    rot_mats = np.stack([quarter, quarter])[None]
    joints = np.array([[[0.0, 0, 0], [1.0, 0, 0]]])
    posed, rel = batch_rigid_transform(rot_mats, joints, np.array([-1, 0]))
    np.testing.assert_allclose(posed[0, 1], [0.0, 1.0, 0.0], atol=1e-12)
    # A point 1 m beyond the child (rest x = 2) ends up at (-1, 1, 0).
    point = rel[0, 1] @ np.array([2.0, 0, 0, 1])
    np.testing.assert_allclose(point[:3], [-1.0, 1.0, 0.0], atol=1e-12)
