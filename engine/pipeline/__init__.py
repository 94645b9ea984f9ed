"""Offline pipelines: windowed inference over a whole clip, style extraction."""
