"""TTS speech with phone timings: espeak-ng (C API), flite and festival, the sentences they read,
and the seeded clip generator with its held-out voices."""

from __future__ import annotations

import ctypes.util
import shutil
from collections import Counter

import numpy as np
import pytest

from posetalk.corpus import festival, flite, sentences, tts
from posetalk.corpus.espeak import LANGUAGE_VOICES, VARIANTS, EspeakProsody, arpabet, espeak
from posetalk.corpus.timeline import SAMPLE_RATE, SILENCE, VOWELS, TimedClip
from posetalk.errors import PosetalkError

needs_espeak = pytest.mark.skipif(ctypes.util.find_library("espeak-ng") is None, reason="espeak-ng is not installed")
needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed")
needs_festival = pytest.mark.skipif(shutil.which("festival") is None, reason="festival is not installed")
TEXT = "Bob, ... mama made a pie. Maybe Bob will be by."


def assert_covers(clip: TimedClip) -> None:
    """Phones are consecutive from 0 to the end of the audio."""
    assert clip.audio.dtype == np.float32 and clip.audio.ndim == 1 and np.max(np.abs(clip.audio)) <= 1.0
    assert clip.phones[0].start == 0.0
    assert clip.phones[-1].end == pytest.approx(clip.duration, abs=1e-9)
    for before, after in zip(clip.phones, clip.phones[1:]):
        assert after.start == pytest.approx(before.end, abs=1e-9)
        assert after.end > after.start


def level_db(clip: TimedClip, label_test) -> list[float]:
    """RMS level (dBFS) of the inside of each phone passing ``label_test`` (10 ms trimmed at each
    end of phones longer than 40 ms)."""
    levels = []
    margin = SAMPLE_RATE // 100
    for phone in clip.phones:
        if not label_test(phone.label):
            continue
        a, b = round(phone.start * SAMPLE_RATE), round(phone.end * SAMPLE_RATE)
        if b - a > 4 * margin:
            a, b = a + margin, b - margin
        levels.append(10 * np.log10(np.mean(clip.audio[a:b].astype(np.float64) ** 2) + 1e-12))
    return levels


def assert_energy_lines_up(clip: TimedClip) -> None:
    """Silences are quiet and vowels loud: every pause at least 20 dB under the median vowel, every
    vowel within 15 dB of it."""
    vowels = level_db(clip, lambda label: label in VOWELS)
    silences = level_db(clip, lambda label: label == SILENCE)
    assert vowels and silences
    median = float(np.median(vowels))
    assert max(silences) < median - 20, (silences, median)
    assert min(vowels) > median - 15, (vowels, median)


def labels(clip: TimedClip) -> list[str]:
    return [phone.label for phone in clip.phones]


def contains_run(sequence: list[str], run: list[str]) -> bool:
    return any(sequence[k:k + len(run)] == run for k in range(len(sequence) - len(run) + 1))


# --- espeak-ng ----------------------------------------------------------------------------------


@needs_espeak
@pytest.mark.parametrize("voice", ["en-us", "en+f3", "en-us+klatt"])
def test_espeak_phones_cover_the_audio_and_line_up_with_its_energy(voice: str) -> None:
    clip = espeak().synthesize(TEXT, voice, "en")
    assert (clip.source, clip.speaker, clip.language) == ("espeak-ng", voice, "en")
    assert_covers(clip)
    assert_energy_lines_up(clip)
    assert contains_run(labels(clip), ["b", "aa", "b"])  # "Bob"
    assert contains_run(labels(clip), ["m", "aa", "m", "ah"]) or contains_run(labels(clip), ["m", "ae", "m", "ah"])
    assert 2.0 < clip.duration < 6.0


@needs_espeak
def test_espeak_prosody_changes_speed_and_the_timeline_follows() -> None:
    slow = espeak().synthesize(TEXT, "en-us", "en", EspeakProsody(rate=110))
    fast = espeak().synthesize(TEXT, "en-us", "en", EspeakProsody(rate=260))
    assert slow.duration > 1.6 * fast.duration
    assert labels(slow) == labels(fast)
    assert_covers(slow)
    assert_covers(fast)


@needs_espeak
def test_espeak_speaks_every_listed_voice_and_variant() -> None:
    for language, voices in LANGUAGE_VOICES.items():
        for voice in voices:
            variant = VARIANTS[len(voice) % len(VARIANTS)]
            assert_covers(espeak().synthesize("ma1" if language == "zh" else "ma", f"{voice}+{variant}", language))
    for variant in VARIANTS:
        assert_covers(espeak().synthesize("ma", f"en-us+{variant}", "en"))


