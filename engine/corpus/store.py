"""A corpus folder: ``manifest.jsonl`` (one clip a line) and ``audio/<id>.flac`` (16 kHz mono).

A manifest line: ``{"id", "source", "speaker", "language", "phones": [[label, start, end,
stress], ...]}``. Clips are appended one at a time and the manifest line is written after its
audio, so an interrupted build leaves a readable corpus and can resume (ids already present are
skipped by the builders).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile

from posetalk.corpus.timeline import SAMPLE_RATE, Phone, TimedClip
from posetalk.errors import PosetalkError

MANIFEST = "manifest.jsonl"
AUDIO_FOLDER = "audio"


class CorpusWriter:
    """Appends clips to a corpus folder (created if needed)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        (self.folder / AUDIO_FOLDER).mkdir(parents=True, exist_ok=True)
        self.ids = {entry["id"] for entry in _manifest_entries(self.folder)} if (self.folder / MANIFEST).exists() else set()

    def __contains__(self, clip_id: str) -> bool:
        return clip_id in self.ids

    def add(self, clip_id: str, clip: TimedClip) -> None:
        if clip_id in self.ids:
            raise ValueError(f"clip {clip_id!r} is already in {self.folder}")
        if "/" in clip_id or not clip_id:
            raise ValueError(f"clip id {clip_id!r} must be a plain file name")
        soundfile.write(self.folder / AUDIO_FOLDER / f"{clip_id}.flac", np.clip(clip.audio, -1, 1), SAMPLE_RATE)
        entry = {
            "id": clip_id, "source": clip.source, "speaker": clip.speaker, "language": clip.language,
            "phones": [[p.label, round(p.start, 4), round(p.end, 4), p.stress] for p in clip.phones],
        }
        with open(self.folder / MANIFEST, "a") as manifest:
            manifest.write(json.dumps(entry) + "\n")
        self.ids.add(clip_id)


def _manifest_entries(folder: Path) -> Iterator[dict]:
    path = folder / MANIFEST
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise PosetalkError(f"{path}: cannot read the corpus manifest ({error.strerror})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            raise PosetalkError(f"{path}:{number}: not a JSON manifest line") from None


def read_corpus(folder: str | Path) -> Iterator[tuple[str, TimedClip]]:
    """(id, clip) for every clip of a corpus folder, in manifest order."""
    folder = Path(folder)
    for entry in _manifest_entries(folder):
        audio_path = folder / AUDIO_FOLDER / f"{entry['id']}.flac"
        try:
            audio, rate = soundfile.read(audio_path, dtype="float32")
        except (OSError, RuntimeError) as error:
            raise PosetalkError(f"{audio_path}: cannot read clip audio ({error})") from None
        if rate != SAMPLE_RATE or audio.ndim != 1:
            raise PosetalkError(f"{audio_path}: expected 16 kHz mono audio")
        phones = tuple(Phone(label, start, end, stress) for label, start, end, stress in entry["phones"])
        yield entry["id"], TimedClip(audio, phones, entry["source"], entry["speaker"], entry.get("language", "en"))
