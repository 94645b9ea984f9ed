"""The procedural animator: phone timings and prosody to motion labels on the built-in head (training labels and the evaluation reference)."""
