"""espeak-ng speech with its phoneme timings, through the library's C API (ctypes).

espeak-ng (``libespeak-ng.so.1``) is driven as its public header ``speak_lib.h`` describes:
``espeak_Initialize`` with ``AUDIO_OUTPUT_SYNCHRONOUS`` and ``espeakINITIALIZE_PHONEME_EVENTS``,
a synthesis callback (``espeak_SetSynthCallback``) that receives 16-bit samples at 22050 Hz together
with the events that fall inside them, ``espeak_SetVoiceByName`` (a voice or language name with an
optional ``+variant``), ``espeak_SetParameter`` for rate, pitch and pitch range, and ``espeak_Synth``.
Each ``espeakEVENT_PHONEME`` names the phoneme that starts at its ``sample`` (the exact sample count
behind the millisecond ``audio_position``), by its espeak-ng mnemonic in ``id.string``. A phone lasts
until the next phoneme event, the last one until the end of the audio.

Mnemonics become :data:`~posetalk.corpus.timeline.PHONES` by :func:`arpabet`, see its table.
Language-switch marks (``(en)``, ``(cmn)``), which espeak-ng reports as phonemes, are left out.
The library keeps global state (one voice, one callback), so a process has one :class:`Espeak`.
That state also carries from one utterance to the next (the waveform generator's pitch-flutter
phase and cycle counters are static variables), which would make a clip depend on everything said
before it. So the process that loads the library never synthesises: each utterance is spoken in a
forked child, which starts from the same untouched state, and comes back through a pipe. Equal
text, voice and prosody then give equal audio, in any order (Linux and macOS: ``os.fork``).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posetalk.audio.io import resample
from posetalk.corpus.timeline import SAMPLE_RATE, SILENCE, Phone, TimedClip
from posetalk.errors import PosetalkError

LIBRARY = "libespeak-ng.so.1"

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _PITCH, _RANGE = 1, 3, 4
_EE_OK = 0


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT``."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))

# Voices are named by their file in espeak-ng-data/voices (what espeak_SetVoiceByName matches;
# "en" is the file of en-gb). English: espeak-ng's own accents, not the mbrola voices, which need
# mbrola installed.
ENGLISH_VOICES: tuple[str, ...] = (
    "en-us", "en-us-nyc", "en", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029",
)
# Other languages: BCP 47 code -> espeak-ng voices that speak it. Chinese is read from pinyin with
# tone digits (the packaged cmn dictionary lacks most characters and spells them in English).
LANGUAGE_VOICES: dict[str, tuple[str, ...]] = {
    "en": ENGLISH_VOICES,
    "es": ("es", "es-419"),
    "fr": ("fr", "fr-be", "fr-ch"),
    "de": ("de",),
    "it": ("it",),
    "pt": ("pt", "pt-br"),
    "ru": ("ru",),
    "hi": ("hi",),
    "ja": ("ja",),
    "ko": ("ko",),
    "zh": ("cmn-latn-pinyin",),
}
# Voice variants (espeak-ng-data/voices/!v), appended as ``voice+variant``: the numbered female and
# male ones, the Klatt-synthesiser ones and named human-sounding ones (no whisper, robot or effect
# voices).
VARIANTS: tuple[str, ...] = (
    "f1", "f2", "f3", "f4", "f5", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8",
    "klatt", "klatt2", "klatt3", "klatt4", "klatt6",
    "adam", "Andy", "Annie", "aunty", "belinda", "benjamin", "caleb", "david", "ed", "edward", "Gene",
    "grandma", "grandpa", "iven", "john", "Lee", "linda", "max", "Michael", "michel", "Mike", "norbert",
    "paul", "quincy", "rob", "robert", "sandro", "shelby", "steph", "travis", "victor", "zac",
)


@dataclass(frozen=True)
class EspeakProsody:
    """espeak-ng's speaking parameters: ``rate`` in words per minute (80-450, default 175),
    ``pitch`` base pitch and ``range`` pitch range, both 0-100 (default 50)."""

    rate: int = 175
    pitch: int = 50
    range: int = 50

    @classmethod
    def draw(cls, rng: np.random.Generator) -> EspeakProsody:
        """Random parameters: rate 120-240 wpm, pitch 25-75, range 20-90 (all uniform)."""
        return cls(int(rng.integers(120, 241)), int(rng.integers(25, 76)), int(rng.integers(20, 91)))


# Mnemonic -> ARPAbet phones, by what the mouth does. espeak-ng's per-language phoneme tables share
# an ASCII scheme (Kirshenbaum-like: ':' long, '~' nasal, ';' palatalised, '#' '-' and digits mark
# variants), so one table serves every language; the few symbols whose sound differs by language
# are in _LANGUAGE_TABLES. A value of several phones splits the phoneme's time evenly between them
# (affricates and on-glide diphthongs that ARPAbet spells with two symbols).
_TABLE: dict[str, tuple[str, ...]] = {
    # open vowels: jaw open
    "a": ("aa",), "A": ("aa",), "A:": ("aa",), "A@": ("aa",), "A#": ("aa",), "0": ("aa",), "aa": ("ae",),
    "&": ("ae",), "a#": ("ah",), "a2": ("ah",), "a#2": ("ah",),
    # mid central vowels: lips neutral
    "@": ("ah",), "@2": ("ah",), "@#": ("ah",), "V": ("ah",), "@r": ("er",), "3": ("er",),
    "3:": ("er",), "VR": ("er",), "@5": ("uh",), "@L": ("l",),
    # spread front vowels
    "i": ("iy",), "i:": ("iy",), "I": ("ih",), "I#": ("ih",), "I2": ("ih",), "i@": ("ih",), "i@3": ("ih",),
    "IR": ("ih",), "iR": ("iy",), "i.": ("ih",), "i[": ("ih",), "u-": ("ih",), "e": ("ey",), "e:": ("ey",),
    "eI": ("ey",), "ei": ("ey",), "EI": ("ey",), "E": ("eh",), "E:": ("eh",), "E#": ("eh",), "E2": ("eh",),
    "e@": ("eh",), "e#": ("eh",),
    # rounded vowels: lips rounded or protruded
    "o": ("ow",), "o:": ("ow",), "oU": ("ow",), "ou": ("ow",), "O": ("ao",), "O:": ("ao",), "O@": ("ao",),
    "o@": ("ao",), "u": ("uw",), "u:": ("uw",), "U": ("uh",), "U@": ("uh",), "UR": ("uh",), "y": ("uw",),
    "y:": ("uw",), "Y": ("ow",), "Y:": ("ow",), "W": ("ao",), "o-": ("ow",), "8": ("uh",),
    # diphthongs
    "aI": ("ay",), "ai": ("ay",), "aI@": ("ay",), "aI3": ("ay",), "aU": ("aw",), "Au": ("aw",),
    "aU@": ("aw",), "&U": ("aw",), "OI": ("oy",), "oI": ("oy",), "OY": ("oy",), "eU": ("eh", "uw"),
    "EU": ("eh", "uw"), "iU": ("iy", "uw"), "au": ("aw",), "oi": ("oy",), "ui": ("uw", "iy"), "uI": ("uw", "ih"),
    # glide + vowel (Mandarin finals, Russian iotated vowels)
    "iA": ("y", "aa"), "ia": ("y", "aa"), "ja": ("y", "aa"), "ja#": ("y", "ah"), "ju": ("y", "uw"),
    "iE": ("y", "eh"), "ie": ("y", "eh"), "iu": ("y", "uw"), "io": ("y", "ow"), "iou": ("y", "ow"),
    "iAu": ("y", "aw"), "uA": ("w", "aa"), "ua": ("w", "aa"), "uai": ("w", "ay"), "u@": ("w", "ah"),
    "uei": ("w", "ey"), "uo": ("w", "ow"),
    "y&": ("w", "ae"), "yE": ("w", "eh"), "y@": ("w", "ah"), "yu": ("uw",), "yi": ("uw",), "ong": ("uh", "ng"),
    # bilabials: lips closed
    "p": ("p",), "ph": ("p",), "b": ("b",), "m": ("m",), "B": ("b",),
    # labiodentals (and the bilabial fricative, lips near closed without the teeth): lower lip to teeth
    "f": ("f",), "v": ("v",), "p\\": ("f",), "F": ("f",), "pF": ("p", "f"),
    # dentals: tongue between the teeth
    "T": ("th",), "D": ("dh",),
    # alveolars, dentals and retroflex stops: the tongue tip, lips neutral
    "t": ("t",), "th": ("t",), "d": ("d",), "n": ("n",), "s": ("s",), "z": ("z",), "l": ("l",),
    "t#": ("t",), "t[": ("t",), "d[": ("d",), "t.": ("t",), "d.": ("d",), "n.": ("n",), "l.": ("l",),
    "ts": ("t", "s"), "tsh": ("t", "s"), "t_s": ("t", "s"), "dz": ("d", "z"), "L": ("l",), "l^": ("l",),
    "n^": ("n",),
    # postalveolars, palatals, retroflex sibilants: lips pushed out
    "S": ("sh",), "Z": ("zh",), "tS": ("ch",), "dZ": ("jh",), "S;": ("sh",), "Z;": ("zh",), "s.": ("sh",),
    "z.": ("zh",), "s\\": ("sh",), "tS;": ("ch",), "tS;h": ("ch",), "dZ;": ("jh",), "t_s\\": ("ch",),
    "d_z\\": ("jh",), "ts.": ("ch",), "ts.h": ("ch",), "c": ("ch",), "J": ("jh",),
    # rhotics (approximants, taps, trills, uvulars: what the CMU dictionary calls R) and glides; ';' is
    # espeak-ng's palatal off-glide (Russian soft consonants)
    "r": ("r",), "R": ("r",), "**": ("r",), "*": ("r",), "r`": ("r",), "r.": ("r",), "j": ("y",),
    "J^": ("y",), "_j": ("y",), ";": ("y",), "w": ("w",),
    # velars, uvulars, glottals: no visible articulation beyond the jaw
    "k": ("k",), "kh": ("k",), "g": ("g",), "N": ("ng",), "N\\": ("ng",), "q": ("k",), "G": ("g",),
    "Q": ("g",), "x": ("hh",), "X": ("hh",), "C": ("hh",), "h": ("hh",), "H": ("hh",), "?": ("hh",),
}
_LANGUAGE_TABLES: dict[str, dict[str, tuple[str, ...]]] = {
    # English 'a' is the TRAP vowel (CMU dictionary AE); elsewhere 'a' is the open central vowel.
    "en": {"a": ("ae",)},
    # German '3' is the vocalised r of "-er" (a schwa, not r-coloured).
    "de": {"3": ("ah",)},
    # Portuguese '&' is the unstressed central a, 'y' the unrounded reduced vowel, 's#' the sh sound.
    "pt": {"&": ("ah",), "y": ("ih",), "s#": ("sh",)},
}
# Trailing marks that leave the mouth's shape alone: length, nasal, palatalised, and variant marks.
_MODIFIERS = ":~;/#-_%0123456789'\"^"
# The last resort: the mnemonic's first character.
_FIRST_CHARACTER: dict[str, str] = {key: labels[0] for key, labels in _TABLE.items() if len(key) == 1}


def is_pause(mnemonic: str) -> bool:
    """espeak-ng's pause phonemes (``_``, ``_:``, ``_!``, ``_|``, ``||``...)."""
    return (mnemonic.startswith("_") and mnemonic != "_j") or mnemonic == "||"


