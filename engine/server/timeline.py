"""Where clients' utterances lie on the audio clock, and which utterance a frame belongs to.

Each pushed chunk of an utterance lands at a known audio-clock time (:meth:`PushSource.push`);
chunks that follow each other on the clock and in the utterance make one span. A frame lies on an
utterance when its time (the centre of its 40 ms of audio) falls inside one of the utterance's
spans; its offset is then the seconds of the utterance's audio before that instant:

    offset = span.offset + (frame time - span.start)

so for an utterance whose audio came in time (one span) ``offset = frame time - start``, the start
being the time in the ``audio_start`` acknowledgement. Silence the server had to insert because a
chunk came late lies outside every span: its frames carry no utterance, and the frames after it
keep counting the utterance's own seconds (docs/protocol.md, "Synchronised playback").
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

SPANS_KEPT = 8192
"""Spans remembered ahead of the frames (one per chunk at worst: minutes of audio)."""
CONTIGUOUS_S = 1e-6
"""Chunks this close on the clock are back to back (a 16 kHz sample is 62.5 µs)."""


@dataclass(frozen=True)
class UtterancePosition:
    """Where a frame lies in an utterance.

    Attributes:
        index: the utterance's number (from 1, as in the ``utterance`` reply).
        offset: seconds of the utterance's audio before the frame's time.
    """

    index: int
    offset: float


@dataclass(frozen=True)
class Span:
    """Seconds [offset, offset + duration) of utterance ``index``, lying at [start, start +
    duration) on the audio clock."""

    index: int
    start: float
    offset: float
    duration: float

    @property
    def end(self) -> float:
        return self.start + self.duration

    def follows(self, other: Span) -> bool:
        """True when this span continues ``other`` without a gap, on the clock and in the utterance."""
        return (
            self.index == other.index
            and abs(self.start - other.end) < CONTIGUOUS_S
            and abs(self.offset - (other.offset + other.duration)) < CONTIGUOUS_S
        )


class UtteranceTimeline:
    """The spans of every utterance not yet passed by the frames, in clock order.

    Spans are added as chunks are pushed (each lands after the one before on the clock) and looked
    up with frame times in increasing order; a lookup forgets the spans that end before it. Both
    happen on the server's event loop (not thread-safe).
    """

    def __init__(self) -> None:
        self._spans: deque[Span] = deque(maxlen=SPANS_KEPT)

    def add(self, span: Span) -> None:
        """Record a pushed chunk; one that continues the newest span extends it."""
        if self._spans and span.follows(self._spans[-1]):
            newest = self._spans.pop()
            span = Span(newest.index, newest.start, newest.offset, span.end - newest.start)
        self._spans.append(span)

    def locate(self, time: float) -> UtterancePosition | None:
        """The utterance and offset at audio-clock ``time`` (seconds); None outside every span."""
        while self._spans and self._spans[0].end <= time:
            self._spans.popleft()
        if not self._spans or time < self._spans[0].start:
            return None
        span = self._spans[0]
        return UtterancePosition(span.index, span.offset + (time - span.start))
