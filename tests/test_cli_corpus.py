"""`posetalk corpus build` writes a resumable corpus folder of timed speech."""

from __future__ import annotations

import json

from posetalk.cli import main
from posetalk.corpus.store import read_corpus
from posetalk.corpus.timeline import PHONES


def test_corpus_build_writes_timed_clips_and_resumes(tmp_path, capsys) -> None:
    folder = tmp_path / "corpus"
    assert main(["corpus", "build", str(folder), "--tts-minutes", "0.15", "--no-real", "--seed", "3"]) == 0
    first = [json.loads(line)["id"] for line in (folder / "manifest.jsonl").read_text().splitlines()]
    assert first
    clips = list(read_corpus(folder))
    for _, clip in clips:
        assert clip.phones[-1].end <= clip.duration + 0.05
        assert {p.label for p in clip.phones} <= set(PHONES)
        assert any(p.label != "sil" for p in clip.phones)
    assert main(["corpus", "build", str(folder), "--tts-minutes", "0.15", "--no-real", "--seed", "3"]) == 0
    assert "added 0 TTS" in capsys.readouterr().out
    again = [json.loads(line)["id"] for line in (folder / "manifest.jsonl").read_text().splitlines()]
    assert again == first


def test_train_refuses_a_folder_that_is_not_a_corpus(tmp_path, capsys) -> None:
    assert main(["train", "--corpus", str(tmp_path), "-o", str(tmp_path / "m")]) == 1
    assert "not a corpus folder" in capsys.readouterr().err
