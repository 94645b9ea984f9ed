"""posetalk: a real-time streaming speech-driven FLAME avatar engine built on DiffPoseTalk."""

__version__ = "0.1.0"
