"""Forced alignment of real speech to its transcript: 16 kHz audio + text -> timed ARPAbet phones.

Uses the ``pocketsphinx`` wheel (training time only; imported inside the functions): its bundled
US English acoustic model (``en-us``, continuous HMMs over ARPAbet's 39 phonemes plus ``SIL`` and
noise phones) and pronouncing dictionary (``cmudict-en-us.dict``). PocketSphinx 5 aligns in two
passes: ``Decoder.set_align_text`` builds a word graph of the transcript (optional silences between
words) and a first decode finds the word boundaries; ``Decoder.set_alignment`` and a second decode
give the phone (and HMM state) segmentation, read with ``Decoder.get_alignment`` in frames of
10 ms.

The text is normalised for the dictionary first (lower case, digits spelled out as English words,
punctuation dropped). PocketSphinx 5 has no letter-to-sound rules, so a word the dictionary lacks
is pronounced as a compound of two dictionary words when it splits into them (``woodcutters``),
and otherwise raises :class:`AlignmentError` naming it.

Stress: the wheel's dictionary carries no stress digits (``zero Z IH R OW``), and its acoustic
model has a stress-free phone set, so every phone gets ``stress=-1`` (unknown).

Quality: the aligner returns an alignment for nearly every clip (see :data:`PAD_TRIES`), so a
wrong transcript or a bad fit shows up in the timing, not as a failure. :func:`speech_energy_agreement`
measures it against the audio's loudness and :func:`check_alignment` rejects clips that label much
of the voice as silence; per-source numbers are in :mod:`posetalk.corpus.real_speech`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from posetalk.corpus.timeline import PHONE_INDEX, SAMPLE_RATE, SILENCE, Phone
from posetalk.errors import PosetalkError

if TYPE_CHECKING:
    from pocketsphinx import Decoder

FRAME_RATE = 100
"""PocketSphinx's feature frames per second (10 ms hop)."""
PAD_TRIES = (0, 10, 20, 5)
"""Frames of near-silence put before and after the audio, tried in this order until the search
succeeds. PocketSphinx's search fails on some clips (no path reaches the transcript's end), and
which clips depends on the context at the edges: of FSDD's 2000 tightly trimmed digits 1919 align
unpadded, 1923 with 100 ms, 1797 with 200 ms (the padding enters the utterance-wide cepstral
mean), 1998 with the four tries. A phone the aligner puts wholly in the padding is dropped: the
recording does not hold it (FSDD's trimming cuts some /s/ of "six")."""
PAD_LEVEL = 1e-4
"""RMS of the padding noise (-80 dBFS), a dither so the padding's log energies stay finite."""
LOUD_RANGE_DB = 20.0
"""Frames within this many dB of a clip's loudest are voice (vowels, voiced consonants)."""
MIN_LOUD_COVERED = 0.5
"""Least fraction of the loud frames a kept alignment puts under speech phones. PocketSphinx
sometimes ends a word early and labels the rest of a sounding vowel silence (FSDD's band-limited
8 kHz recordings mostly: ``2_nicolas_26``, "two", gets t-uw in 70 ms and 220 ms of silence at
-2 to -7 dB); such clips would teach a closed mouth on voice."""
MIN_COMPOUND_PART = 3
"""Shortest part (letters) of a missing word split into two dictionary words (``wood|cutters``)."""

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_ORDINALS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at "}
_DOLLARS = re.compile(r"\$(\d[\d,]*(?:\.\d+)?)")
_NUMBER = re.compile(r"(\d+(?:,\d{3})*)(?:\.(\d+))?(st|nd|rd|th)?")


