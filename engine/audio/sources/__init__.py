"""Audio sources: what feeds the :class:`~posetalk.audio.ring.AudioRingBuffer`, the master clock.

Every source writes 16 kHz mono float32 and keeps the ring's end tracking wall time:

- :class:`MicrophoneSource` — live capture; writes silence while its device is gone and reopens it.
- :class:`FileSource` — a file in real time (or as fast as possible); closes the ring at its end.
- :class:`PushSource` — audio pushed by other threads (network ingest); silence when none comes.
- :class:`SilenceSource` — the clock alone.

Each one follows :class:`AudioSource`: ``start(ring)`` returns at once, ``stop()`` joins, and
``finished`` says whether it has ended. Status (device lost or back, overflows, end of file) goes to
an optional ``on_status`` callback and to the ``posetalk.audio`` logger.
"""

from posetalk.audio.sources.base import AudioSource, SourceStatus, StatusCallback, StatusKind
from posetalk.audio.sources.devices import InputDevice, find_input_device
from posetalk.audio.sources.file import FileConfig, FileSource
from posetalk.audio.sources.microphone import MicrophoneConfig, MicrophoneSource
from posetalk.audio.sources.push import PushConfig, PushSource
from posetalk.audio.sources.silence import SilenceConfig, SilenceSource

__all__ = [
    "AudioSource",
    "FileConfig",
    "FileSource",
    "InputDevice",
    "MicrophoneConfig",
    "MicrophoneSource",
    "PushConfig",
    "PushSource",
    "SilenceConfig",
    "SilenceSource",
    "SourceStatus",
    "StatusCallback",
    "StatusKind",
    "find_input_device",
]
