"""festival speech with its phone timings: a Scheme script on ``festival --pipe``.

The script selects the voice, sets its prosody, synthesises a ``Text`` utterance, saves the wave
and prints every item of the ``Segment`` relation with its ``end`` feature (seconds), whether it is
a vowel (``ph_vc``) and its syllable's lexical stress (``R:SylStructure.parent.stress``, 0 or 1).
Segments are consecutive from 0 and use the CMU ("radio") phone set, mapped by
:func:`posetalk.corpus.flite.cmu_phone`.

Voices are Debian's festvox packages: ``festvox-kallpc16k`` (kal_diphone), ``festvox-kdlpc16k``
(ked_diphone) and ``festvox-us-slt-hts`` (cmu_us_slt_arctic_hts, 32 kHz, the same speaker as
flite's slt). Diphone voices stretch durations with ``Duration_Stretch`` and move pitch with the
intonation model's ``target_f0_mean``; the HTS voice takes a speed factor (hts_engine ``-r``) and
keeps its own pitch (its ``-fm`` shift has no effect through festival).
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
from posetalk.corpus.flite import phones_from_ends
from posetalk.corpus.timeline import SAMPLE_RATE, TimedClip
from posetalk.errors import PosetalkError

VOICES: tuple[str, ...] = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
# The diphone voices' intonation model parameters (from their voice definitions); pitch shifts
# scale the target mean.
_DIPHONE_F0: dict[str, tuple[float, float]] = {"kal_diphone": (105.0, 14.0), "ked_diphone": (105.0, 15.0)}
_TIMEOUT_S = 120


@dataclass(frozen=True)
class FestivalProsody:
    """``duration_stretch``: factor on every duration (>1 slower); ``semitones``: pitch shift of
    the diphone voices' mean pitch (the HTS voice ignores it)."""

    duration_stretch: float = 1.0
    semitones: float = 0.0

    @classmethod
    def draw(cls, rng: np.random.Generator) -> FestivalProsody:
        """Random parameters: stretch 0.8-1.3, pitch -3 to +3 semitones (uniform)."""
        return cls(float(rng.uniform(0.8, 1.3)), float(rng.uniform(-3.0, 3.0)))


def _scheme_string(text: str) -> str:
    """``text`` as a Scheme string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _script(text: str, voice: str, prosody: FestivalProsody, wav: Path) -> str:
    if voice in _DIPHONE_F0:
        mean, spread = _DIPHONE_F0[voice]
        mean *= 2.0 ** (prosody.semitones / 12.0)
        setup = (
            f"(Parameter.set 'Duration_Stretch {prosody.duration_stretch:.4f})\n"
            f"(set! int_lr_params '((target_f0_mean {mean:.2f}) (target_f0_std {spread:.2f})"
            " (model_f0_mean 170) (model_f0_std 34)))\n"
        )
    else:
        speed = 1.0 / prosody.duration_stretch
        setup = f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {speed:.4f}))))\n'
    return (
        f"(voice_{voice})\n{setup}"
        f"(set! utt (utt.synth (Utterance Text {_scheme_string(text)})))\n"
        f"(utt.save.wave utt {_scheme_string(str(wav))} 'riff)\n"
        "(mapcar (lambda (s) (format t \"SEG %s %f %s %s\\n\" (item.name s) (item.feat s \"end\")"
        " (item.feat s \"ph_vc\") (item.feat s \"R:SylStructure.parent.stress\")))"
        " (utt.relation.items utt 'Segment))\n"
    )


def festival_clip(text: str, voice: str, prosody: FestivalProsody = FestivalProsody()) -> TimedClip:
    """Speak English ``text`` with a festival ``voice`` (one of :data:`VOICES`); vowels carry
    their syllable's stress (0 or 1), other phones -1.

    Raises:
        PosetalkError: festival or the voice is not installed, the text is empty or festival failed.
    """
    if voice not in VOICES:
        raise PosetalkError(f"festival has no voice {voice!r}; known: {', '.join(VOICES)}")
    if not text.strip():
        raise PosetalkError("festival: nothing to say (empty text)")
    program = shutil.which("festival")
    if program is None:
        raise PosetalkError("festival is not installed (apt install festival festvox-kallpc16k)")
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        result = subprocess.run(
            [program, "--pipe"], input=_script(text, voice, prosody, wav), capture_output=True, text=True,
            timeout=_TIMEOUT_S, check=False,
        )
        if not wav.is_file():
            reason = next((line for line in result.stderr.splitlines() if line.strip()), f"exit {result.returncode}")
            raise PosetalkError(f"festival failed for voice {voice!r} (is its festvox package installed?): {reason}")
        samples, rate = soundfile.read(wav, dtype="float32")
    audio = np.clip(resample(samples, rate, SAMPLE_RATE), -1.0, 1.0)
    segments = []
    for line in result.stdout.splitlines():
        fields = line.split()
        if len(fields) == 5 and fields[0] == "SEG":
            _, symbol, end, vowel, stress = fields
            segments.append((symbol, float(end), int(stress) if vowel == "+" else -1))
    if not segments:
        raise PosetalkError(f"festival printed no segments for voice {voice!r}")
    return TimedClip(audio, phones_from_ends(segments, len(audio) / SAMPLE_RATE), "festival", voice, "en")
