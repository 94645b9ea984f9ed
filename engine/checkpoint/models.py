"""Building the networks from published training files, with one-line errors for bad files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from posetalk.audio.hubert import AudioEncoderError, build_audio_encoder, rename_weight_norm
from posetalk.audio.whisper import WhisperWeightsError, build_whisper_encoder
from posetalk.checkpoint.safe_load import load_training_file
from posetalk.diffusion.schedules import Schedule, make_schedule
from posetalk.errors import PosetalkError
from posetalk.model.config import ConfigError, denoiser_config_from_args, style_encoder_config_from_args
from posetalk.model.style_encoder import StyleEncoder
from posetalk.model.talking_head import DiffPoseTalk

AUDIO_PREFIX = "audio_encoder."
SCHEDULE_PREFIX = "diffusion_sched."
DERIVED_KEYS = ("denoising_net.TE.pe", "denoising_net.PE.pe")
"""Fixed positional tables stored in checkpoints; recomputed on load (the published loader drops
``TE.pe`` and rebuilds it too)."""
UNUSED_AUDIO_KEYS = ("masked_spec_embed",)
"""Training-only tensors of the audio encoder; absent from some files."""


def _read_checkpoint(path: Path, what: str, weights_key: str, other_kind: tuple[str, str], parse_args):
    """(config, state dict) of a training file ``{'args', weights_key, 'iter'}``.

    ``other_kind`` is (key, name) of the other checkpoint kind, to say so when given the wrong one.
    """
    data = load_training_file(path, what)
    if other_kind[0] in data and weights_key not in data:
        raise PosetalkError(f"{path}: this is a {other_kind[1]}, not a {what}")
    missing = [k for k in ("args", weights_key) if k not in data]
    if missing:
        raise PosetalkError(f"{path}: not a {what} (no {', '.join(repr(k) for k in missing)} entry)")
    try:
        config = parse_args(data["args"])
    except (ConfigError, TypeError) as error:
        raise PosetalkError(f"{path}: {error}") from None
    state = data[weights_key]
    if not isinstance(state, Mapping):
        raise PosetalkError(f"{path}: {weights_key!r} is not a state dict")
    return config, state


def _check_tensors(path: Path, module: nn.Module, state: Mapping[str, torch.Tensor], ignore: tuple[str, ...] = ()) -> None:
    """Every tensor the module needs is present with the right shape; name the first one that is not."""
    for key, expected in module.state_dict().items():
        if key.endswith(ignore):
            continue
        if key not in state:
            raise PosetalkError(f"{path}: tensor {key!r} is missing")
        if not isinstance(state[key], torch.Tensor):
            raise PosetalkError(f"{path}: entry {key!r} is not a tensor")
        if tuple(state[key].shape) != tuple(expected.shape):
            raise PosetalkError(
                f"{path}: tensor {key!r} has shape {tuple(state[key].shape)}, the model its args describe needs {tuple(expected.shape)}"
            )
        if state[key].is_floating_point() and not torch.isfinite(state[key]).all():
            raise PosetalkError(f"{path}: tensor {key!r} holds NaN or infinite values")


def _schedule(state: Mapping[str, torch.Tensor], kind, num_steps: int) -> Schedule:
    """The checkpoint's own schedule buffers when it has them (the published loader keeps them),
    otherwise the schedule its options describe."""
    names = ("betas", "alphas", "alpha_bars", "sigmas_flex", "sigmas_inflex")
    stored = [state.get(SCHEDULE_PREFIX + n) for n in names]
    if all(isinstance(s, torch.Tensor) and s.shape == (num_steps + 1,) for s in stored):
        return Schedule(*(s.float() for s in stored))
    return make_schedule(kind, num_steps)


def load_denoiser(path: str | Path, device: torch.device | str = "cpu") -> DiffPoseTalk:
    """Load a published denoiser checkpoint ``{'args', 'model', 'iter'}`` into an eval-mode model."""
    path = Path(path)
    config, state = _read_checkpoint(
        path, "denoiser checkpoint", "model", ("encoder", "style-encoder checkpoint"), denoiser_config_from_args
    )
    audio_state = {k[len(AUDIO_PREFIX) :]: v for k, v in state.items() if k.startswith(AUDIO_PREFIX)}
    try:
        if config.audio_model == "whisper":
            audio_encoder = build_whisper_encoder(audio_state)
        else:
            audio_encoder = build_audio_encoder(audio_state, config.audio_model)
    except (AudioEncoderError, WhisperWeightsError) as error:
        raise PosetalkError(f"{path}: {error}") from None
    model = DiffPoseTalk(config, audio_encoder, _schedule(state, config.diff_schedule, config.n_diff_steps))
    expected = set(model.state_dict())
    state = rename_weight_norm({k: v for k, v in state.items() if k not in DERIVED_KEYS}, expected)
    _check_tensors(path, model, state, ignore=UNUSED_AUDIO_KEYS)
    model.load_state_dict({k: v for k, v in state.items() if k in expected}, strict=False)
    return model.to(device).eval()


def load_style_encoder(path: str | Path, device: torch.device | str = "cpu") -> StyleEncoder:
    """Load a published style-encoder checkpoint ``{'args', 'encoder', 'iter'}``."""
    path = Path(path)
    config, state = _read_checkpoint(
        path, "style-encoder checkpoint", "encoder", ("model", "denoiser checkpoint"), style_encoder_config_from_args
    )
    model = StyleEncoder(config)
    _check_tensors(path, model.encoder, state)
    model.encoder.load_state_dict(dict(state), strict=False)
    return model.to(device).eval()
