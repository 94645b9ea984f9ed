"""Training the default model: streaming-style audio features, the denoiser and style-encoder objectives, checkpoints."""
