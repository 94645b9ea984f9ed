"""Data files shipped with the engine (see README.md in this folder), found through importlib.resources."""

from posetalk.assets import package_dir

DATA_DIR = package_dir(__name__)
SPEECH_SAMPLE = DATA_DIR / "speech_sample.flac"
