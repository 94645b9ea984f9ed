"""The PortAudio capture backend (through ``sounddevice``; needs the libportaudio2 library)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from posetalk.audio.sources.devices import BlockCallback, InputDevice, InputStream
from posetalk.errors import PosetalkError


def load_sounddevice() -> ModuleType:
    """Import ``sounddevice``.

    Raises:
        PosetalkError: the package or the PortAudio library it loads is missing.
    """
    try:
        import sounddevice
    except ImportError as error:
        raise PosetalkError(f"sounddevice is not installed ({error}); pip install sounddevice") from error
    except OSError as error:
        raise PosetalkError(f"PortAudio library not found ({error}); install libportaudio2") from error
    return sounddevice


class PortAudioBackend:
    """Lists and opens capture devices through PortAudio.

    Raises:
        PosetalkError: from the constructor, when PortAudio cannot be loaded.
    """

    def __init__(self) -> None:
        self._sd = load_sounddevice()

    def input_devices(self, rescan: bool = False) -> list[InputDevice]:
        """The devices with input channels.

        PortAudio enumerates devices once, when it initialises; ``rescan`` terminates and
        re-initialises it (the only way to see a device plugged in later), which also ends every
        other PortAudio stream of this process.

        Raises:
            PosetalkError: PortAudio failed to re-initialise.
        """
        sd = self._sd
        if rescan:
            try:
                sd._terminate()
                sd._initialize()
            except sd.PortAudioError as error:
                raise PosetalkError(f"cannot re-initialise PortAudio: {error}") from error
        try:
            default_index = sd.query_devices(kind="input")["index"]
        except sd.PortAudioError:
            default_index = None
        return [
            InputDevice(
                index=info["index"],
                name=info["name"],
                channels=info["max_input_channels"],
                default_rate=info["default_samplerate"],
                is_default=info["index"] == default_index,
            )
            for info in sd.query_devices()
            if info["max_input_channels"] > 0
        ]

    def open_input(
        self,
        device: InputDevice,
        rate: int,
        channels: int,
        block_frames: int,
        callback: BlockCallback,
        on_finished: Callable[[], None],
    ) -> InputStream:
        sd = self._sd
        stream = None
        try:
            stream = sd.InputStream(
                samplerate=rate,
                blocksize=block_frames,
                device=device.index,
                channels=channels,
                dtype="float32",
                latency="low",
                callback=callback,
                finished_callback=on_finished,
            )
            stream.start()
        except (sd.PortAudioError, ValueError) as error:
            if stream is not None:
                stream.close()
            raise PosetalkError(f"cannot open input device {device.index} {device.name!r}: {error}") from error
        return stream
