"""Drive a `posetalk serve --source network` face with a 16-bit WAV file, as a TTS pipeline would,
and say when a local player should start the file to stay in sync with the face.

    python clients/python/examples/send_speech.py speech.wav ws://127.0.0.1:8765/ TOKEN
"""

from __future__ import annotations

import asyncio
import sys
import time
import wave

import numpy as np

from posetalk_client import UtteranceStart, open_stream


def mono_pcm16(path: str) -> tuple[bytes, int]:
    """The file's samples as mono 16-bit little-endian PCM, and its rate."""
    with wave.open(path, "rb") as audio:
        if audio.getsampwidth() != 2:
            raise SystemExit(f"{path}: only 16-bit WAV files are read by this example")
        samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")
        channels, rate = audio.getnchannels(), audio.getframerate()
    mono = samples.reshape(-1, channels).mean(axis=1).astype("<i2")
    return mono.tobytes(), rate


async def main(path: str, url: str, token: str) -> None:
    pcm, rate = mono_pcm16(path)
    async with open_stream(url) as stream:
        await stream.subscribe(["flame"], "binary")
        acks: list[UtteranceStart] = []
        sent_at = time.monotonic()
        sending = asyncio.create_task(stream.send_utterance(pcm, token, sample_rate=rate, on_start=acks.append))
        async for frame in stream.frames():
            if acks and frame.utterance == acks[0].index:
                # Shown now, at its offset into the file: the file's start was due that much earlier.
                shown_at = time.monotonic() - frame.utterance_offset
                print(f"utterance {frame.utterance} starts at t = {acks[0].start:.3f} s on the audio clock;"
                      f" play the file {shown_at - sent_at:.3f} s after sending begins to stay in sync")
                break
        reply = await sending
        print(f"sent utterance {reply['index']}: {reply['duration']:.2f} s")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    asyncio.run(main(*sys.argv[1:]))
