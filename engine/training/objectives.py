"""The training objectives: DiffPoseTalk's denoiser losses (Sun et al. 2024, sec. 3.3) and the
style encoder's contrastive loss (sec. 3.1; supervised contrastive form of Khosla et al. 2020).

Denoiser, on x_0 predictions of a window (weights per frame: frames past a sequence's end are
excluded; frames the stream has not heard yet count less, since the stream never emits them):
- ``simple``: squared error of the predicted motion;
- ``vertex``: squared distance (mm^2) of the mouth vertices of the built-in head, averaged over them;
- ``lip_gap``: squared error (mm^2) of the vector between the inner lip mid-points, with frames
  whose target lips are closed weighted ``closed_boost`` times more: an averaged vertex loss barely
  sees a 3 mm gap left in a 60 ms p/b/m closure, while a viewer sees nothing else;
- ``velocity``: squared error of frame-to-frame differences, the first one taken from the last
  prefix frame, so windows join smoothly (the window-transition term);
- ``smooth``: squared second differences of the prediction;
- ``head``: squared error (deg^2) of the head's global rotation vector. In the normalised motion
  the head is 3 of 54 dimensions and its error is dwarfed by the mouth's mm^2 terms, so without it
  the model learned a fifth of the animator's head motion.

The style encoder's contrastive loss is joined by ``head_style``: a linear read-out of its feature
must predict its persona's head statistics (:func:`persona_head_statistics`), so that personas that
differ only in how the head moves get features apart (contrastive learning alone placed lively_head
and calm_head next to neutral).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from posetalk.checkpoint.arrays import CoefficientStats
from posetalk.model.config import EXP_DIM
from posetalk.training.rig_loss import MouthVertices

HEAD = slice(EXP_DIM, EXP_DIM + 3)
"""The global head rotation (axis-angle) in a motion frame with head pose."""
JAW = EXP_DIM + 3
"""Index of the jaw pitch in a motion frame with head pose."""


@dataclass(frozen=True)
class LossWeights:
    simple: float = 1.0
    vertex: float = 2.0
    velocity: float = 1.0
    smooth: float = 0.1
    lip_gap: float = 1.0
    head: float = 1.0
    closed_boost: float = 4.0
    """Extra weight (times the frame's) of the lip-gap error where the target lips are closed."""
    unheard: float = 0.3
    """Frame weight of frames without heard audio, relative to heard ones."""


CLOSED_GAP_MM = 1.5
"""Target lips count as closed below this gap (the evaluation's closure threshold)."""


def frame_weights(valid: torch.Tensor, indicator: torch.Tensor, unheard: float) -> torch.Tensor:
    """(B, L) weights: 0 past the end, ``unheard`` without audio, 1 with."""
    return valid * (indicator + (1 - indicator) * unheard)


def _weighted_mean(error: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """error (B, L, ...) summed over trailing dims, averaged with (B, L) weights."""
    per_frame = error.flatten(2).sum(-1) if error.ndim > 2 else error
    return (per_frame * weights).sum() / weights.sum().clamp(min=1.0)


def denoiser_losses(
    predicted: torch.Tensor, target: torch.Tensor, prev_last: torch.Tensor, weights: torch.Tensor,
    stats: CoefficientStats, mouth: MouthVertices, lw: LossWeights,
) -> dict[str, torch.Tensor]:
    """The loss terms and their weighted ``total``.

    Args:
        predicted, target: (B, L, 54) normalised motion.
        prev_last: (B, 1, 54) the last prefix frame the window continues from.
        weights: (B, L) frame weights.
    """
    simple = _weighted_mean((predicted - target) ** 2, weights)

    def vertices(motion: torch.Tensor) -> torch.Tensor:
        exp_std, exp_mean = (torch.as_tensor(getattr(stats, n), device=motion.device) for n in ("exp_std", "exp_mean"))
        exp = motion[..., :EXP_DIM] * exp_std + exp_mean
        jaw = motion[..., JAW] * float(stats.pose_std[3]) + float(stats.pose_mean[3])
        return mouth(exp, jaw) * 1000.0

    head_std_deg = torch.as_tensor(stats.pose_std[:3], device=predicted.device) * (180.0 / torch.pi)
    head = _weighted_mean(((predicted[..., HEAD] - target[..., HEAD]) * head_std_deg) ** 2, weights)
    posed_pred, posed_true = vertices(predicted), vertices(target)
    vertex = _weighted_mean(((posed_pred - posed_true) ** 2).sum(-1).mean(-1), weights)
    gap_true = mouth.lip_gap(posed_true)
    closed = (gap_true.norm(dim=-1) < CLOSED_GAP_MM).float()
    lip_gap = _weighted_mean(((mouth.lip_gap(posed_pred) - gap_true) ** 2).sum(-1) * (1 + lw.closed_boost * closed),
                             weights)
    with_prev_pred = torch.cat([prev_last, predicted], dim=1)
    with_prev_true = torch.cat([prev_last, target], dim=1)
    velocity = _weighted_mean((with_prev_pred.diff(dim=1) - with_prev_true.diff(dim=1)) ** 2, weights)
    smooth = _weighted_mean(F.pad(with_prev_pred.diff(n=2, dim=1) ** 2, (0, 0, 1, 0)), weights)
    total = (lw.simple * simple + lw.vertex * vertex + lw.lip_gap * lip_gap + lw.velocity * velocity
             + lw.smooth * smooth + lw.head * head)
    return {"total": total, "simple": simple, "vertex": vertex, "lip_gap": lip_gap, "velocity": velocity,
            "smooth": smooth, "head": head}


def supervised_contrastive(features: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss (Khosla et al. 2020, eq. 2) of (N, d) features with (N,) labels:
    each clip is pulled towards the other clips of its persona and pushed from the rest."""
    z = F.normalize(features, dim=-1)
    similarity = z @ z.T / temperature
    self_mask = torch.eye(len(z), dtype=torch.bool, device=z.device)
    similarity = similarity.masked_fill(self_mask, float("-inf"))
    log_prob = similarity - similarity.logsumexp(dim=1, keepdim=True)
    positives = (labels[:, None] == labels[None, :]) & ~self_mask
    per_anchor = -(log_prob.masked_fill(~positives, 0.0).sum(1)) / positives.sum(1).clamp(min=1)
    return per_anchor[positives.any(1)].mean()


def persona_head_statistics(motions: list[list[np.ndarray]], persona_of: list[tuple[int, ...]], n_personas: int,
                            ) -> np.ndarray:
    """(P, 2) standardised head statistics of each persona over all its animations: the log RMS
    deviation of the head rotation from each animation's mean (how far it moves) and the log RMS
    frame-to-frame change (how fast), in normalised units; personas without animations get 0.

    Args:
        motions: per sequence, per animation, (L, 54) normalised motion.
        persona_of: per sequence, the persona index of each animation.
    """
    deviation, speed, count = np.zeros(n_personas), np.zeros(n_personas), np.zeros(n_personas)
    for tracks, owners in zip(motions, persona_of, strict=True):
        for track, p in zip(tracks, owners, strict=True):
            head = track[:, HEAD].astype(np.float64)
            deviation[p] += ((head - head.mean(0)) ** 2).sum(1).sum()
            speed[p] += (np.diff(head, axis=0) ** 2).sum(1).sum()
            count[p] += len(head)
    seen = count > 0
    raw = np.zeros((n_personas, 2))
    raw[seen] = 0.5 * np.log(np.stack([deviation[seen], speed[seen]], 1) / count[seen, None] + 1e-12)
    mean, std = raw[seen].mean(0), raw[seen].std(0) + 1e-6
    return np.where(seen[:, None], (raw - mean) / std, 0.0).astype(np.float32)

