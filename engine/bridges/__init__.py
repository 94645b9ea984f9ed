"""Bridges: drive other software with the mapped frames (VTube Studio, VMC and iFacialMocap receivers).

Each bridge consumes an async iterator of :class:`MappedFrame` (:func:`mapped_frames` turns a
frame source into one) for ``posetalk bridge``; the iFacialMocap sender also takes frames one by
one, from ``live``'s frame-bus subscription (:func:`~posetalk.bridges.feed.relay`) and from
``serve``'s server tap.
"""

from posetalk.bridges.feed import MappedFrame, mapped_frames

__all__ = ["MappedFrame", "mapped_frames"]
