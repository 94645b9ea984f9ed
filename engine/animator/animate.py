"""The procedural animator: a phone-timed clip to FLAME-layout motion of the built-in head.

Mouth from coarticulated phone targets (:mod:`posetalk.animator.coarticulation`), the jaw's opening
in ``pose[3]`` (pitch only), the head's rotation and the brows from prosody
(:mod:`posetalk.animator.prosody`), blinks at random intervals, and a resting smile or frown, each
scaled by a :class:`~posetalk.animator.style.StyleParams`. Frame f covers [f / fps, (f + 1) / fps)
and is sampled at its centre; a clip of ``duration`` seconds has floor(duration · fps) frames.
Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posetalk.animator.coarticulation import articulate
from posetalk.animator.prosody import analyse, brow_activity, head_rotation
from posetalk.animator.segments import frame_centres, frame_count
from posetalk.animator.signals import pulse
from posetalk.animator.style import StyleParams
from posetalk.animator.visemes import CHANNELS, JAW
from posetalk.corpus.timeline import TimedClip
from posetalk.rig.flame import N_EXP, N_SHAPE
from posetalk.rig.head.blendshapes import EXPRESSIONS

EXPRESSION_INDEX = {name: i for i, name in enumerate(EXPRESSIONS)}
JAW_PITCH = 3  # pose[3]: the jaw's rotation about x
# Blinks: ~150 ms, closing faster than opening; intervals gamma-distributed around 60 / rate.
BLINK_CLOSE_S = 0.05
BLINK_OPEN_S = 0.10
BLINK_SHAPE = 3.0  # gamma shape of the intervals (1 would be Poisson; larger is more regular)
BLINK_MIN_GAP_S = 0.6
# Resting expression at |smile| = 1 (coefficients).
SMILE_GAIN = 1.6
SMILE_SQUINT = 0.25  # a little squint with a smile
FROWN_GAIN = 1.2
# Brows at brow_activity 1 and a full pitch peak (coefficients).
BROW_RAISE_GAIN = 1.0
BROW_INNER_GAIN = 0.3


@dataclass(frozen=True)
class Animation:
    """Motion of the built-in head at ``fps``.

    Attributes:
        exp: (L, 50) float32 expression coefficients.
        pose: (L, 6) float32 global axis-angle (radians) then jaw axis-angle (pitch only).
        shape: (100,) float32 identity.
        fps: frames per second.
    """

    exp: np.ndarray
    pose: np.ndarray
    shape: np.ndarray
    fps: int


def blink_curve(times: np.ndarray, rate_per_minute: float, rng: np.random.Generator) -> np.ndarray:
    """(L,) eyelid closure in [0, 1] at ``times`` (frame centres): blinks of about 150 ms at random
    gamma-distributed intervals averaging 60 / ``rate_per_minute`` s, each peaking on a frame
    centre so the lids close fully."""
    curve = np.zeros(len(times))
    if len(times) == 0:
        return curve
    mean_gap = 60.0 / rate_per_minute
    scale = mean_gap / BLINK_SHAPE
    moment = float(rng.uniform(0.0, mean_gap))
    while moment < times[-1]:
        peak = times[np.argmin(np.abs(times - moment))]
        curve = np.maximum(curve, pulse(times, peak, BLINK_CLOSE_S, BLINK_OPEN_S))
        moment += max(BLINK_MIN_GAP_S, float(rng.gamma(BLINK_SHAPE, scale)))
    return curve


def animate(
    clip: TimedClip, style: StyleParams, fps: int = 25, seed: int = 0,
    identity: np.ndarray | None = None,
) -> Animation:
    """Animate the built-in head to ``clip``.

    Args:
        clip: speech with its phones.
        style: how the speaker moves.
        fps: frame rate.
        seed: seeds the random parts (drift, blinks); equal inputs give equal outputs.
        identity: (100,) shape coefficients, zeros (the default head) when omitted.
    Returns:
        the :class:`Animation`, L = floor(duration · fps) frames.
    """
    rng = np.random.default_rng(seed)
    n_frames = frame_count(clip.duration, fps)
    times = frame_centres(n_frames, fps)
    tracks = articulate(
        clip.phones, clip.duration, n_frames, fps, style.crispness, style.mouth_amplitude
    )
    exp = np.zeros((n_frames, N_EXP))
    pose = np.zeros((n_frames, 6))
    for channel, name in enumerate(CHANNELS):
        if channel == JAW:
            pose[:, JAW_PITCH] = tracks[:, channel]
        else:
            exp[:, EXPRESSION_INDEX[name]] = tracks[:, channel]

    prosody = analyse(clip.audio, n_frames, fps)
    pose[:, :3] = head_rotation(
        prosody, clip.phones, clip.duration, fps, rng, style.head_amplitude, style.head_tempo
    )
    brows = style.brow_activity * brow_activity(prosody, clip.phones, clip.duration, fps)
    exp[:, EXPRESSION_INDEX["brow_raise"]] += BROW_RAISE_GAIN * brows
    exp[:, EXPRESSION_INDEX["brow_inner_raise"]] += BROW_INNER_GAIN * brows
    exp[:, EXPRESSION_INDEX["blink"]] = blink_curve(times, style.blink_rate, rng)
    if style.smile >= 0:
        exp[:, EXPRESSION_INDEX["smile"]] += SMILE_GAIN * style.smile
        exp[:, EXPRESSION_INDEX["squint"]] += SMILE_SQUINT * style.smile
    else:
        exp[:, EXPRESSION_INDEX["frown"]] += FROWN_GAIN * -style.smile

    shape = np.zeros(N_SHAPE) if identity is None else np.asarray(identity).reshape(N_SHAPE)
    return Animation(
        exp=exp.astype(np.float32), pose=pose.astype(np.float32),
        shape=shape.astype(np.float32), fps=fps,
    )