@needs_espeak
@pytest.mark.parametrize("language", [lang for lang in sentences.LANGUAGES if lang != "en"])
def test_espeak_other_languages_map_onto_the_phone_set_by_table(language: str) -> None:
    rng = np.random.default_rng(3)
    engine = espeak()
    before = sum(n for (lang, _), n in engine.fallbacks.items() if lang == language)
    counted = sum(n for (lang, _), n in engine.symbols.items() if lang == language)
    spoken: Counter[str] = Counter()
    for _ in range(6):
        clip = engine.synthesize(sentences.utterance(language, rng), LANGUAGE_VOICES[language][0], language)
        assert_covers(clip)
        assert clip.language == language
        spoken.update(labels(clip))
    events = sum(n for (lang, _), n in engine.symbols.items() if lang == language) - counted
    fallbacks = sum(n for (lang, _), n in engine.fallbacks.items() if lang == language) - before
    assert events > 50 and fallbacks <= 0.02 * events
    assert spoken[SILENCE] and sum(spoken[v] for v in VOWELS) > 0.25 * sum(spoken.values())


def test_mnemonics_map_by_articulation() -> None:
    expected = {
        "b": "b", "m": "m", "f": "f", "v": "v", "T": "th", "D": "dh", "S": "sh", "Z": "zh", "tS": "ch", "dZ": "jh",
        "N": "ng", "j": "y", "h": "hh", "@": "ah", "3:": "er", "aI": "ay", "eI": "ey", "oU": "ow", "O:": "ao",
        "u:": "uw", "i:": "iy", "I": "ih", "E": "eh", "0": "aa", "A:": "aa", "V": "ah", "a#": "ah",
    }
    for mnemonic, label in expected.items():
        assert arpabet(mnemonic, "en") == ((label,), True), mnemonic
    assert arpabet("a", "en")[0] == ("ae",) and arpabet("a", "es")[0] == ("aa",)
    assert arpabet("ts", "de")[0] == ("t", "s")
    assert arpabet("i:", "de")[0] == ("iy",) and arpabet("tS;", "ru")[0] == ("ch",)
    for pause in ("_", "_:", "_!", "_|", "||"):
        assert arpabet(pause, "en") == (("sil",), True)
    assert arpabet("Kx", "en") == (("ah",), False)
    assert arpabet("bQ", "en") == (("b",), False)


@needs_espeak
def test_espeak_rejects_an_unknown_voice_and_empty_text() -> None:
    with pytest.raises(PosetalkError, match="no voice 'xx-nope'"):
        espeak().synthesize("hello", "xx-nope", "en")
    with pytest.raises(PosetalkError, match="no voice variant 'nonsense'"):
        espeak().synthesize("hello", "en-us+nonsense", "en")
    with pytest.raises(PosetalkError, match="empty"):
        espeak().synthesize("  ", "en-us", "en")


# --- flite and festival -------------------------------------------------------------------------


@needs_flite
@pytest.mark.parametrize("voice", flite.VOICES)
def test_flite_phones_cover_the_audio_and_line_up_with_its_energy(voice: str) -> None:
    clip = flite.flite_clip(TEXT, voice)
    assert (clip.source, clip.speaker) == ("flite", voice)
    assert_covers(clip)
    assert_energy_lines_up(clip)
    assert contains_run(labels(clip), ["b", "aa", "b"])


@needs_flite
def test_flite_prosody_stretches_durations() -> None:
    plain = flite.flite_clip(TEXT, "kal16")
    slow = flite.flite_clip(TEXT, "kal16", flite.FliteProsody(duration_stretch=1.3, semitones=2.0))
    assert slow.duration == pytest.approx(1.3 * plain.duration, rel=0.08)
    assert labels(slow) == labels(plain)


def test_flite_rejects_an_unknown_voice() -> None:
    with pytest.raises(PosetalkError, match="no voice 'bdl'"):
        flite.flite_clip("hello", "bdl")
    with pytest.raises(PosetalkError, match="not in the CMU phone set"):
        flite.cmu_phone("qq")


@needs_festival
@pytest.mark.parametrize("voice", festival.VOICES)
def test_festival_phones_cover_the_audio_and_carry_stress(voice: str) -> None:
    clip = festival.festival_clip(TEXT + ' He said "hi".', voice)
    assert (clip.source, clip.speaker) == ("festival", voice)
    assert_covers(clip)
    assert_energy_lines_up(clip)
    assert contains_run(labels(clip), ["b", "aa", "b"])
    stresses = {phone.stress for phone in clip.phones if phone.label in VOWELS}
    assert stresses <= {0, 1} and 1 in stresses
    assert all(phone.stress == -1 for phone in clip.phones if phone.label not in VOWELS)


def test_festival_rejects_an_unknown_voice() -> None:
    with pytest.raises(PosetalkError, match="no voice 'rab_diphone'"):
        festival.festival_clip("hello", "rab_diphone")


# --- sentences ----------------------------------------------------------------------------------


