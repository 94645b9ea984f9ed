"""Streaming: audio time-stamped FLAME frames produced at the motion frame rate."""
