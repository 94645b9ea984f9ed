"""Model hyper-parameters, read from the ``args`` namespace stored in published checkpoints.

Published training files pickle an ``argparse.Namespace``; options added over the project's life
are missing from older files, and the published loader reads absent options as ``None`` with a few
renamed ones mapped back (``use_alignment_mask``, ``predict_head_pose``, ``use_learnable_pe``).
:func:`denoiser_config_from_args` and :func:`style_encoder_config_from_args` apply the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from posetalk.diffusion.guidance import GUIDANCE_CONDITIONS, GuidanceCondition, GuidanceMode
from posetalk.diffusion.schedules import SCHEDULE_KINDS, ScheduleKind

Target = Literal["sample", "noise"]
PadMode = Literal["zero", "replicate"]
AudioModel = Literal["hubert", "wav2vec2", "whisper"]
AUDIO_MODELS: tuple[AudioModel, ...] = ("hubert", "wav2vec2", "whisper")

EXP_DIM = 50
SHAPE_DIM = 100


class ConfigError(ValueError):
    """A checkpoint's ``args`` describe a model this engine cannot build."""


def motion_dim(predict_head_pose: bool) -> int:
    """Width of one motion frame: 50 expression + jaw pitch, + 3 head rotation values."""
    return EXP_DIM + (4 if predict_head_pose else 1)


@dataclass(frozen=True)
class DenoiserConfig:
    target: Target
    guiding_conditions: tuple[GuidanceCondition, ...]
    cfg_mode: GuidanceMode
    n_diff_steps: int
    diff_schedule: ScheduleKind
    predict_head_pose: bool
    use_style: bool
    d_style: int
    audio_model: AudioModel
    align_mask_width: int
    learnable_pe: bool
    use_indicator: bool
    feature_dim: int
    n_heads: int
    n_layers: int
    mlp_ratio: int
    n_motions: int
    n_prev_motions: int
    fps: int
    pad_mode: PadMode

    @property
    def motion_dim(self) -> int:
        return motion_dim(self.predict_head_pose)

    @property
    def person_dim(self) -> int:
        return SHAPE_DIM + (self.d_style if self.use_style else 0)


@dataclass(frozen=True)
class StyleEncoderConfig:
    predict_head_pose: bool
    feature_dim: int
    n_heads: int
    n_layers: int
    mlp_ratio: int
    n_motions: int
    fps: int

    @property
    def motion_dim(self) -> int:
        return motion_dim(self.predict_head_pose)


def _option(args: dict[str, Any], key: str) -> Any:
    """An option as the published ``NullableArgs`` reads it: absent options are None, with
    renamed options mapped back to their old spelling."""
    if key in args:
        return args[key]
    if key == "align_mask_width":
        return 1 if args.get("use_alignment_mask") else 0
    if key == "no_head_pose":
        return not args["predict_head_pose"] if "predict_head_pose" in args else None
    if key == "no_use_learnable_pe":
        return not args["use_learnable_pe"] if "use_learnable_pe" in args else None
    return None


def _required(args: dict[str, Any], key: str) -> Any:
    value = _option(args, key)
    if value is None:
        raise ConfigError(f"checkpoint args lack the option {key!r}")
    return value


def _choice(args: dict[str, Any], key: str, allowed: tuple[str, ...]) -> Any:
    value = _required(args, key)
    if value not in allowed:
        raise ConfigError(f"checkpoint option {key}={value!r} is not one of {allowed}")
    return value


def denoiser_config_from_args(args: Any) -> DenoiserConfig:
    """Build the denoiser configuration from a checkpoint's ``args`` (a Namespace or a dict)."""
    options = dict(vars(args)) if not isinstance(args, dict) else dict(args)
    if _option(options, "architecture") not in (None, "decoder"):
        raise ConfigError(f"unsupported architecture {options['architecture']!r}; only 'decoder' exists")
    if _option(options, "rot_repr") not in (None, "aa"):
        raise ConfigError(f"unsupported rotation representation {options['rot_repr']!r}; only 'aa' exists")
    conditions = _option(options, "guiding_conditions")
    conditions = tuple(c for c in (conditions.split(",") if conditions else []) if c in GUIDANCE_CONDITIONS)
    use_style = _option(options, "style_enc_ckpt") is not None
    if "style" in conditions and not use_style:
        raise ConfigError("checkpoint guides on style but was trained without a style encoder")
    return DenoiserConfig(
        target=_choice(options, "target", ("sample", "noise")),
        guiding_conditions=conditions,
        cfg_mode=_choice(options, "cfg_mode", ("incremental", "independent")),
        n_diff_steps=int(_required(options, "n_diff_steps")),
        diff_schedule=_choice(options, "diff_schedule", SCHEDULE_KINDS),
        predict_head_pose=not _option(options, "no_head_pose"),
        use_style=use_style,
        d_style=int(_option(options, "d_style") or 0) if use_style else 0,
        audio_model=_choice(options, "audio_model", AUDIO_MODELS),
        align_mask_width=int(_option(options, "align_mask_width")),
        learnable_pe=not _option(options, "no_use_learnable_pe"),
        use_indicator=bool(_option(options, "use_indicator")),
        feature_dim=int(_required(options, "feature_dim")),
        n_heads=int(_required(options, "n_heads")),
        n_layers=int(_required(options, "n_layers")),
        mlp_ratio=int(_required(options, "mlp_ratio")),
        n_motions=int(_required(options, "n_motions")),
        n_prev_motions=int(_required(options, "n_prev_motions")),
        fps=int(_required(options, "fps")),
        pad_mode=_choice(options, "pad_mode", ("zero", "replicate")),
    )


def style_encoder_config_from_args(args: Any) -> StyleEncoderConfig:
    """Build the style-encoder configuration from a style checkpoint's ``args``."""
    options = dict(vars(args)) if not isinstance(args, dict) else dict(args)
    if _option(options, "rot_repr") not in (None, "aa"):
        raise ConfigError(f"unsupported rotation representation {options['rot_repr']!r}; only 'aa' exists")
    return StyleEncoderConfig(
        predict_head_pose=not _option(options, "no_head_pose"),
        feature_dim=int(_required(options, "feature_dim")),
        n_heads=int(_required(options, "n_heads")),
        n_layers=int(_required(options, "n_layers")),
        mlp_ratio=int(_required(options, "mlp_ratio")),
        n_motions=int(_required(options, "n_motions")),
        fps=int(_required(options, "fps")),
    )
