"""``posetalk devices``: list the audio input devices a microphone source can open."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "devices", help="list audio input devices (for the microphone source's device option)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from posetalk.audio.sources.portaudio import PortAudioBackend

    devices = PortAudioBackend().input_devices()
    if not devices:
        print("no audio input devices found")
        return 0
    print("  index  channels  rate (Hz)  name")
    for device in devices:
        marker = "*" if device.is_default else " "
        print(f"{marker} {device.index:>5}  {device.channels:>8}  {device.default_rate:>9.0f}  {device.name}")
    print("* default input")
    return 0
