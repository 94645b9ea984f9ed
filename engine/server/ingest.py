"""``--source network``: PCM audio from clients drives the face (docs/protocol.md, "Audio ingest").

Until the streaming engine lands, each utterance is inferred offline once complete: a client sends
``audio_start``, binary PCM chunks, then ``audio_end``; the utterance is resampled to 16 kHz, queued,
inferred on a worker thread, and played in real time. Between utterances the source emits neutral
frames, so the stream (and the audio clock in ``t``) runs continuously; an utterance's frames are
stamped from the clock position where its playback starts. Latency is therefore the whole
utterance plus its inference time: honest, not real time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy.signal import resample_poly

from engine.server.protocol import AudioStart, Control, ControlAction, ProtocolError
from engine.pipeline.coefficients_file import CoefficientSequence
from engine.server.sources import FPS, PACER_CONTROLS, Pacer
from engine.stream.frame import Frame

log = logging.getLogger(__name__)

MODEL_RATE = 16000
# The model needs at least one motion frame of audio (40 ms at 25 fps).
MIN_UTTERANCE_SAMPLES = MODEL_RATE // 25
BYTES_PER_SAMPLE = {"pcm_s16le": 2, "pcm_f32le": 4}
MAX_PENDING_UTTERANCES = 8
MAX_UTTERANCE_S = 60.0


@dataclass(frozen=True)
class InferenceSettings:
    """What a control request may change for the next utterance.

    Attributes:
        style: (d_style,) style feature, or None for the model's default.
        guidance_audio: classifier-free guidance scale on audio, or None for the default.
        guidance_style: guidance scale on style, or None for the default.
    """

    style: np.ndarray | None = None
    guidance_audio: float | None = None
    guidance_style: float | None = None


# 16 kHz mono float32 audio and settings -> motion at 25 fps. Runs on a worker thread.
Infer = Callable[[np.ndarray, InferenceSettings], CoefficientSequence]


class UtteranceBuffer:
    """One client's PCM chunks between ``audio_start`` and ``audio_end``."""

    def __init__(self, start: AudioStart, max_seconds: float) -> None:
        self.start = start
        self._width = BYTES_PER_SAMPLE[start.encoding]
        self._max_bytes = int(max_seconds * start.sample_rate) * self._width
        self._chunks: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> None:
        """Append a chunk; raise ProtocolError if it splits a sample or overruns the limit."""
        if len(chunk) % self._width:
            raise ProtocolError("bad_message", f"audio chunk of {len(chunk)} bytes splits a sample")
        if self._size + len(chunk) > self._max_bytes:
            raise ProtocolError("too_large", f"utterance longer than {self._max_bytes // self._width} samples")
        self._chunks.append(chunk)
        self._size += len(chunk)

    def samples(self) -> np.ndarray:
        """(N,) float32 audio at 16 kHz in [-1, 1]; ProtocolError if shorter than one frame."""
        data = b"".join(self._chunks)
        if self.start.encoding == "pcm_s16le":
            audio = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        else:
            audio = np.nan_to_num(np.frombuffer(data, dtype="<f4"), nan=0.0, posinf=0.0, neginf=0.0)
            audio = np.clip(audio, -1.0, 1.0).astype(np.float32)
        rate = self.start.sample_rate
        if rate != MODEL_RATE:
            divisor = np.gcd(rate, MODEL_RATE)
            audio = resample_poly(audio, MODEL_RATE // divisor, rate // divisor).astype(np.float32)
        if audio.size < MIN_UTTERANCE_SAMPLES:
            raise ProtocolError("bad_message", "utterance shorter than one motion frame (40 ms)")
        return audio


@runtime_checkable
class AudioSink(Protocol):
    """A source that takes client audio."""

    def submit(self, audio: np.ndarray) -> int:
        """Queue 16 kHz audio; return the utterance id. Raise ProtocolError when busy."""
        ...


class NetworkSource:
    """Frames from audio that clients send (see the module docstring)."""

    kind = "network"

    def __init__(
        self,
        infer: Infer,
        styles: Mapping[str, np.ndarray],
        idle_shape: np.ndarray,
        fps: int = FPS,
    ) -> None:
        self._infer = infer
        self._styles = dict(styles)
        self._settings = InferenceSettings()
        self._pending: deque[tuple[int, np.ndarray]] = deque()
        self._next_id = 0
        self._idle = CoefficientSequence(
            np.zeros((1, 50), np.float32), np.zeros((1, 6), np.float32), idle_shape[None].astype(np.float32), fps
        )
        self.pacer = Pacer(fps)

    def submit(self, audio: np.ndarray) -> int:
        if len(self._pending) >= MAX_PENDING_UTTERANCES:
            raise ProtocolError("unsupported", f"{MAX_PENDING_UTTERANCES} utterances already waiting")
        self._next_id += 1
        self._pending.append((self._next_id, audio))
        return self._next_id

    async def frames(self) -> AsyncIterator[Frame]:
        clock_frames = 0  # position on the output clock, in frames
        inference: asyncio.Task[CoefficientSequence] | None = None
        try:
            while True:
                if inference is None and self._pending:
                    _, audio = self._pending.popleft()
                    inference = asyncio.create_task(asyncio.to_thread(self._infer, audio, self._settings))
                motion = self._idle
                if inference is not None and inference.done():
                    motion = self._result(inference)
                    inference = None
                async for frame in self.pacer.play(motion, clock_frames / self.pacer.fps):
                    yield frame
                clock_frames += len(motion)
        finally:
            if inference is not None:
                inference.cancel()

    def _result(self, inference: asyncio.Task[CoefficientSequence]) -> CoefficientSequence:
        """The inferred motion, or the idle frame when inference failed (logged; the stream goes on)."""
        try:
            return inference.result()
        except Exception:
            log.exception("inference of an utterance failed; it is skipped")
            return self._idle

    def supported_controls(self) -> tuple[ControlAction, ...]:
        return (*PACER_CONTROLS, "style", "guidance")

    def control(self, request: Control) -> dict[str, Any]:
        if request.action == "style":
            self._settings = self._with_style(request)
            return {}
        if request.action == "guidance":
            self._settings = replace(
                self._settings,
                guidance_audio=request.params.get("audio", self._settings.guidance_audio),
                guidance_style=request.params.get("style", self._settings.guidance_style),
            )
            return {}
        return self.pacer.control(request)

    def _with_style(self, request: Control) -> InferenceSettings:
        blend: dict[str, float] = request.params["blend"]
        unknown = sorted(set(blend) - set(self._styles))
        if unknown:
            raise ProtocolError("bad_message", f"unknown style {unknown[0]!r}", request.request_id)
        total = sum(blend.values())
        style = sum(self._styles[name] * (weight / total) for name, weight in blend.items())
        return replace(self._settings, style=np.asarray(style, dtype=np.float32))

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "styles": sorted(self._styles), "pending": len(self._pending)}
