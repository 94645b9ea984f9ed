"""DiffPoseTalk networks: denoiser, style encoder, the talking-head wrapper."""
