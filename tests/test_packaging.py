"""The distribution installs the import package ``posetalk`` from the ``engine/`` folder, every
sub-package included, and a wheel installed outside the checkout carries the shaders, the browser
viewer and the default model."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parents[1]
ASSET_PACKAGES = {"posetalk.shaders": "shaders", "posetalk.viewer": "clients/web"}
MAPPED_PACKAGES = {**ASSET_PACKAGES, "posetalk.export": "export"}
"""Sub-packages from folders of their own beside engine/: the asset packages and the ONNX export."""


def test_every_subpackage_is_listed_in_pyproject() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert settings["package-dir"] == {"posetalk": "engine", **MAPPED_PACKAGES}
    on_disk = {
        ".".join(("posetalk", *init.parent.relative_to(ROOT / "engine").parts))
        for init in (ROOT / "engine").rglob("__init__.py")
    }
    assert set(settings["packages"]) == on_disk | set(MAPPED_PACKAGES)
    assert all((ROOT / folder / "__init__.py").is_file() for folder in MAPPED_PACKAGES.values())


def test_import_name_is_posetalk() -> None:
    import posetalk

    assert Path(posetalk.__file__).resolve().parent == ROOT / "engine"


def test_wheel_installed_elsewhere_renders_serves_and_animates(tmp_path: Path) -> None:
    """Build the wheel, install it into a fresh virtual environment (dependencies from this one)
    and use it from a folder outside the checkout: the shaders, the viewer and the model must all
    come from the installed package."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True, cwd=tmp_path,
    )
    (wheel,) = wheels.glob("posetalk-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True)

    work = tmp_path / "elsewhere"
    work.mkdir()
    speech, rate = soundfile.read(ROOT / "engine" / "data" / "speech_sample.flac", dtype="float32")
    soundfile.write(work / "clip.wav", speech[: int(1.5 * rate)], rate)
    env = {**os.environ, "PYTHONPATH": ""}
    report = subprocess.run(
        [str(python), "-c", (
            "import posetalk, sys\n"
            "from posetalk.cli.serve import VIEWER_DIR\n"
            "from posetalk.render.shaders import shader_source\n"
            "from posetalk.pipeline.model_files import default_model_dir\n"
            "print(posetalk.__file__)\n"
            "print(len(shader_source('head.vert.glsl')), (VIEWER_DIR / 'index.html').stat().st_size,"
            " (VIEWER_DIR / 'viewer.js').stat().st_size, len(list(default_model_dir().iterdir())))\n"
        )],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.split("\n")
    assert Path(report[0]).is_relative_to(venv)
    assert all(int(size) > 0 for size in report[1].split())

    out = work / "out.mp4"
    rendered = subprocess.run(
        [str(venv / "bin" / "posetalk"), "render", "clip.wav", "-o", str(out), "--size", "96x96", "--steps", "2"],
        cwd=work, env=env, capture_output=True, text=True,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert out.stat().st_size > 1000
