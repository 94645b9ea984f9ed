"""Seeded TTS clips spread over engines, voices and languages, with a held-out set of voices.

Clip ``i`` of a seed is drawn from its own generator (``default_rng([seed, i])``), so a clip does
not depend on the ones before it. Its language is English 70 % of the time (when other languages
and espeak-ng are asked for) and otherwise one of the others, uniformly; English goes to
espeak-ng, flite and festival with weights 0.5, 0.3 and 0.2 (among the engines asked for), other
languages to espeak-ng. A clip is 2-12 s: a target length is drawn uniformly from that range,
utterances of :func:`posetalk.corpus.sentences.utterance` are spoken with one voice and one
prosody and joined by 0-0.3 s of silence until they reach it, and the result is cut at the target
(:func:`cut`: inside its last silence before the target, else at a phone boundary). So, with the
cuts at silences, clips run 6 s on average.

Held out (never in :func:`tts_clips`, only in :func:`held_out_tts_clips`): the speaker slt (flite's
slt and festival's HTS voice of the same speaker) and espeak-ng's variants ``f4`` and ``m6``
in every language.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from posetalk.corpus import festival, flite
from posetalk.corpus.espeak import LANGUAGE_VOICES, VARIANTS, EspeakProsody, espeak
from posetalk.corpus.sentences import LANGUAGES, utterance
from posetalk.corpus.timeline import SAMPLE_RATE, SILENCE, Phone, TimedClip
from posetalk.errors import PosetalkError

ENGINES: tuple[str, ...] = ("espeak-ng", "flite", "festival")
HELD_OUT_VOICES: dict[str, tuple[str, ...]] = {
    "flite": ("slt",),
    "festival": ("cmu_us_slt_arctic_hts",),
    "espeak-ng": ("f4", "m6"),  # variants, with any language voice
}
MIN_SECONDS, MAX_SECONDS = 2.0, 12.0
_ENGLISH_WEIGHTS = {"espeak-ng": 0.5, "flite": 0.3, "festival": 0.2}
_OTHER_LANGUAGE_SHARE = 0.3
_MAX_GAP_S = 0.3
# espeak-ng voices are used without a variant this often, else with one drawn uniformly.
_PLAIN_ESPEAK_SHARE = 0.25


@dataclasses.dataclass(frozen=True)
class VoiceChoice:
    """An engine, one of its voices (espeak-ng: ``voice+variant``) and the language it speaks."""

    engine: str
    voice: str
    language: str


def _pools(held_out: bool) -> dict[str, tuple[str, ...]]:
    """Per engine the voices (espeak-ng: variants) in the training or the held-out pool."""
    if held_out:
        return HELD_OUT_VOICES
    return {
        "flite": tuple(v for v in flite.VOICES if v not in HELD_OUT_VOICES["flite"]),
        "festival": tuple(v for v in festival.VOICES if v not in HELD_OUT_VOICES["festival"]),
        "espeak-ng": tuple(v for v in VARIANTS if v not in HELD_OUT_VOICES["espeak-ng"]),
    }


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def draw_voice(
    rng: np.random.Generator,
    engines: Sequence[str] = ENGINES,
    languages: Sequence[str] = LANGUAGES,
    held_out: bool = False,
) -> VoiceChoice:
    """The voice of one clip, drawn as the module describes from the training voices or, with
    ``held_out``, from :data:`HELD_OUT_VOICES`."""
    pools = _pools(held_out)
    others = [language for language in languages if language != "en"]
    english = "en" in languages and ("espeak-ng" not in engines or not others or rng.random() >= _OTHER_LANGUAGE_SHARE)
    language = "en" if english else _pick(rng, others)
    if english:
        weights = np.array([_ENGLISH_WEIGHTS[engine] for engine in engines])
        engine = engines[int(rng.choice(len(engines), p=weights / weights.sum()))]
    else:
        engine = "espeak-ng"
    if engine != "espeak-ng":
        return VoiceChoice(engine, _pick(rng, pools[engine]), "en")
    base = _pick(rng, LANGUAGE_VOICES[language])
    if not held_out and rng.random() < _PLAIN_ESPEAK_SHARE:
        return VoiceChoice(engine, base, language)
    return VoiceChoice(engine, f"{base}+{_pick(rng, pools[engine])}", language)


def _speaker(voice: VoiceChoice, rng: np.random.Generator) -> Callable[[str], TimedClip]:
    """A function text -> TimedClip speaking with ``voice`` at one prosody drawn from ``rng``."""
    if voice.engine == "espeak-ng":
        prosody = EspeakProsody.draw(rng)
        return lambda text: espeak().synthesize(text, voice.voice, voice.language, prosody)
    if voice.engine == "flite":
        prosody = flite.FliteProsody.draw(rng)
        return lambda text: flite.flite_clip(text, voice.voice, prosody)
    prosody = festival.FestivalProsody.draw(rng)
    return lambda text: festival.festival_clip(text, voice.voice, prosody)


def join(clips: Sequence[TimedClip], gaps: Sequence[float]) -> TimedClip:
    """Clips one after the other with ``gaps[k]`` seconds of silence after clip k (one gap fewer
    than clips); the first clip's source, speaker and language."""
    pieces, phones, offset = [], [], 0
    for k, clip in enumerate(clips):
        gap = round(gaps[k] * SAMPLE_RATE) if k < len(clips) - 1 else 0
        pieces += [clip.audio, np.zeros(gap, np.float32)]
        start = offset / SAMPLE_RATE
        for phone in clip.phones:
            phones.append(Phone(phone.label, start + phone.start, start + phone.end, phone.stress))
        if gap:
            phones.append(Phone(SILENCE, start + clip.duration, (offset + len(clip.audio) + gap) / SAMPLE_RATE))
        offset += len(clip.audio) + gap
    merged: list[Phone] = []
    for phone in phones:
        if merged and phone.label == SILENCE and merged[-1].label == SILENCE:
            merged[-1] = Phone(SILENCE, merged[-1].start, phone.end)
        else:
            merged.append(phone)
    return dataclasses.replace(clips[0], audio=np.concatenate(pieces), phones=tuple(merged))


