"""Writing rendered frames: an H.264 + AAC MP4 with the audio in sync, or a folder of PNGs."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from posetalk.errors import PosetalkError

AUDIO_RATE = 16000


def check_mp4_size(size: tuple[int, int]) -> None:
    """Raise :class:`PosetalkError` unless H.264 (4:2:0) can encode frames of ``size``."""
    if size[0] % 2 or size[1] % 2:
        raise PosetalkError(f"H.264 video needs an even width and height, got {size[0]}x{size[1]}")


class Mp4Writer:
    """Streams RGB frames and the matching audio into an MP4 (H.264 video, AAC audio).

    Video frame i is shown at i / fps seconds and audio sample n at n / 16000 seconds, both from
    time 0, so they stay in sync; audio is written alongside the frames it belongs to, keeping the
    file interleaved.
    """

    def __init__(
        self, path: Path, size: tuple[int, int], fps: int, audio: np.ndarray | None
    ) -> None:
        check_mp4_size(size)
        try:
            self._container = av.open(str(path), mode="w")
        except (av.error.FFmpegError, OSError) as error:
            raise PosetalkError(f"{path}: cannot create video ({error})") from None
        self._video = self._container.add_stream("libx264", rate=fps)
        self._video.width, self._video.height = size
        self._video.pix_fmt = "yuv420p"
        self._video.options = {"preset": "veryfast", "crf": "20"}
        self._video.time_base = Fraction(1, fps)
        self._fps = fps
        self._frames = 0
        self._audio = None if audio is None else np.asarray(audio, dtype=np.float32)
        self._audio_written = 0
        if self._audio is not None:
            self._audio_stream = self._container.add_stream("aac", rate=AUDIO_RATE, layout="mono")

    def write(self, image: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 frame and the audio up to its end."""
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = self._frames
        self._container.mux(self._video.encode(frame))
        self._frames += 1
        self._write_audio(round(self._frames * AUDIO_RATE / self._fps))

    def _write_audio(self, until: int) -> None:
        if self._audio is None:
            return
        until = min(until, len(self._audio))
        if until <= self._audio_written:
            return
        chunk = self._audio[self._audio_written : until]
        frame = av.AudioFrame.from_ndarray(chunk[None], format="flt", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._audio_written
        frame.time_base = Fraction(1, AUDIO_RATE)
        self._container.mux(self._audio_stream.encode(frame))
        self._audio_written = until

    def close(self) -> None:
        if self._audio is not None:
            self._write_audio(len(self._audio))
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
        self.close()


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