def arpabet(mnemonic: str, language: str) -> tuple[tuple[str, ...], bool]:
    """The ARPAbet phones of an espeak-ng phoneme mnemonic, and whether a table gave them.

    Looked up in this order: the language's own table, the common table, the common table after
    dropping trailing modifier marks (``i:`` -> ``i``, ``tS;`` -> ``tS``, ``R2`` -> ``R``), then the
    first character alone (``False``: the caller counts it); a first character outside the tables
    gives ``ah``. Pauses give ``sil``.
    """
    if is_pause(mnemonic):
        return (SILENCE,), True
    own = _LANGUAGE_TABLES.get(language, {})
    stripped = mnemonic[0] + mnemonic[1:].rstrip(_MODIFIERS)
    for key in (mnemonic, stripped):
        if key in own:
            return own[key], True
        if key in _TABLE:
            return _TABLE[key], True
    return (_FIRST_CHARACTER.get(mnemonic[0], "ah"),), False


class Espeak:
    """The process's espeak-ng library; :func:`espeak` gives the one instance.

    Attributes:
        sample_rate: the library's output rate (22050 Hz).
        symbols: how many phoneme events of each (language, mnemonic) it has synthesised.
        fallbacks: the subset of ``symbols`` that no table knew (mapped by their first character).
    """

    def __init__(self) -> None:
        try:
            self._library = ctypes.CDLL(LIBRARY)
        except OSError:
            raise PosetalkError(f"espeak-ng is not installed ({LIBRARY} not found; apt install espeak-ng)") from None
        self._library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._library.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self._library.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.c_void_p, ctypes.c_void_p,
        ]
        self._library.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        self._library.espeak_Info.restype = ctypes.c_char_p
        self.sample_rate = self._library.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT
        )
        if self.sample_rate <= 0:
            raise PosetalkError("espeak-ng could not start (espeak_Initialize failed: is espeak-ng-data installed?)")
        data = ctypes.c_char_p()
        self._library.espeak_Info(ctypes.byref(data))
        # espeak_SetVoiceByName ignores a variant it cannot find, so variants are checked here.
        self._variants = Path(data.value.decode()) / "voices" / "!v"
        self._callback = _SynthCallback(self._receive)
        self._library.espeak_SetSynthCallback(self._callback)
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, str]] = []
        self.symbols: Counter[tuple[str, str]] = Counter()
        self.fallbacks: Counter[tuple[str, str]] = Counter()

    def _receive(self, samples: ctypes._Pointer, count: int, events: ctypes._Pointer) -> int:
        """The synthesis callback: keeps the samples and the phoneme events (0 = go on)."""
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(samples, (count,)).copy())
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_PHONEME and not event.id.string.startswith(b"("):
                self._events.append((event.sample, event.id.string.decode("utf-8", "replace")))
            index += 1
        return 0

    def synthesize(self, text: str, voice: str, language: str, prosody: EspeakProsody = EspeakProsody()) -> TimedClip:
        """Speak ``text`` with ``voice`` (e.g. ``en-us``, ``en-gb+f3``, ``ja``).

        Args:
            language: the BCP 47 code of ``text`` (``en``, ``ja``...), used to read the mnemonics.

        Returns:
            A clip at 16 kHz whose phones cover the audio: ``sil`` before the first phoneme, one
            phone per ARPAbet symbol of each phoneme (its time split evenly between them),
            consecutive pauses merged, phonemes of no duration dropped.

        Raises:
            PosetalkError: an unknown voice or variant, empty text or no audio produced.
        """
        if not text.strip():
            raise PosetalkError("espeak-ng: nothing to say (empty text)")
        encoded = text.encode("utf-8")
        _, plus, variant = voice.partition("+")
        if plus and not (self._variants / variant).is_file():
            raise PosetalkError(f"espeak-ng: no voice variant {variant!r} (see espeak-ng --voices=variant)")
        problem, samples, events = self._in_child(encoded, voice, prosody)
        if problem:
            raise PosetalkError(f"espeak-ng: {problem}")
        audio = np.frombuffer(samples, np.int16).astype(np.float32) / 32768.0
        phones = self._phones(events, len(audio), language)
        audio16 = np.clip(resample(audio, self.sample_rate, SAMPLE_RATE), -1.0, 1.0)
        duration = len(audio16) / SAMPLE_RATE
        phones[-1] = Phone(phones[-1].label, phones[-1].start, duration)
        return TimedClip(audio16, tuple(phones), "espeak-ng", voice, language)

    def _in_child(self, encoded: bytes, voice: str, prosody: EspeakProsody) -> tuple[str, bytes, list[tuple[int, str]]]:
        """Runs :meth:`_speak` in a forked child: (problem or "", int16 samples, phoneme events)."""
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: speak, send, exit without running the parent's cleanup
            try:
                os.close(read_end)
                try:
                    result = self._speak(encoded, voice, prosody)
                except Exception as error:  # noqa: BLE001 - any failure goes back as a message
                    result = (f"synthesis failed in the child process ({error})", b"", [])
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(pickle.dumps(result))
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        os.waitpid(pid, 0)
        if not payload:
            return "the synthesis process died", b"", []
        return pickle.loads(payload)

    def _speak(self, encoded: bytes, voice: str, prosody: EspeakProsody) -> tuple[str, bytes, list[tuple[int, str]]]:
        """Sets the voice and prosody and synthesises (in the child): (problem or "", samples, events)."""
        if self._library.espeak_SetVoiceByName(voice.encode("utf-8")) != _EE_OK:
            return f"no voice {voice!r} (see espeak-ng --voices and --voices=variant)", b"", []
        for parameter, value in ((_RATE, prosody.rate), (_PITCH, prosody.pitch), (_RANGE, prosody.range)):
            self._library.espeak_SetParameter(parameter, value, 0)
        status = self._library.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != _EE_OK or not self._chunks:
            return f"no audio for voice {voice!r} (status {status})", b"", []
        return "", np.concatenate(self._chunks).tobytes(), self._events

    def _phones(self, events: list[tuple[int, str]], n_samples: int, language: str) -> list[Phone]:
        """Phoneme events (start sample, mnemonic) -> consecutive phones in seconds."""
        bounds = [sample for sample, _ in events] + [n_samples]
        phones: list[Phone] = []
        if not events or events[0][0] > 0:
            phones.append(Phone(SILENCE, 0.0, (events[0][0] if events else n_samples) / self.sample_rate))
        for (start, mnemonic), end in zip(events, bounds[1:]):
            if end <= start:
                continue
            labels, known = arpabet(mnemonic, language)
            self.symbols[language, mnemonic] += 1
            if not known:
                self.fallbacks[language, mnemonic] += 1
            step = (end - start) / len(labels)
            for k, label in enumerate(labels):
                begin, finish = (start + k * step) / self.sample_rate, (start + (k + 1) * step) / self.sample_rate
                if label == SILENCE and phones and phones[-1].label == SILENCE:
                    phones[-1] = Phone(SILENCE, phones[-1].start, finish)
                else:
                    phones.append(Phone(label, begin, finish))
        return phones


_instance: Espeak | None = None
_instance_lock = threading.Lock()


def espeak() -> Espeak:
    """The process's :class:`Espeak` (loaded and initialised on first use)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = Espeak()
        return _instance
