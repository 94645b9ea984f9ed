"""The distribution installs the import package ``posetalk`` from the ``engine/`` folder, every
sub-package included."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert settings["package-dir"] == {"posetalk": "engine"}
    on_disk = {
        ".".join(("posetalk", *init.parent.relative_to(ROOT / "engine").parts))
        for init in (ROOT / "engine").rglob("__init__.py")
    }
    assert set(settings["packages"]) == on_disk


def test_import_name_is_posetalk() -> None:
    import posetalk

    assert Path(posetalk.__file__).resolve().parent == ROOT / "engine"
