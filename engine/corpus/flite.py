"""flite speech with its phone timings: ``flite -voice V -t TEXT -o out.wav -psdur``.

``-psdur`` prints every segment of the utterance as ``name:end`` (end time in seconds) after
synthesis; segments are consecutive from 0. The voices speak the CMU phone set (ARPAbet in lower
case with ``ax``, ``pau`` and a few allophones), which :func:`cmu_phone` maps onto
:data:`~posetalk.corpus.timeline.PHONES`. Durations are stretched with the ``duration_stretch``
feature and the pitch moved with ``int_f0_target_mean`` (which the rms voice ignores). The
diphone voice ``kal`` speaks at 8 kHz (upsampled here, so it carries no energy above 4 kHz), the
others at 16 kHz. The last pause can end after the audio (the diphone voices cut it short): times
are clipped to the audio.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from posetalk.audio.io import resample
from posetalk.corpus.timeline import PHONE_INDEX, SAMPLE_RATE, SILENCE, Phone, TimedClip
from posetalk.errors import PosetalkError

# The US English voices flite ships (flite -lv), less awb_time, a limited-domain voice that only
# speaks the time of day.
VOICES: tuple[str, ...] = ("kal", "kal16", "awb", "rms", "slt")
# Their mean pitch (Hz) as flite sets it; pitch shifts scale it.
_F0_MEAN: dict[str, float] = {"kal": 100.0, "kal16": 100.0, "awb": 120.0, "rms": 105.0, "slt": 170.0}
# CMU phone-set symbols that are not PHONES themselves.
_CMU_EXTRA: dict[str, str] = {
    "pau": SILENCE, "h#": SILENCE, "brth": SILENCE, "ax": "ah", "axr": "er", "ix": "ih", "dx": "d",
    "nx": "n", "el": "l", "em": "m", "en": "n", "hv": "hh",
}


def cmu_phone(symbol: str) -> str:
    """A CMU phone-set symbol (flite, festival) -> a label of PHONES (stress digits dropped).

    Raises:
        PosetalkError: a symbol outside the CMU phone set.
    """
    bare = symbol.lower().rstrip("012")
    label = _CMU_EXTRA.get(bare, bare)
    if label not in PHONE_INDEX:
        raise PosetalkError(f"phone {symbol!r} is not in the CMU phone set")
    return label


def phones_from_ends(segments: list[tuple[str, float, int]], duration: float) -> tuple[Phone, ...]:
    """(CMU symbol, end time in s, stress) of consecutive segments from 0 -> phones clipped to
    ``duration`` (s), consecutive silences merged, the last phone stretched to the end."""
    phones: list[Phone] = []
    start = 0.0
    for symbol, end, stress in segments:
        end = min(end, duration)
        if end <= start:
            continue
        label = cmu_phone(symbol)
        if label == SILENCE and phones and phones[-1].label == SILENCE:
            phones[-1] = Phone(SILENCE, phones[-1].start, end)
        else:
            phones.append(Phone(label, start, end, stress))
        start = end
    if not phones:
        return (Phone(SILENCE, 0.0, duration),)
    if start < duration:
        last = phones[-1]
        phones[-1] = Phone(last.label, last.start, duration, last.stress)
    return tuple(phones)


@dataclass(frozen=True)
class FliteProsody:
    """``duration_stretch``: factor on every duration (1 = the voice's own, >1 slower);
    ``semitones``: pitch shift of the voice's mean pitch."""

    duration_stretch: float = 1.0
    semitones: float = 0.0

    @classmethod
    def draw(cls, rng: np.random.Generator) -> FliteProsody:
        """Random parameters: stretch 0.8-1.3, pitch -3 to +3 semitones (uniform)."""
        return cls(float(rng.uniform(0.8, 1.3)), float(rng.uniform(-3.0, 3.0)))


def flite_clip(text: str, voice: str, prosody: FliteProsody = FliteProsody()) -> TimedClip:
    """Speak English ``text`` with a flite ``voice`` (one of :data:`VOICES`).

    Raises:
        PosetalkError: flite is not installed, the voice is unknown, the text is empty or flite failed.
    """
    if voice not in VOICES:
        raise PosetalkError(f"flite has no voice {voice!r}; known: {', '.join(VOICES)}")
    if not text.strip():
        raise PosetalkError("flite: nothing to say (empty text)")
    program = shutil.which("flite")
    if program is None:
        raise PosetalkError("flite is not installed (apt install flite)")
    f0 = _F0_MEAN[voice] * 2.0 ** (prosody.semitones / 12.0)
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        command = [
            program, "-voice", voice, "--setf", f"duration_stretch={prosody.duration_stretch:.4f}",
            "--setf", f"int_f0_target_mean={f0:.2f}", "-psdur", "-t", text, "-o", str(wav),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not wav.is_file():
            raise PosetalkError(f"flite failed for voice {voice!r}: {result.stderr.strip() or result.returncode}")
        samples, rate = soundfile.read(wav, dtype="float32")
    audio = np.clip(resample(samples, rate, SAMPLE_RATE), -1.0, 1.0)
    segments = []
    for token in result.stdout.split():
        symbol, _, end = token.rpartition(":")
        segments.append((symbol, float(end), -1))
    if not segments:
        raise PosetalkError(f"flite printed no segments for voice {voice!r}")
    return TimedClip(audio, phones_from_ends(segments, len(audio) / SAMPLE_RATE), "flite", voice, "en")
