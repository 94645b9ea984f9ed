"""The built-in head: a stylised face authored in code, with FLAME's parameter layout."""

from posetalk.rig.head.assemble import BuiltInHead, built_in_head

__all__ = ["BuiltInHead", "built_in_head"]
