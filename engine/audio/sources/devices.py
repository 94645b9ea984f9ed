"""Input devices: what a capture backend lists and opens, and how a user's choice finds one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from posetalk.errors import PosetalkError


@dataclass(frozen=True)
class InputDevice:
    """One capture device as the backend enumerates it.

    Attributes:
        index: the backend's device index (it may change when devices come and go).
        name: the device's name, as shown to users.
        channels: the most input channels it offers.
        default_rate: its native sample rate, in Hz.
        is_default: True for the system's default input.
    """

    index: int
    name: str
    channels: int
    default_rate: float
    is_default: bool = False


# PortAudio's callback: (frames, channels) float32 block, frame count, timing info, status flags.
BlockCallback = Callable[[np.ndarray, int, Any, Any], None]


class InputStream(Protocol):
    """An open capture stream that calls its callback from its own thread once started."""

    def start(self) -> None: ...

    def close(self) -> None:
        """Stop the stream; once this returns the callback is not called again."""
        ...


class InputBackend(Protocol):
    """Lists and opens capture devices (PortAudio in production)."""

    def input_devices(self, rescan: bool = False) -> list[InputDevice]:
        """The capture devices; ``rescan`` re-enumerates them (devices plugged in since)."""
        ...

    def open_input(
        self,
        device: InputDevice,
        rate: int,
        channels: int,
        block_frames: int,
        callback: BlockCallback,
        on_finished: Callable[[], None],
    ) -> InputStream:
        """Open and start a float32 stream; ``on_finished`` runs if the stream ends by itself.

        Raises:
            PosetalkError: the device cannot be opened with these settings.
        """
        ...


def find_input_device(devices: Sequence[InputDevice], wanted: str | int | None) -> InputDevice:
    """The device a user asked for.

    ``wanted`` is a device index (an int or a string of digits), part of a device name
    (case-insensitive; an exact name wins over a partial one, then the first listed), or None for
    the default input (the first device when none is marked default).

    Raises:
        PosetalkError: "no microphone: …" when nothing matches.
    """
    if not devices:
        raise PosetalkError("no microphone: no audio input devices found")
    if wanted is None:
        return next((device for device in devices if device.is_default), devices[0])
    if isinstance(wanted, int) or wanted.strip().isdigit():
        index = int(wanted)
        for device in devices:
            if device.index == index:
                return device
    else:
        key = wanted.strip().casefold()
        exact = [device for device in devices if device.name.casefold() == key]
        partial = [device for device in devices if key in device.name.casefold()]
        if exact or partial:
            return (exact or partial)[0]
    listed = ", ".join(f"{device.index} {device.name!r}" for device in devices)
    raise PosetalkError(f"no microphone: no input device matches {wanted!r} (inputs: {listed})")