class AlignmentError(PosetalkError):
    """A clip that cannot be aligned; ``reason`` is a short category for counting failures
    (``no words``, ``unknown word``, ``unusable audio``, ``no alignment``, ``poor alignment``)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def cardinal_words(number: int) -> list[str]:
    """English words of a non-negative integer: 1455 -> one thousand four hundred fifty five."""
    if number < 20:
        return [_ONES[number]]
    if number < 100:
        tens, ones = divmod(number, 10)
        return [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    for scale, name in _SCALES:
        if number >= scale:
            high, rest = divmod(number, scale)
            return cardinal_words(high) + [name] + (cardinal_words(rest) if rest else [])
    raise AssertionError("unreachable")


def number_words(digits: str, decimals: str | None = None, ordinal: bool = False) -> list[str]:
    """Words of a written number: ``"1455"`` read as a year (fourteen fifty five) when it is a
    four-digit number from 1100 to 1999 with no decimals; ``decimals`` are read digit by digit
    after "point"; ``ordinal`` turns the last word into its ordinal (twenty first)."""
    value = int(digits.replace(",", ""))
    if decimals is None and not ordinal and len(digits) == 4 and 1100 <= value <= 1999 and value % 100:
        high, low = divmod(value, 100)
        words = cardinal_words(high) + (["oh"] if low < 10 else []) + cardinal_words(low)
    else:
        words = cardinal_words(value)
    if ordinal:
        last = words[-1]
        words[-1] = _ORDINALS.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    if decimals:
        words += ["point"] + [_ONES[int(d)] for d in decimals]
    return words


def normalise_transcript(text: str) -> list[str]:
    """Dictionary words of a transcript: lower case, numbers spelled out, punctuation dropped
    (apostrophes inside words are kept: ``don't``)."""
    text = _DOLLARS.sub(r"\1 dollars", text)
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    text = _NUMBER.sub(lambda m: " " + " ".join(number_words(m[1], m[2], m[3] is not None)) + " ", text)
    words = []
    for token in re.split(r"[^a-z']+", text.lower()):
        token = token.strip("'")
        if token:
            words.append(token)
    return words


@lru_cache(maxsize=1)
def _decoder() -> Decoder:
    from pocketsphinx import Decoder, get_model_path

    return Decoder(
        hmm=get_model_path("en-us/en-us"), dict=get_model_path("en-us/cmudict-en-us.dict"),
        lm=None, loglevel="FATAL",
    )


def _check_audio(audio: np.ndarray) -> None:
    if not isinstance(audio, np.ndarray) or audio.ndim != 1:
        raise AlignmentError("unusable audio", "alignment needs (S,) mono audio samples")
    if len(audio) < SAMPLE_RATE // 10:
        seconds = len(audio) / SAMPLE_RATE
        raise AlignmentError("unusable audio", f"alignment needs at least 0.1 s of audio, got {seconds:.3f} s")
    if not np.all(np.isfinite(audio)):
        raise AlignmentError("unusable audio", "alignment audio holds NaN or infinite samples")


def phone_label(name: str) -> str:
    """PocketSphinx phone symbol -> :data:`PHONES` label (SIL and noise phones such as +NSN+ -> sil)."""
    if name == "SIL" or name.startswith("+"):
        return SILENCE
    label = name.lower()
    if label not in PHONE_INDEX:
        raise PosetalkError(f"the aligner returned phone {name!r}, which is not ARPAbet")
    return label


def phone_timeline(segments: list[tuple[str, int, int]], duration: float) -> tuple[Phone, ...]:
    """(label, start frame, end frame) segments -> consecutive phones from 0 to ``duration`` s
    (what falls outside is cut off), gaps and the ends filled with sil, neighbouring silences
    merged."""
    phones: list[Phone] = []

    def append(label: str, start: float, end: float) -> None:
        if end <= start:
            return
        if phones and phones[-1].label == label == SILENCE:
            start = phones.pop().start
        phones.append(Phone(label, start, end))

    cursor = 0.0
    for label, start_frame, end_frame in segments:
        start, end = (min(max(frame / FRAME_RATE, 0.0), duration) for frame in (start_frame, end_frame))
        append(SILENCE, cursor, start)
        append(label, max(start, cursor), end)
        cursor = max(cursor, end)
    append(SILENCE, cursor, duration)
    return tuple(phones)


def _pronounce(decoder: Decoder, word: str) -> bool:
    """Whether ``word`` is in the dictionary, adding it first when it is a compound of two
    dictionary words (``woodcutters`` = ``wood`` + ``cutters``, the longest first part wins)."""
    if decoder.lookup_word(word) is not None:
        return True
    for cut in range(len(word) - MIN_COMPOUND_PART, MIN_COMPOUND_PART - 1, -1):
        head, tail = decoder.lookup_word(word[:cut]), decoder.lookup_word(word[cut:])
        if head is not None and tail is not None:
            decoder.add_word(word, f"{head} {tail}")
            return True
    return False


def _segments(decoder: Decoder, audio: np.ndarray, pad_frames: int) -> list[tuple[str, int, int]]:
    """One two-pass alignment of ``audio`` with ``pad_frames`` of padding each side: (label,
    start frame, end frame) of each phone, frames counted from the audio's start; raises
    RuntimeError when the search fails."""
    pad = np.random.default_rng(0).normal(0.0, PAD_LEVEL, (2, pad_frames * SAMPLE_RATE // FRAME_RATE))
    padded = np.concatenate([pad[0], np.clip(audio, -1.0, 1.0), pad[1]])
    pcm = np.round(padded * 32767).astype("<i2").tobytes()
    for second_pass in (False, True):
        if second_pass:
            decoder.set_alignment()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
    alignment = decoder.get_alignment()
    if alignment is None:
        raise RuntimeError("the aligner returned no alignment")
    segments = [
        (phone_label(phone.name), phone.start - pad_frames, phone.start + phone.duration - pad_frames)
        for phone in alignment.phones()
    ]
    if all(label == SILENCE for label, _, _ in segments):
        raise RuntimeError("the aligner placed no speech phone")
    return segments


def align(audio: np.ndarray, transcript: str) -> tuple[Phone, ...]:
    """Force-align speech to its transcript.

    Args:
        audio: (S,) float32 mono samples at 16 kHz, in [-1, 1].
        transcript: what is said, as plain text (case, digits and punctuation are normalised).

    Returns:
        Consecutive phones covering [0, S / 16000] s: ARPAbet labels of :data:`PHONES`,
        silences and noises as ``sil``, boundaries on PocketSphinx's 10 ms frame grid,
        stress -1 (the dictionary has none).

    Raises:
        AlignmentError: the audio is not (S,) finite samples of at least 0.1 s, the transcript has
            no words, a word is neither in the dictionary nor a compound of two that are, or the
            aligner finds no path through the transcript with any of :data:`PAD_TRIES`.
    """
    _check_audio(audio)
    words = normalise_transcript(transcript)
    if not words:
        raise AlignmentError("no words", f"transcript {transcript!r} has no words to align")
    decoder = _decoder()
    missing = sorted({word for word in words if not _pronounce(decoder, word)})
    if missing:
        raise AlignmentError("unknown word", f"not in the pronouncing dictionary: {', '.join(missing)}")
    text = " ".join(words)
    errors = []
    for pad_frames in PAD_TRIES:
        try:
            decoder.set_align_text(text)
            return phone_timeline(_segments(decoder, audio, pad_frames), len(audio) / SAMPLE_RATE)
        except RuntimeError as error:
            errors.append(str(error))
    reasons = "; ".join(sorted(set(errors)))
    raise AlignmentError("no alignment", f"could not align {text!r} ({reasons})")


def speech_energy_agreement(
    audio: np.ndarray, phones: tuple[Phone, ...], floor_db: float = LOUD_RANGE_DB,
) -> tuple[float, float]:
    """How well an alignment's speech/silence split matches the audio's loudness.

    A 10 ms frame is loud when its RMS level is within ``floor_db`` dB of the clip's loudest frame.

    Args:
        audio: (S,) float32 samples at 16 kHz.
        phones: the clip's phones.
        floor_db: loudness range counted as loud, dB below the clip's loudest frame.

    Returns:
        (fraction of speech-phone frames that are loud, fraction of loud frames under a speech
        phone). The second is near 1 for a good alignment and drops when the aligner labels voice
        as silence; the first is lower by nature (stops and fricatives are quieter than vowels)
        and drops when phones are put on silence.
    """
    hop = SAMPLE_RATE // FRAME_RATE
    frames = audio[: len(audio) // hop * hop].reshape(-1, hop).astype(np.float64)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = level > level.max() - floor_db
    centres = (np.arange(len(frames)) + 0.5) / FRAME_RATE
    speech = np.zeros(len(frames), bool)
    for phone in phones:
        if phone.label != SILENCE:
            speech[(centres >= phone.start) & (centres < phone.end)] = True
    on_loud = float(loud[speech].mean()) if speech.any() else 0.0
    covered = float(speech[loud].mean()) if loud.any() else 0.0
    return on_loud, covered


def check_alignment(audio: np.ndarray, phones: tuple[Phone, ...]) -> None:
    """Reject an alignment that labels much of the voice as silence.

    Raises:
        AlignmentError: fewer than :data:`MIN_LOUD_COVERED` of the frames within
            :data:`LOUD_RANGE_DB` of the clip's loudest lie under a speech phone.
    """
    covered = speech_energy_agreement(audio, phones)[1]
    if covered < MIN_LOUD_COVERED:
        raise AlignmentError(
            "poor alignment",
            f"only {covered:.0%} of the loud frames lie under a speech phone (at least {MIN_LOUD_COVERED:.0%} wanted)",
        )
