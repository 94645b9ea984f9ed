"""Diffusion: schedules, samplers, classifier-free guidance, noise sources."""
