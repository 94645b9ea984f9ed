"""The microphone source without a microphone.

Device lookup runs against real PortAudio (an ALSA virtual device defined for the test, and the
machine's own devices if any). The capture path is the source's real ``callback``, driven with
synthetic blocks and status flags exactly as PortAudio calls it. Loss and reconnection run the
real supervisor thread against a stand-in backend whose device can be unplugged and plugged back,
paced by a manual clock: each ``clock.advance`` returns once the supervisor has looked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from posetalk.audio.io import resample
from posetalk.audio.resampler import StreamingResampler
from posetalk.audio.ring import AudioRingBuffer
from posetalk.audio.sources import InputDevice, MicrophoneConfig, MicrophoneSource, SourceStatus, find_input_device
from posetalk.audio.sources.devices import BlockCallback
from posetalk.audio.sources.microphone import POLL_SECONDS
from posetalk.errors import PosetalkError
from tests.manual_clock import ManualClock

RATE = 16000
USB_MIC = InputDevice(index=3, name="USB Audio Mic: Device (hw:1,0)", channels=2, default_rate=48000.0)
BUILT_IN = InputDevice(index=0, name="HDA Intel PCH: ALC (hw:0,0)", channels=2, default_rate=44100.0, is_default=True)
USB = InputDevice(index=7, name="usb", channels=1, default_rate=16000.0)


def portaudio_or_skip() -> object:
    """The sounddevice module, or skip when it or the PortAudio library is missing."""
    try:
        import sounddevice
    except (ImportError, OSError) as error:
        pytest.skip(f"PortAudio unavailable: {error}")
    return sounddevice


def overflow_flags(sd: object) -> object:
    flags = sd.CallbackFlags()
    flags.input_overflow = True
    return flags


NO_FLAGS = SimpleNamespace(input_overflow=False)


# --- device lookup -------------------------------------------------------------------------------


def test_find_by_index_name_part_exact_name_and_default() -> None:
    devices = [BUILT_IN, USB_MIC, USB]
    assert find_input_device(devices, 3) is USB_MIC
    assert find_input_device(devices, " 3 ") is USB_MIC
    assert find_input_device(devices, "audio mic") is USB_MIC
    assert find_input_device(devices, "USB") is USB  # an exact name wins over a partial match
    assert find_input_device(devices, None) is BUILT_IN
    assert find_input_device([USB_MIC, USB], None) is USB_MIC  # no default marked: the first


def test_find_reports_what_exists() -> None:
    with pytest.raises(PosetalkError, match=r"no microphone: no input device matches 'webcam'.*3 'USB Audio Mic"):
        find_input_device([BUILT_IN, USB_MIC], "webcam")
    with pytest.raises(PosetalkError, match="no microphone: no input device matches 9"):
        find_input_device([BUILT_IN], 9)
    with pytest.raises(PosetalkError, match="no microphone: no audio input devices found"):
        find_input_device([], None)


def test_lookup_against_this_machines_portaudio_devices() -> None:
    sd = portaudio_or_skip()
    inputs = [info for info in sd.query_devices() if info["max_input_channels"] > 0]
    if not inputs:
        with pytest.raises(PosetalkError, match="no microphone"):
            MicrophoneSource()
        return
    for info in inputs:
        source = MicrophoneSource(MicrophoneConfig(device=info["index"]))
        assert (source.device.index, source.device.name) == (info["index"], info["name"])
        by_name = MicrophoneSource(MicrophoneConfig(device=info["name"].upper()))
        assert by_name.device.name.casefold() == info["name"].casefold()


def test_lookup_of_an_alsa_virtual_device(tmp_path: Path) -> None:
    """A PCM defined in ~/.asoundrc is a device PortAudio really enumerates; a fresh process
    (PortAudio reads the ALSA configuration when it initialises) lists and finds it."""
    portaudio_or_skip()
    (tmp_path / ".asoundrc").write_text(
        'pcm.posetalk_virtual_mic {\n  type null\n  hint { show on description "test" }\n}\n'
    )
    script = textwrap.dedent(
        """
        from posetalk.audio.sources import MicrophoneConfig, MicrophoneSource
        from posetalk.cli.devices import run
        run(None)
        source = MicrophoneSource(MicrophoneConfig(device="VIRTUAL_MIC"))
        print("found", source.device.index, source.device.name)
        """
    )
    env = {**os.environ, "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    if "posetalk_virtual_mic" not in result.stdout:
        pytest.skip(f"this PortAudio does not list ALSA configuration devices: {result.stdout} {result.stderr}")
    assert result.returncode == 0, result.stderr
    listed = [line for line in result.stdout.splitlines() if line.endswith("posetalk_virtual_mic")]
    index = int(listed[0].split()[-4])
    assert f"found {index} posetalk_virtual_mic" in result.stdout


def test_devices_command(capsys: pytest.CaptureFixture[str]) -> None:
    sd = portaudio_or_skip()
    from posetalk.cli import main

    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    if any(info["max_input_channels"] > 0 for info in sd.query_devices()):
        assert "* default input" in out
    else:
        assert out == "no audio input devices found\n"


# --- capture path --------------------------------------------------------------------------------


class PluggableBackend:
    """A capture backend whose devices a test plugs and unplugs; its streams never call back on
    their own: the test calls the source's callback as PortAudio's thread would."""

    def __init__(self, devices: list[InputDevice]) -> None:
        self.devices = list(devices)
        self.streams: list[SimpleNamespace] = []
        self.rescans = 0

    def input_devices(self, rescan: bool = False) -> list[InputDevice]:
        self.rescans += rescan
        return list(self.devices)

    def open_input(
        self,
        device: InputDevice,
        rate: int,
        channels: int,
        block_frames: int,
        callback: BlockCallback,
        on_finished: Callable[[], None],
    ) -> SimpleNamespace:
        if device not in self.devices:
            raise PosetalkError(f"cannot open input device {device.index} {device.name!r}: gone")
        stream = SimpleNamespace(
            device=device,
            rate=rate,
            channels=channels,
            block_frames=block_frames,
            callback=callback,
            on_finished=on_finished,
            closed=False,
        )
        stream.close = lambda: setattr(stream, "closed", True)
        self.streams.append(stream)
        return stream

    def unplug(self, device: InputDevice) -> None:
        self.devices.remove(device)


@pytest.fixture
def ring() -> AudioRingBuffer:
    return AudioRingBuffer(capacity_seconds=10.0)


@pytest.fixture
def started() -> Iterator[list[MicrophoneSource]]:
    sources: list[MicrophoneSource] = []
    yield sources
    for source in sources:
        source.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def test_callback_writes_16k_mono_seamlessly(ring: AudioRingBuffer, started: list[MicrophoneSource]) -> None:
    backend = PluggableBackend([BUILT_IN, USB_MIC])
    source = MicrophoneSource(MicrophoneConfig(device="usb audio", stall_seconds=30.0), backend=backend)
    started.append(source)
    source.start(ring)
    stream = backend.streams[0]
    assert (stream.device, stream.rate, stream.channels, stream.block_frames) == (USB_MIC, 48000, 2, 480)
    assert stream.callback == source.callback and source.connected
    t = np.arange(48000) / 48000
    left, right = np.sin(2 * np.pi * 220 * t), 0.5 * np.sin(2 * np.pi * 660 * t)
    stereo = np.stack([left, right], axis=1).astype(np.float32)
    for i in range(0, 48000, 480):
        source.callback(stereo[i : i + 480], 480, None, NO_FLAGS)
    expected = resample(stereo.mean(axis=1).astype(np.float64), 48000)
    held_back = int(np.ceil(StreamingResampler(48000).delay_seconds * RATE))
    assert RATE - held_back <= ring.end < RATE
    np.testing.assert_allclose(ring.read(0, ring.end), expected[: ring.end], atol=1e-5)


def test_overflows_are_counted_and_reported(
    ring: AudioRingBuffer, clock: ManualClock, started: list[MicrophoneSource]
) -> None:
    sd = portaudio_or_skip()
    statuses: list[SourceStatus] = []
    backend = PluggableBackend([BUILT_IN])
    config = MicrophoneConfig(stall_seconds=30.0)
    source = MicrophoneSource(config, on_status=statuses.append, backend=backend, clock=clock)
    started.append(source)
    source.start(ring)
    clock.wait_for_sleepers()
    block = np.zeros((441, 2), np.float32)
    for flags in (sd.CallbackFlags(), overflow_flags(sd), overflow_flags(sd), sd.CallbackFlags()):
        source.callback(block, 441, None, flags)
    assert source.overflows == 2 and not statuses
    clock.advance(POLL_SECONDS)
    assert [status.kind for status in statuses] == ["overflow"]
    assert "2 input overflow" in statuses[0].message
    assert source.connected and ring.end > 0


def test_unplugged_device_is_replaced_by_silence_and_reopened_by_name(
    ring: AudioRingBuffer, clock: ManualClock, started: list[MicrophoneSource]
) -> None:
    statuses: list[SourceStatus] = []
    backend = PluggableBackend([BUILT_IN, USB_MIC])
    # Supervisor looks at 0.05, 0.10, … s; reopening at the first look 0.125 s after the last try
    # never ties with a look.
    config = MicrophoneConfig(device=3, stall_seconds=5.0, reopen_seconds=0.125)
    source = MicrophoneSource(config, on_status=statuses.append, backend=backend, clock=clock)
    started.append(source)
    source.start(ring)
    clock.wait_for_sleepers()
    block = np.full((480, 2), 0.5, np.float32)
    for _ in range(10):
        backend.streams[0].callback(block, 480, None, NO_FLAGS)
    heard = ring.end
    # Unplugged: the device leaves the list and PortAudio ends the stream.
    backend.unplug(USB_MIC)
    backend.streams[0].on_finished()
    clock.advance(POLL_SECONDS)
    assert not source.connected and backend.streams[0].closed
    assert [status.kind for status in statuses] == ["device_lost"] and "stream ended" in statuses[0].message
    clock.advance(8.5 * POLL_SECONDS)  # looks up to 0.45 s: tries at 0.20 and 0.35 s
    # The clock kept running in real time from the last heard block, with silence after it.
    end = ring.end
    assert round(1000 * (end - heard) / RATE) == 450  # ms, to the last look
    assert not ring.read(heard + 50, end).any()
    assert backend.rescans == 2 and len(backend.streams) == 1
    # Plugged back in, at another index: found again by name at the next try (0.50 s).
    replugged = InputDevice(index=5, name=USB_MIC.name, channels=1, default_rate=44100.0)
    backend.devices.append(replugged)
    clock.advance(POLL_SECONDS)
    assert source.connected and backend.rescans == 3
    assert [status.kind for status in statuses] == ["device_lost", "device_back"]
    stream = backend.streams[-1]
    assert (stream.device, stream.rate, stream.channels) == (replugged, 44100, 1)
    resumed_at = ring.end
    for _ in range(20):
        stream.callback(np.full((441, 1), 0.25, np.float32), 441, None, NO_FLAGS)
    assert ring.end > resumed_at
    np.testing.assert_allclose(ring.read(resumed_at + 100, ring.end - 100), 0.25, atol=1e-3)


def test_a_stream_that_stops_calling_back_counts_as_lost(
    ring: AudioRingBuffer, clock: ManualClock, started: list[MicrophoneSource]
) -> None:
    statuses: list[SourceStatus] = []
    backend = PluggableBackend([BUILT_IN])
    config = MicrophoneConfig(stall_seconds=0.22, reopen_seconds=60.0, rescan=False)
    source = MicrophoneSource(config, on_status=statuses.append, backend=backend, clock=clock)
    started.append(source)
    source.start(ring)
    clock.wait_for_sleepers()
    clock.advance(4.5 * POLL_SECONDS)  # looks up to 0.20 s: within the allowance
    assert source.connected and not statuses
    clock.advance(POLL_SECONDS)  # the look at 0.25 s
    assert not source.connected and "no audio for 0.22 s" in statuses[0].message
    # Silence covers the stall too: the ring's end follows real time since the stream opened.
    clock.advance(2 * POLL_SECONDS)
    assert round(1000 * ring.end / RATE) == 350  # ms, to the last look


def test_open_failures_and_stop(ring: AudioRingBuffer) -> None:
    backend = PluggableBackend([USB_MIC])
    source = MicrophoneSource(MicrophoneConfig(device="usb"), backend=backend)
    backend.unplug(USB_MIC)
    with pytest.raises(PosetalkError, match="no microphone: cannot open input device 3"):
        source.start(ring)
    source.stop()
    with pytest.raises(PosetalkError, match="no microphone: no audio input devices found"):
        MicrophoneSource(backend=PluggableBackend([]))
    with pytest.raises(ValueError, match="positive"):
        MicrophoneSource(MicrophoneConfig(stall_seconds=0), backend=PluggableBackend([USB_MIC]))
    backend = PluggableBackend([USB_MIC])
    source = MicrophoneSource(MicrophoneConfig(), backend=backend)
    source.start(ring)
    with pytest.raises(RuntimeError, match="already started"):
        source.start(ring)
    assert len(backend.streams) == 1
    source.stop()
    source.stop()
    assert backend.streams[0].closed and not source.connected and not source.finished
