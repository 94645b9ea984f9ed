"""Writing rendered frames: an H.264 + AAC MP4 with the audio in sync, or a folder of PNGs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import av
import numpy as np

from posetalk.audio.io import DecodedAudio, resample, to_mono
from posetalk.errors import PosetalkError
from posetalk.files import atomic_write

AAC_RATES = (7350, 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
"""Sample rates AAC can carry (ISO/IEC 14496-3, sampling frequency index); others go to 48 kHz."""
AAC_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
"""FFmpeg's default channel layout for each channel count AAC can carry."""


def check_mp4_size(size: tuple[int, int]) -> None:
    """Raise :class:`PosetalkError` unless H.264 (4:2:0) can encode frames of ``size``."""
    if size[0] % 2 or size[1] % 2:
        raise PosetalkError(f"H.264 video needs an even width and height, got {size[0]}x{size[1]}")


class Mp4Writer:
    """Streams RGB frames and the matching audio into an MP4 (H.264 video, AAC audio) written to
    ``output``, a seekable binary file (:func:`mp4_file` writes one to a path).

    The audio keeps its own rate and channels (a rate AAC cannot carry is resampled to 48 kHz;
    more than 8 channels are mixed down to mono). Video frame i is shown at i / fps seconds and
    audio sample n at n / rate seconds, both from time 0, so they stay in sync; audio is written
    alongside the frames it belongs to, keeping the file interleaved.
    """

    def __init__(
        self, output: BinaryIO, size: tuple[int, int], fps: int, audio: DecodedAudio | None
    ) -> None:
        check_mp4_size(size)
        try:
            self._container = av.open(output, mode="w", format="mp4")
        except av.error.FFmpegError as error:
            raise PosetalkError(f"this FFmpeg build cannot write MP4 ({error})") from None
        self._video = self._container.add_stream("libx264", rate=fps)
        self._video.width, self._video.height = size
        self._video.pix_fmt = "yuv420p"
        self._video.options = {"preset": "veryfast", "crf": "20"}
        self._video.time_base = Fraction(1, fps)
        self._fps = fps
        self._frames = 0
        self._audio = None if audio is None else _aac_ready(audio)
        self._audio_written = 0
        if self._audio is not None:
            layout = AAC_LAYOUTS[self._audio.channels]
            self._audio_stream = self._container.add_stream("aac", rate=self._audio.rate, layout=layout)

    def write(self, image: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 frame and the audio up to its end."""
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = self._frames
        self._container.mux(self._video.encode(frame))
        self._frames += 1
        if self._audio is not None:
            self._write_audio(round(self._frames * self._audio.rate / self._fps))

    def _write_audio(self, until: int) -> None:
        audio = self._audio
        until = min(until, len(audio.samples))
        if until <= self._audio_written:
            return
        chunk = np.ascontiguousarray(audio.samples[self._audio_written : until].T)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=AAC_LAYOUTS[audio.channels])
        frame.sample_rate = audio.rate
        frame.pts = self._audio_written
        frame.time_base = Fraction(1, audio.rate)
        self._container.mux(self._audio_stream.encode(frame))
        self._audio_written = until

    def close(self) -> None:
        """Flush the encoders and finish the file."""
        if self._audio is not None:
            self._write_audio(len(self._audio.samples))
            self._container.mux(self._audio_stream.encode(None))
        self._container.mux(self._video.encode(None))
        self._container.close()

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:  # the file is being abandoned: release it without encoding the rest
            self._container.close()


@contextmanager
def mp4_file(path: Path, size: tuple[int, int], fps: int, audio: DecodedAudio | None) -> Iterator[Mp4Writer]:
    """An :class:`Mp4Writer` whose video appears at ``path`` once it is complete; a render that
    fails or is interrupted leaves ``path`` as it was (:func:`posetalk.files.atomic_write`)."""
    check_mp4_size(size)
    with atomic_write(path) as output, Mp4Writer(output, size, fps, audio) as writer:
        yield writer


def _aac_ready(audio: DecodedAudio) -> DecodedAudio:
    """``audio`` at a rate and channel count AAC carries (unchanged when it already does)."""
    samples, rate = audio.samples, audio.rate
    if samples.shape[1] not in AAC_LAYOUTS:
        samples = to_mono(samples)[:, None]
    if rate not in AAC_RATES:
        samples = np.stack([resample(channel, rate, 48000) for channel in samples.T], axis=1)
        rate = 48000
    return DecodedAudio(samples, rate)


def save_png(path: Path, image: np.ndarray) -> None:
    """Write one (H, W, 3) uint8 RGB image as a PNG (FFmpeg's encoder, no extra dependency)."""
    height, width = image.shape[:2]
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
    data = b"".join(bytes(packet) for packet in [*codec.encode(frame), *codec.encode(None)])
    Path(path).write_bytes(data)


class PngWriter:
    """Writes frames as ``frame_000000.png``, ``frame_000001.png``, … into a folder."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._folder = folder
        self._frames = 0

    def write(self, image: np.ndarray) -> None:
        save_png(self._folder / f"frame_{self._frames:06d}.png", image)
        self._frames += 1

    def close(self) -> None:
        """Nothing to flush (each frame is its own file)."""

    def __enter__(self) -> PngWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
