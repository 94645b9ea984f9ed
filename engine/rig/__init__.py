"""FLAME rig: model files, linear blend skinning, the built-in head."""
