"""Training material for the default model: speech audio with phone timings, the procedural
animator's motion labels, and the corpus folder that holds them (training time only)."""
