"""Bridges: drive other software with the mapped frames (VTube Studio, VMC receivers).

Each bridge consumes an async iterator of :class:`MappedFrame` (:func:`mapped_frames` turns a
frame source into one), so ``posetalk bridge`` and, later, ``posetalk live`` feed them the same way.
"""

from posetalk.bridges.feed import MappedFrame, mapped_frames

__all__ = ["MappedFrame", "mapped_frames"]
