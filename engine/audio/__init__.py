"""Audio: decoding and resampling to 16 kHz mono, the HuBERT feature encoder."""
