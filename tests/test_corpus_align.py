"""Forced alignment of real speech (pocketsphinx) and the real-speech clip reader, on ../shared/speech."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from posetalk.audio.io import load_audio
from posetalk.corpus.align import (
    AlignmentError,
    align,
    check_alignment,
    normalise_transcript,
    speech_energy_agreement,
)
from posetalk.corpus.real_speech import real_speakers, real_speech_clips
from posetalk.corpus.timeline import SAMPLE_RATE, SILENCE, VOWELS, Phone
from posetalk.corpus.transcribe import transcribe
from posetalk.errors import PosetalkError

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "speech"


@pytest.fixture(scope="module")
def speech() -> Path:
    if not (SPEECH / "fsdd").is_dir() or not (SPEECH / "ljspeech").is_dir():
        pytest.fail(f"{SPEECH} (fsdd/ and ljspeech/) is missing: these tests need the shared real-speech set")
    return SPEECH


def _levels_db(audio: np.ndarray) -> np.ndarray:
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160).astype(np.float64)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def _assert_covers(phones: tuple[Phone, ...], duration: float) -> None:
    assert phones[0].start == 0.0 and phones[-1].end == pytest.approx(duration)
    for before, after in zip(phones, phones[1:]):
        assert before.end == pytest.approx(after.start) and after.end > after.start
        assert not (before.label == after.label == SILENCE)


@pytest.mark.parametrize(
    ("name", "word", "pronunciations"),
    [
        ("0_jackson_0", "zero", [["z", "ih", "r", "ow"], ["z", "iy", "r", "ow"]]),
        ("2_yweweler_3", "two", [["t", "uw"]]),
        ("5_george_3", "five", [["f", "ay", "v"]]),
        ("9_jackson_10", "nine", [["n", "ay", "n"]]),
    ],
)
def test_fsdd_digit_aligns_to_its_dictionary_phones_where_the_voice_is(speech, name, word, pronunciations):
    audio = load_audio(speech / "fsdd" / f"{name}.wav")
    phones = align(audio, word)
    _assert_covers(phones, len(audio) / SAMPLE_RATE)
    assert [p.label for p in phones if p.label != SILENCE] in pronunciations
    assert all(p.stress == -1 for p in phones)
    level = _levels_db(audio)
    for phone in phones:
        if phone.label in VOWELS:
            frames = level[int(phone.start * 100): int(np.ceil(phone.end * 100))]
            assert frames.mean() > level.max() - 15, f"{phone} lies on quiet audio"
    on_loud, covered = speech_energy_agreement(audio, phones)
    assert covered > 0.8 and on_loud > 0.5


def test_ljspeech_sentence_aligns_with_speech_over_the_loud_frames(speech):
    text = "in being comparatively modern."
    audio = load_audio(speech / "ljspeech" / "LJ001-0002.wav")
    phones = align(audio, text)
    _assert_covers(phones, len(audio) / SAMPLE_RATE)
    speech_phones = [p.label for p in phones if p.label != SILENCE]
    assert speech_phones[:4] == ["ih", "n", "b", "iy"] and speech_phones[-5:] == ["m", "aa", "d", "er", "n"]
    assert len(speech_phones) >= 20
    level = _levels_db(audio)
    loud = level > level.max() - 20
    centres = (np.arange(len(level)) + 0.5) / 100
    under_speech = np.zeros(len(level), bool)
    for phone in phones:
        if phone.label != SILENCE:
            under_speech |= (centres >= phone.start) & (centres < phone.end)
    assert under_speech[loud].mean() > 0.95
    check_alignment(audio, phones)


def test_transcripts_are_normalised_for_the_dictionary():
    assert normalise_transcript('The "forty-two line Bible" of about 1455,') == (
        "the forty two line bible of about fourteen fifty five".split())
    assert normalise_transcript("In 1905 the 21st & 3rd; 3.5% of $12,000 don't") == (
        "in nineteen oh five the twenty first and third three point five percent of "
        "twelve thousand dollars don't").split()
    assert normalise_transcript("2000 items") == ["two", "thousand", "items"]


def test_unknown_words_are_named_and_compounds_of_known_words_align(speech):
    audio = load_audio(speech / "fsdd" / "0_jackson_0.wav")
    with pytest.raises(AlignmentError, match="not in the pronouncing dictionary: qzxvw") as error:
        align(audio, "qzxvw zero")
    assert error.value.reason == "unknown word"
    phones = align(load_audio(speech / "ljspeech" / "LJ001-0002.wav"), "in being woodcutters")
    assert "w uh d k ah t er z" in " ".join(p.label for p in phones)


def test_bad_input_is_refused_with_a_reason(speech):
    audio = load_audio(speech / "fsdd" / "0_jackson_0.wav")
    with pytest.raises(AlignmentError, match="no words"):
        align(audio, " ,.!")
    with pytest.raises(AlignmentError, match="at least 0.1 s"):
        align(audio[:800], "zero")
    with pytest.raises(AlignmentError, match="NaN"):
        align(np.full(4000, np.nan, np.float32), "zero")
    with pytest.raises(AlignmentError, match="mono"):
        align(np.stack([audio, audio], axis=1), "zero")
    duration = len(audio) / SAMPLE_RATE
    with pytest.raises(AlignmentError, match="loud frames") as error:
        check_alignment(audio, (Phone("sil", 0.0, duration),))
    assert error.value.reason == "poor alignment"


def _small_speech_dir(speech: Path, root: Path) -> Path:
    (root / "fsdd").mkdir(parents=True)
    (root / "ljspeech").mkdir()
    for name in ("0_jackson_0", "5_george_3", "2_nicolas_1"):
        shutil.copy(speech / "fsdd" / f"{name}.wav", root / "fsdd")
    rng = np.random.default_rng(0)
    soundfile.write(root / "fsdd" / "3_noise_0.wav", rng.normal(0, 0.01, 4000).astype(np.float32), 8000)
    shutil.copy(speech / "ljspeech" / "LJ001-0002.wav", root / "ljspeech")
    lines = (speech / "ljspeech" / "metadata.csv").read_text().splitlines()
    (root / "ljspeech" / "metadata.csv").write_text("".join(l + "\n" for l in lines if l.startswith("LJ001-0002|")))
    return root


def test_real_speech_clips_align_each_source_and_report_what_they_skip(speech, tmp_path, caplog):
    root = _small_speech_dir(speech, tmp_path / "speech")
    assert real_speakers(root, include_testdata=False) == ["george", "jackson", "lj", "nicolas", "noise"]
    skipped: list[tuple[str, str]] = []
    with caplog.at_level(logging.WARNING, logger="posetalk.corpus.real_speech"):
        clips = dict(real_speech_clips(root, include_testdata=False, skipped=skipped))
    assert set(clips) >= {"fsdd-0_jackson_0", "fsdd-5_george_3", "ljspeech-LJ001-0002"}
    assert [clip_id for clip_id, _ in skipped] == ["fsdd-3_noise_0"]
    assert "fsdd-3_noise_0: skipped" in caplog.text and "skipped 1 of 5 clips" in caplog.text
    lj = clips["ljspeech-LJ001-0002"]
    assert (lj.source, lj.speaker, lj.language) == ("ljspeech", "lj", "en")
    assert lj.audio.dtype == np.float32 and lj.audio.ndim == 1 and np.abs(lj.audio).max() <= 1
    assert lj.phones[-1].end == pytest.approx(lj.duration)
    digit = clips["fsdd-5_george_3"]
    assert (digit.source, digit.speaker) == ("fsdd", "george")
    assert digit.duration == pytest.approx(soundfile.info(root / "fsdd" / "5_george_3.wav").duration, abs=1e-3)

    only = [clip_id for clip_id, _ in real_speech_clips(root, speakers={"george"}, include_testdata=False)]
    assert only == ["fsdd-5_george_3"]
    with pytest.raises(PosetalkError, match="speaker.*nobody"):
        list(real_speech_clips(root, speakers={"nobody"}, include_testdata=False))
    with pytest.raises(PosetalkError, match="no real speech"):
        real_speakers(tmp_path / "empty", include_testdata=False)


def test_cached_transcripts_are_reused_without_running_whisper(speech, tmp_path):
    cache = tmp_path / "transcripts.json"
    cache.write_text(json.dumps({"LJ001-0009.wav": "printing then for our purpose"}))
    heard = transcribe([speech / "ljspeech" / "LJ001-0009.wav"], cache)
    assert heard == {"LJ001-0009.wav": "printing then for our purpose"}
    cache.write_text("[1, 2]")
    with pytest.raises(PosetalkError, match="transcript cache"):
        transcribe([speech / "ljspeech" / "LJ001-0009.wav"], cache)