def test_english_sentences_are_varied_seeded_and_3_to_25_words() -> None:
    rng = np.random.default_rng(0)
    drawn = [sentences.english_sentence(rng) for _ in range(400)]
    assert all(3 <= len(s.split()) <= 25 for s in drawn)
    assert len(set(drawn)) > 390
    assert {s[-1] for s in drawn} == {".", "?", "!"}
    assert any("," in s for s in drawn) and any(any(c.isdigit() for c in s) for s in drawn)
    words = " ".join(drawn).lower()
    pools = (sentences.BILABIAL_NOUNS, sentences.LABIODENTAL_NOUNS, sentences.ROUNDED_NOUNS, sentences.SPREAD_NOUNS)
    for pool in pools:
        assert sum(words.count(f" {singular}") for singular, _ in pool) > 10
    again = np.random.default_rng(0)
    assert [sentences.english_sentence(again) for _ in range(400)] == drawn


def test_every_language_has_utterances_with_pauses() -> None:
    rng = np.random.default_rng(1)
    for language in sentences.LANGUAGES:
        texts = [sentences.utterance(language, rng) for _ in range(60)]
        assert len(set(texts)) > 40, language
        assert any("..." in text for text in texts), language
    with pytest.raises(PosetalkError, match="no sentences for language 'xx'"):
        sentences.foreign_sentence("xx", rng)


# --- the clip generator -------------------------------------------------------------------------


@needs_espeak
def test_tts_clips_are_seeded_2_to_12_s_and_cover_their_audio() -> None:
    first = list(tts.tts_clips(5, 0.5, engines=("espeak-ng",)))
    again = list(tts.tts_clips(5, 0.5, engines=("espeak-ng",)))
    assert [clip_id for clip_id, _ in first] == [clip_id for clip_id, _ in again]
    assert all(np.array_equal(a.audio, b.audio) and a.phones == b.phones for (_, a), (_, b) in zip(first, again))
    assert sum(clip.duration for _, clip in first) >= 30.0
    for clip_id, clip in first:
        assert tts.MIN_SECONDS <= clip.duration <= tts.MAX_SECONDS
        assert clip_id.startswith(f"espeak-ng-{clip.speaker}-s5-") and "/" not in clip_id
        assert_covers(clip)
    other = [clip_id for clip_id, _ in tts.tts_clips(6, 0.5, engines=("espeak-ng",))]
    assert set(other).isdisjoint(clip_id for clip_id, _ in first)


def is_held_out(choice: tts.VoiceChoice) -> bool:
    if choice.engine == "espeak-ng":
        return choice.voice.rpartition("+")[2] in tts.HELD_OUT_VOICES["espeak-ng"]
    return choice.voice in tts.HELD_OUT_VOICES[choice.engine]


def test_voices_spread_over_engines_and_languages_and_keep_held_out_ones_apart() -> None:
    rng = np.random.default_rng(4)
    trained = [tts.draw_voice(rng) for _ in range(3000)]
    held = [tts.draw_voice(rng, held_out=True) for _ in range(500)]
    assert not any(is_held_out(choice) for choice in trained)
    assert all(is_held_out(choice) for choice in held)
    for draws in (trained, held):
        assert {choice.engine for choice in draws} == set(tts.ENGINES)
        assert {choice.language for choice in draws} == set(sentences.LANGUAGES)
    other = sum(choice.language != "en" for choice in trained) / len(trained)
    assert 0.27 < other < 0.33
    english = Counter(choice.engine for choice in trained if choice.language == "en")
    assert english["espeak-ng"] > english["flite"] > english["festival"] > 0
    assert len({choice.voice for choice in trained if choice.engine == "espeak-ng"}) > 200
    assert {choice.language for choice in (tts.draw_voice(rng, languages=("ja",)) for _ in range(20))} == {"ja"}
    assert {choice.engine for choice in (tts.draw_voice(rng, engines=("flite",)) for _ in range(20))} == {"flite"}


@needs_espeak
@needs_flite
@needs_festival
def test_held_out_clips_come_from_held_out_voices_only() -> None:
    clips = list(tts.held_out_tts_clips(2, 0.4))
    assert sum(clip.duration for _, clip in clips) >= 24.0
    for clip_id, clip in clips:
        assert is_held_out(tts.VoiceChoice(clip.source, clip.speaker, clip.language))
        assert clip_id.startswith(f"{clip.source}-{clip.speaker}-s2-")
        assert_covers(clip)


def test_tts_clips_reject_unknown_engines_and_languages() -> None:
    with pytest.raises(PosetalkError, match="'mbrola'"):
        tts.tts_clips(0, 1, engines=("mbrola",))
    with pytest.raises(PosetalkError, match="'xx'"):
        tts.tts_clips(0, 1, languages=("en", "xx"))
    with pytest.raises(PosetalkError, match="only espeak-ng"):
        tts.tts_clips(0, 1, engines=("flite",), languages=("ja",))
