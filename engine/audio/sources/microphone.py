"""A microphone source: live capture at the device's own rate and channels, 16 kHz mono out.

The capture callback (PortAudio's thread) averages the channels, resamples with a
:class:`StreamingResampler` (a few tens of microseconds per block, no locks, no I/O) and appends to
the ring under its short lock; it never logs or calls application code. A supervisor thread
watches the stream and reports.

When the device goes away (the stream ends by itself, or no block arrives for ``stall_seconds``)
the source reports ``device_lost``, closes the stream and, until the device is back, writes
silence so the ring's end keeps tracking wall time from the moment of the last block: consumers
keep getting a clock that runs in real time (the face goes idle instead of freezing), and no
consumer has to handle a stalled clock. Every ``reopen_seconds`` it looks for the device again by
the same name (or the default input, when none was named) and, once it opens, reports
``device_back``; capture then resumes where the silence stopped.

Input overflows (blocks PortAudio dropped because the callback ran late) are counted in
:attr:`MicrophoneSource.overflows` and reported as ``overflow``; they are never fatal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from posetalk.audio.io import to_mono
from posetalk.audio.resampler import StreamingResampler
from posetalk.audio.ring import AudioRingBuffer
from posetalk.audio.sources.base import StatusCallback, ThreadedSource, WallClock, logger, pad_with_silence
from posetalk.audio.sources.devices import InputBackend, InputDevice, InputStream, find_input_device
from posetalk.clock import SYSTEM_CLOCK, Clock
from posetalk.errors import PosetalkError

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class MicrophoneConfig:
    """Attributes:
    device: device index, part of its name (case-insensitive), or None for the default input.
    rate: capture rate in Hz; None for the device's native rate.
    channels: capture channels; None for all the device offers (averaged to mono).
    block_seconds: capture block length, in seconds.
    stall_seconds: a stream that delivers no block for this long counts as lost, in seconds.
    reopen_seconds: how often to look for a lost device, in seconds.
    rescan: re-initialise PortAudio while looking for a lost device, so a re-plugged one is
        found (this ends any other PortAudio stream of the process).
    """

    device: str | int | None = None
    rate: int | None = None
    channels: int | None = None
    block_seconds: float = 0.01
    stall_seconds: float = 1.0
    reopen_seconds: float = 1.0
    rescan: bool = True


class MicrophoneSource(ThreadedSource):
    """Captures a microphone into the ring (see the module docstring for device loss).

    Args:
        config: which device and how.
        on_status: called with ``device_lost``, ``device_back`` and ``overflow`` reports (also
            logged on the ``posetalk.audio`` logger), from the supervisor thread.
        backend: lists and opens devices; None for PortAudio.
        clock: the time the capture and the supervisor read, and its sleeps.

    Raises:
        PosetalkError: "no microphone: …" from the constructor when PortAudio is missing or no
            input device matches, from :meth:`start` when the device cannot be opened.
    """

    def __init__(
        self,
        config: MicrophoneConfig = MicrophoneConfig(),
        on_status: StatusCallback | None = None,
        backend: InputBackend | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(on_status, clock)
        if min(config.block_seconds, config.stall_seconds, config.reopen_seconds) <= 0:
            raise ValueError(f"microphone timings must be positive: {config}")
        if backend is None:
            from posetalk.audio.sources.portaudio import PortAudioBackend

            try:
                backend = PortAudioBackend()
            except PosetalkError as error:
                raise PosetalkError(f"no microphone: {error}") from error
        self.config = config
        self._backend = backend
        self.device = find_input_device(backend.input_devices(), config.device)
        # Looked for again by name after a loss: indices change when devices come and go.
        self._wanted = None if config.device is None else self.device.name
        self._stream: InputStream | None = None
        self._resampler: StreamingResampler  # set by _open, for the stream it opens
        self._last_block = 0.0
        self._stream_ended = False
        self.overflows = 0

    @property
    def connected(self) -> bool:
        """True while a capture stream is open."""
        return self._stream is not None

    def _prepare(self, ring: AudioRingBuffer) -> None:
        try:
            self._open(self.device)
        except PosetalkError as error:
            raise PosetalkError(f"no microphone: {error}") from error

    def stop(self) -> None:
        super().stop()
        self._close()

    def callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's capture callback: (frames, channels) float32 ``indata`` into the ring.

        ``status`` is a ``sounddevice.CallbackFlags``; only ``input_overflow`` matters here.
        """
        if status.input_overflow:
            self.overflows += 1
        self._last_block = self._clock.now()
        self.ring.write(self._resampler.process(to_mono(indata)))

    def _on_stream_finished(self) -> None:
        self._stream_ended = True

    def _open(self, device: InputDevice) -> None:
        """Open ``device`` and start capturing (PosetalkError when it cannot be opened)."""
        rate = self.config.rate or round(device.default_rate)
        channels = self.config.channels or device.channels
        self._resampler = StreamingResampler(rate, self.ring.rate)
        self._last_block = self._clock.now()
        self._stream_ended = False
        block_frames = max(1, round(rate * self.config.block_seconds))
        self._stream = self._backend.open_input(
            device, rate, channels, block_frames, self.callback, self._on_stream_finished
        )
        self.device = device

    def _close(self) -> None:
        """Close the stream and write the samples the resampler still held back."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None
            self.ring.write(self._resampler.flush())

    def _run(self, ring: AudioRingBuffer) -> None:
        silence_clock = WallClock(ring.rate, ring.end, self._clock.now())
        next_attempt = 0.0
        reported_overflows = 0
        while not self._sleep(POLL_SECONDS):
            now = self._clock.now()
            if self._stream is not None:
                stalled = now - self._last_block > self.config.stall_seconds
                if self._stream_ended or stalled:
                    silence_clock = WallClock(ring.rate, ring.end, at=self._last_block)
                    self._close()
                    next_attempt = now + self.config.reopen_seconds
                    reason = "stream ended" if self._stream_ended else f"no audio for {self.config.stall_seconds:g} s"
                    self._report(
                        "device_lost",
                        f"microphone {self.device.name!r} lost ({reason}); writing silence, "
                        f"retrying every {self.config.reopen_seconds:g} s",
                    )
            if self._stream is None:
                pad_with_silence(ring, silence_clock.due(now))
                if now >= next_attempt:
                    next_attempt = now + self.config.reopen_seconds
                    self._reopen()
            if self.overflows > reported_overflows:
                self._report("overflow", f"{self.overflows - reported_overflows} input overflow(s) (audio dropped)")
                reported_overflows = self.overflows

    def _reopen(self) -> None:
        """Look for the lost device and open it if it is there; report when it is back."""
        try:
            device = find_input_device(self._backend.input_devices(rescan=self.config.rescan), self._wanted)
            self._open(device)
        except PosetalkError as error:
            logger.debug("microphone still gone: %s", error)
            return
        self._report("device_back", f"microphone {device.name!r} back", logging.INFO)
