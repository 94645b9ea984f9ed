"""Audio sent by clients (``--source network``; docs/protocol.md, "Audio ingest").

Between ``audio_start`` and ``audio_end`` a client's binary messages are PCM chunks; each one is
decoded and pushed at once into the streaming engine's push source (:class:`PushSource`), which
resamples to 16 kHz and keeps the audio clock running in real time, with silence when nobody
speaks. ``audio_end`` only closes the utterance: the face already follows the audio as it arrives.
Where each chunk landed on the audio clock goes into an :class:`UtteranceTimeline`, which tells the
server which utterance, and how far into it, each frame lies.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from posetalk.audio.sources import PushSource
from posetalk.server.protocol import AudioStart, ProtocolError
from posetalk.server.timeline import Span, UtterancePosition, UtteranceTimeline

MODEL_RATE = 16000
BYTES_PER_SAMPLE = {"pcm_s16le": 2, "pcm_f32le": 4}
MAX_UTTERANCE_S = 600.0


class Utterance:
    """One client's audio between ``audio_start`` and ``audio_end``, pushed chunk by chunk.

    Attributes:
        start: the ``audio_start`` request.
        index: the utterance's number (from 1).
        begins_at: the audio-clock time, in seconds, at which its first sample lies if that sample
            comes within the push source's jitter allowance (the ``audio_start`` ack's ``start``).
    """

    def __init__(
        self, start: AudioStart, push: PushSource, index: int, begins_at: float, timeline: UtteranceTimeline
    ) -> None:
        self.start = start
        self.index = index
        self.begins_at = begins_at
        self._push = push
        self._timeline = timeline
        self._width = BYTES_PER_SAMPLE[start.encoding]
        self._samples = 0
        self._max_samples = int(MAX_UTTERANCE_S * start.sample_rate)

    def add(self, chunk: bytes) -> None:
        """Decode one chunk and push it; ProtocolError if it splits a sample or overruns the limit."""
        if len(chunk) % self._width:
            raise ProtocolError("bad_message", f"audio chunk of {len(chunk)} bytes splits a sample")
        if self._samples + len(chunk) // self._width > self._max_samples:
            raise ProtocolError("too_large", f"utterance longer than {MAX_UTTERANCE_S:.0f} s")
        if self.start.encoding == "pcm_s16le":
            samples = np.frombuffer(chunk, dtype="<i2").astype(np.float32) / 32768.0
        else:
            samples = np.frombuffer(chunk, dtype="<f4")
            samples = np.clip(np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0), -1.0, 1.0)
        rate = self.start.sample_rate
        lands_at = self._push.push(samples.astype(np.float32), rate)
        if lands_at is not None:
            self._timeline.add(Span(self.index, lands_at, self._samples / rate, samples.size / rate))
        self._samples += samples.size

    def acknowledgement(self) -> dict[str, Any]:
        """The ``audio_start`` ack's fields: the utterance's index and its start on the audio clock."""
        return {"index": self.index, "start": round(self.begins_at, 6)}

    def summary(self) -> dict[str, Any]:
        """The ``utterance`` reply's fields: index, samples and duration at 16 kHz."""
        samples = round(self._samples * MODEL_RATE / self.start.sample_rate)
        return {"index": self.index, "samples": samples, "duration": samples / MODEL_RATE}


class PushIngest:
    """Where clients' utterances go: a :class:`PushSource` feeding the streaming engine, and the
    timeline of where they landed on its audio clock."""

    def __init__(self, push: PushSource) -> None:
        self.push = push
        self.timeline = UtteranceTimeline()
        self._utterances = 0

    def open_utterance(self, start: AudioStart) -> Utterance:
        """Begin an utterance from one client (numbered from 1), where the push source says the
        next audio will land."""
        self._utterances += 1
        return Utterance(start, self.push, self._utterances, self.push.begin(), self.timeline)

    def locate(self, time: float) -> UtterancePosition | None:
        """The utterance a frame at audio-clock ``time`` lies on, and its offset; None if none.
        Call it with the frames' times in increasing order."""
        return self.timeline.locate(time)
