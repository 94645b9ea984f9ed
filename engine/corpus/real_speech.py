"""Real human speech as phone-timed clips: the recordings of ``../shared/speech`` and of Debian's
``pocketsphinx-testdata``, resampled to 16 kHz and force-aligned to their transcripts.

Sources (``TimedClip.source``) and speakers (``TimedClip.speaker``):

- ``fsdd``: Free Spoken Digit Dataset, Zohar Jackson et al. (CC BY-SA 4.0; derived data stays
  CC BY-SA). ``{digit}_{speaker}_{index}.wav``, 8 kHz; the transcript is the digit's word; the
  speaker is the file name's (``jackson``, ``nicolas``, ``yweweler``, ``george``).
- ``ljspeech``: LJ Speech, Keith Ito (public domain), speaker ``lj``; the transcript is the
  normalised column of ``metadata.csv`` where the clip has a line there, else Whisper tiny.en's
  (:mod:`posetalk.corpus.transcribe`, cached in ``transcript_cache``).
- ``pocketsphinx-testdata`` (Debian package, BSD; LibriVox readings are public domain):
  ``librivox/`` (five sentences of *Sense and Sensibility*, ``transcription``) and ``cards/``
  (five card names, ``cards.transcription``). The files name no speaker; each folder is one
  recording session of one voice, so the speaker is the folder name (``librivox``, ``cards``).
  Its other recordings have no transcript (``numbers.raw``, ``something.raw``, ``goforward.raw``)
  or come from the licensed TIDIGITS corpus, and are not used.

Clips that cannot be aligned, or whose alignment labels much of the voice as silence
(:func:`~posetalk.corpus.align.check_alignment`), are skipped, each logged as a warning with its
reason, and a summary warning closes the run; pass ``skipped`` to collect (clip id, message) pairs.

Measured once on all of ``../shared/speech`` plus the testdata (2 CPU cores, 43 s with the
Whisper transcripts cached; transcribing the 24 ljspeech clips once takes about 17 s more):
1949 of 2042 clips kept, 17.1 minutes. "covered" is the mean fraction of the frames within
20 dB of a clip's loudest that lie under a speech phone (:func:`~posetalk.corpus.align.speech_energy_agreement`).

================  ========  =======  =======  ================================================
speaker           kept      minutes  covered  skipped, why
================  ========  =======  =======  ================================================
fsdd george       485/500   3.59     0.93     15 poor alignment
fsdd jackson      493/500   4.25     0.94     6 poor alignment, 1 no alignment ("six")
fsdd nicolas      433/500   2.58     0.80     66 poor alignment, 1 no alignment ("six")
fsdd yweweler     500/500   2.95     0.98
ljspeech lj       28/32     3.18     1.00     4 unknown words in Whisper transcripts
                                              (shapeliness; schofer, nepelu, panerts: misheard)
testdata cards    5/5       0.16     1.00
testdata librivox 5/5       0.41     0.99
================  ========  =======  =======  ================================================

FSDD is 8 kHz, so its /s/ is nearly inaudible to the 16 kHz model: 53 kept "six" (and a few
other) clips align to part of the word (``ih k s``: the recording starts after the /s/ or the
aligner puts it in the padding), which is what the audio holds. Nicolas's recordings are noisy
and often end a vowel early, hence the skips.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posetalk.audio.io import load_audio
from posetalk.corpus.align import AlignmentError, align, check_alignment
from posetalk.corpus.timeline import TimedClip
from posetalk.corpus.transcribe import transcribe
from posetalk.errors import PosetalkError

log = logging.getLogger(__name__)

TESTDATA_DIR = Path("/usr/share/pocketsphinx/test/data")
TESTDATA_SETS = {"librivox": "transcription", "cards": "cards.transcription"}
"""pocketsphinx-testdata folders used, and each one's transcription file."""
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
LJ_SPEAKER = "lj"

