"""Data files shipped with the engine (see README.md in this folder)."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
SPEECH_SAMPLE = DATA_DIR / "speech_sample.flac"