def cut(clip: TimedClip, seconds: float) -> TimedClip:
    """The clip's first ``seconds`` at most, ended inside its last silence that starts before
    ``seconds`` (but after 2 s), else at its last phone boundary before ``seconds``."""
    if clip.duration <= seconds:
        return clip
    silences = [p for p in clip.phones if p.label == SILENCE and MIN_SECONDS < p.start < seconds]
    if silences:
        end = min(silences[-1].end, seconds)
    else:
        end = max((p.end for p in clip.phones if p.end <= seconds), default=seconds)
    n_samples = round(end * SAMPLE_RATE)
    end = n_samples / SAMPLE_RATE
    kept = [dataclasses.replace(p, end=min(p.end, end)) for p in clip.phones if p.start < end]
    kept[-1] = dataclasses.replace(kept[-1], end=end)
    return dataclasses.replace(clip, audio=clip.audio[:n_samples], phones=tuple(kept))


def _clip(
    seed: int, index: int, engines: Sequence[str], languages: Sequence[str], held_out: bool
) -> tuple[str, TimedClip]:
    rng = np.random.default_rng([seed, index])
    voice = draw_voice(rng, engines, languages, held_out)
    speak = _speaker(voice, rng)
    target = rng.uniform(MIN_SECONDS, MAX_SECONDS)
    parts = [speak(utterance(voice.language, rng))]
    gaps: list[float] = []
    while sum(part.duration for part in parts) + sum(gaps) < target:
        gaps.append(float(rng.uniform(0.0, _MAX_GAP_S)))
        parts.append(speak(utterance(voice.language, rng)))
    clip = cut(join(parts, gaps), target)
    return f"{voice.engine}-{voice.voice}-s{seed}-{index:06d}", clip


def _checked(engines: Sequence[str], languages: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    unknown = [e for e in engines if e not in ENGINES] + [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise PosetalkError(
            f"unknown TTS engine or language {unknown[0]!r}; engines: {', '.join(ENGINES)};"
            f" languages: {', '.join(LANGUAGES)}"
        )
    if not engines or not languages:
        raise PosetalkError("tts clips need at least one engine and one language")
    if "en" not in languages and "espeak-ng" not in engines:
        raise PosetalkError("only espeak-ng speaks languages other than English")
    return tuple(engines), tuple(languages)


def _clips(
    seed: int, minutes: float, engines: Sequence[str], languages: Sequence[str], held_out: bool
) -> Iterator[tuple[str, TimedClip]]:
    total, index = 0.0, 0
    while total < minutes * 60:
        clip_id, clip = _clip(seed, index, engines, languages, held_out)
        total += clip.duration
        index += 1
        yield clip_id, clip


def tts_clips(
    seed: int, minutes: float, engines: Sequence[str] = ENGINES, languages: Sequence[str] = LANGUAGES
) -> Iterator[tuple[str, TimedClip]]:
    """(id, clip) until ``minutes`` of speech, from the training voices (all but
    :data:`HELD_OUT_VOICES`); ids are ``<engine>-<voice>-s<seed>-<index>``.

    Raises:
        PosetalkError: an unknown engine or language, or no engine for the languages asked for.
    """
    return _clips(seed, minutes, *_checked(engines, languages), held_out=False)


def held_out_tts_clips(
    seed: int, minutes: float, engines: Sequence[str] = ENGINES, languages: Sequence[str] = LANGUAGES
) -> Iterator[tuple[str, TimedClip]]:
    """Like :func:`tts_clips`, from the :data:`HELD_OUT_VOICES` only, for evaluation on voices the
    model never trained on."""
    return _clips(seed, minutes, *_checked(engines, languages), held_out=True)