_FSDD_NAME = re.compile(r"(\d)_([a-z]+)_(\d+)\.wav")
_SPHINX_LINE = re.compile(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\(([^()]+)\)\s*")


@dataclass(frozen=True)
class Recording:
    """One real recording: ``transcript`` None when it has to be transcribed."""

    clip_id: str
    path: Path
    source: str
    speaker: str
    transcript: str | None


def _fsdd(folder: Path) -> Iterator[Recording]:
    for path in sorted(folder.glob("*.wav")):
        match = _FSDD_NAME.fullmatch(path.name)
        if match is None:
            raise PosetalkError(f"{path}: not an FSDD file name ({{digit}}_{{speaker}}_{{index}}.wav)")
        yield Recording(f"fsdd-{path.stem}", path, "fsdd", match[2], DIGIT_WORDS[int(match[1])])


def _ljspeech(folder: Path) -> Iterator[Recording]:
    metadata = folder / "metadata.csv"
    transcripts: dict[str, str] = {}
    if metadata.is_file():
        with open(metadata, newline="") as lines:
            for number, row in enumerate(csv.reader(lines, delimiter="|", quoting=csv.QUOTE_NONE), 1):
                if len(row) != 3:
                    raise PosetalkError(f"{metadata}:{number}: expected id|text|normalised text")
                transcripts[row[0]] = row[2]
    for path in sorted(folder.glob("*.wav")):
        yield Recording(f"ljspeech-{path.stem}", path, "ljspeech", LJ_SPEAKER, transcripts.get(path.stem))


def _testdata(folder: Path) -> Iterator[Recording]:
    for name, transcription in TESTDATA_SETS.items():
        listing = folder / name / transcription
        try:
            lines = listing.read_text().splitlines()
        except OSError as error:
            reason = f"cannot read ({error.strerror}); is pocketsphinx-testdata installed?"
            raise PosetalkError(f"{listing}: {reason}") from None
        for number, line in enumerate(lines, 1):
            match = _SPHINX_LINE.fullmatch(line)
            if match is None:
                raise PosetalkError(f"{listing}:{number}: expected '<s> words </s> (file id)'")
            path = folder / name / f"{match[2]}.wav"
            yield Recording(f"testdata-{name}-{match[2]}", path, "pocketsphinx-testdata", name, match[1].strip())


def recordings(speech_dir: Path, include_testdata: bool = True) -> list[Recording]:
    """Every real recording of ``speech_dir`` (its ``fsdd/`` and ``ljspeech/`` folders, whichever
    exist) and, with ``include_testdata``, of pocketsphinx-testdata.

    Raises:
        PosetalkError: ``speech_dir`` holds neither folder, or the testdata is asked for and not
            installed (``apt-get install pocketsphinx-testdata``).
    """
    speech_dir = Path(speech_dir)
    readers = {"fsdd": _fsdd, "ljspeech": _ljspeech}
    found = [name for name in readers if (speech_dir / name).is_dir()]
    if not found:
        raise PosetalkError(f"{speech_dir}: no real speech there (expected fsdd/ or ljspeech/ folders)")
    result = [recording for name in found for recording in readers[name](speech_dir / name)]
    if include_testdata:
        if not TESTDATA_DIR.is_dir():
            raise PosetalkError(f"{TESTDATA_DIR}: missing; install Debian's pocketsphinx-testdata or leave it out")
        result += list(_testdata(TESTDATA_DIR))
    return result


def real_speakers(speech_dir: Path, include_testdata: bool = True) -> list[str]:
    """Sorted speaker names of :func:`recordings`, for leave-one-speaker-out evaluation."""
    return sorted({recording.speaker for recording in recordings(speech_dir, include_testdata)})


def real_speech_clips(
    speech_dir: Path,
    speakers: set[str] | None = None,
    include_testdata: bool = True,
    transcript_cache: Path | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> Iterator[tuple[str, TimedClip]]:
    """(clip id, clip) for every real recording that aligns, in :func:`recordings` order.

    Args:
        speech_dir: the real-speech folder (``../shared/speech`` or one laid out like it).
        speakers: only these speakers' clips (names from :func:`real_speakers`); None for all.
        include_testdata: also pocketsphinx-testdata's recordings.
        transcript_cache: JSON file caching Whisper transcripts of clips without one.
        skipped: if given, (clip id, reason) of each clip that failed to align is appended.

    Raises:
        PosetalkError: as :func:`recordings`, or ``speakers`` names a speaker there is none of.
    """
    chosen = recordings(speech_dir, include_testdata)
    if speakers is not None:
        unknown = set(speakers) - {recording.speaker for recording in chosen}
        if unknown:
            raise PosetalkError(f"no recordings of speaker(s) {', '.join(sorted(unknown))} in {speech_dir}")
        chosen = [recording for recording in chosen if recording.speaker in speakers]
    untranscribed = [recording.path for recording in chosen if recording.transcript is None]
    heard = transcribe(untranscribed, transcript_cache) if untranscribed else {}
    reasons: Counter[str] = Counter()
    for recording in chosen:
        transcript = recording.transcript if recording.transcript is not None else heard[recording.path.name]
        audio = load_audio(recording.path)
        try:
            phones = align(audio, transcript)
            check_alignment(audio, phones)
        except AlignmentError as error:
            log.warning("%s: skipped, %s", recording.clip_id, error)
            reasons[error.reason] += 1
            if skipped is not None:
                skipped.append((recording.clip_id, str(error)))
            continue
        audio = np.clip(audio, -1.0, 1.0).astype(np.float32, copy=False)
        yield recording.clip_id, TimedClip(audio, phones, recording.source, recording.speaker)
    if reasons:
        summary = "; ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        log.warning("real speech: skipped %d of %d clips (%s)", sum(reasons.values()), len(chosen), summary)
