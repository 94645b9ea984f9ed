"""Mouth measures on the posed built-in head, and the lip-sync scores built from them.

Landmarks (vertices of the built-in head, found from its skin's labels, ``posetalk.rig.head.skin``):

- upper / lower lip inner mid-point: the two copies of the split lip line (``Skin.upper_slit`` and
  ``Skin.lower_slit``) in the mid-line column (x = 0). At rest they coincide; the upper one is bound
  to the neck (head) joint, the lower one to the jaw.
- mouth corners: ``Skin.corners``, the two unsplit ends of the lip line.
- upper incisal edge: the front-most vertices of the lowest row of the upper teeth (the vertices
  rigidly bound to the neck joint and coloured as teeth, ``parts.TEETH`` times a shade), averaged.

Posing uses the engine's own linear blend skinning (:func:`posetalk.rig.lbs.lbs`) on a sub-rig: the
landmarks plus the vertices the global, neck and jaw joints are regressed from, with the chain
global → neck → jaw (the eyes influence none of the landmarks). The global rotation ``pose[:, :3]``
is left out: it moves the whole head rigidly, so distances do not change, and without it "up" is
the head's own +y. Cost is linear in frames and independent of the mesh size (a few hundred
vertices), so clips of thousands of frames pose in well under a second.

All measures are in millimetres. Frames follow :mod:`posetalk.animator.segments`: frame f covers
[f / fps, (f + 1) / fps) and stands for its centre time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from posetalk.animator.segments import frames_within, long_silences
from posetalk.animator.visemes import BILABIALS, LABIODENTALS
from posetalk.corpus.timeline import Phone
from posetalk.rig.flame import N_EXP, N_SHAPE, full_pose
from posetalk.rig.head import built_in_head
from posetalk.rig.head.parts import TEETH
from posetalk.rig.head.rigging import GLOBAL, JAW, NECK
from posetalk.rig.head.skin import build_skin
from posetalk.rig.lbs import lbs

MM = 1000.0  # millimetres per metre
CHAIN = (GLOBAL, NECK, JAW)  # joints that carry the landmarks, parents first
UPPER_MID, LOWER_MID, LEFT_CORNER, RIGHT_CORNER, INCISAL_EDGE = range(5)
COLOUR_TOLERANCE = 1e-4  # teeth colours are TEETH times a scalar shade, up to float32 rounding
POSE_CHUNK = 512  # frames posed at once (bounds the memory of the per-vertex transforms)

CLOSURE_THRESHOLD_MM = 1.5  # lips count as closed below this opening
CLOSURE_MARGIN_S = 0.04  # a bilabial may close this long before its start or after its end
# The lower lip counts as touching the upper teeth below this gap. Sampled identities (±1.5) put
# the gap at 7.4-10.9 mm at rest, 6.5-10 mm in an m and 2.2-5.5 mm with the lip rolled under the
# teeth (lower_lip_roll_in 2.3, upper_lip_raise 0.7, jaw 0.03 rad).
LABIODENTAL_THRESHOLD_MM = 6.0
MIN_PAUSE_S = 0.3  # pauses at least this long must rest closed
PAUSE_EDGE_S = 0.1  # the ends of a pause left to the transitions; its middle is what is scored
OPEN_VOWELS = frozenset({"aa", "ae", "ao"})
CLOSE_VOWELS = frozenset({"iy", "ih", "uw"})


@dataclass(frozen=True, eq=False)
class _MouthRig:
    """The landmarks' sub-rig of the built-in head (float64, metres).

    Attributes:
        v_template: (N, 3) rest positions of the sub-rig's vertices.
        dirs: (N, 3, 150) shape then expression directions.
        posedirs: (N, 3, 18) pose correctives of the neck and jaw.
        j_regressor: (3, N) regressor of the chain's joints.
        weights: (N, 3) skinning weights over the chain.
        landmarks: (5,) rows of the landmarks in the sub-rig, in ``UPPER_MID..INCISAL_EDGE`` order;
            the incisal edge is the mean of ``edge_rows``.
        edge_rows: rows of the upper incisal-edge vertices.
    """

    v_template: np.ndarray
    dirs: np.ndarray
    posedirs: np.ndarray
    j_regressor: np.ndarray
    weights: np.ndarray
    landmarks: np.ndarray
    edge_rows: np.ndarray


def _incisal_edge(colors: np.ndarray, neck_weight: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Indices of the front-most vertices of the upper teeth's lowest row."""
    shade = colors @ TEETH / (TEETH @ TEETH)
    is_teeth = np.all(np.abs(colors - shade[:, None] * TEETH) < COLOUR_TOLERANCE, axis=1)
    upper = np.flatnonzero(is_teeth & (neck_weight == 1.0))
    lowest = upper[rest[upper, 1] <= rest[upper, 1].min() + 1e-9]
    return lowest[rest[lowest, 2] >= rest[lowest, 2].max() - 1e-9]


@lru_cache(maxsize=1)
def _mouth_rig() -> _MouthRig:
    head = built_in_head()
    model = head.model
    skin, _ = build_skin()
    if not np.array_equal(skin.vertices, model.v_template[: len(skin.vertices)]):
        raise RuntimeError("the built-in head's skin is not build_skin()'s: landmarks would be wrong")
    corners = skin.corners[np.argsort(-skin.vertices[skin.corners, 0])]  # left (+x) first
    edge = _incisal_edge(head.colors, model.lbs_weights[:, NECK], model.v_template)
    named = np.array([*skin.midline_lips(), *corners])
    support = np.flatnonzero(np.any(model.j_regressor[list(CHAIN)] != 0, axis=0))
    rows = np.unique(np.concatenate([named, edge, support]))
    if np.any(np.delete(model.lbs_weights[rows], CHAIN, axis=1)):
        raise RuntimeError("a landmark of the mouth is bound to a joint outside global-neck-jaw")
    chain = list(CHAIN)
    pose_columns = np.concatenate([np.arange(9) + 9 * (joint - 1) for joint in chain[1:]])
    return _MouthRig(
        v_template=model.v_template[rows],
        dirs=np.concatenate([model.shapedirs[rows], model.exprdirs[rows]], axis=2),
        posedirs=model.posedirs[rows][:, :, pose_columns],
        j_regressor=model.j_regressor[chain][:, rows],
        weights=model.lbs_weights[rows][:, chain],
        landmarks=np.searchsorted(rows, named),
        edge_rows=np.searchsorted(rows, edge),
    )


def lip_landmarks(exp: np.ndarray, pose: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Posed mouth landmarks of the built-in head in the head's frame (global rotation left out).

    Args:
        exp: (L, 50) expression coefficients.
        pose: (L, 6) global then jaw axis-angle, radians.
        shape: (100,) identity coefficients.
    Returns:
        (L, 5, 3) float64 metres: upper lip mid, lower lip mid, left corner, right corner, upper
        incisal edge.
    """
    exp = np.asarray(exp, dtype=np.float64).reshape(-1, N_EXP)
    n_frames = len(exp)
    identity = np.asarray(shape, dtype=np.float64).reshape(N_SHAPE)
    shape = np.broadcast_to(identity, (n_frames, N_SHAPE))
    joints = full_pose(np.asarray(pose, dtype=np.float64).reshape(n_frames, 6))
    chain_pose = joints[:, list(CHAIN)]
    chain_pose[:, 0] = 0.0  # the global rotation moves everything rigidly
    rig = _mouth_rig()
    parents = np.array([-1, 0, 1])
    out = np.empty((n_frames, 5, 3))
    for first in range(0, n_frames, POSE_CHUNK):
        frames = slice(first, first + POSE_CHUNK)
        coeffs = np.concatenate([shape[frames], exp[frames]], axis=1)
        vertices, _ = lbs(
            coeffs, chain_pose[frames], rig.v_template, rig.dirs, rig.posedirs,
            rig.j_regressor, parents, rig.weights,
        )
        out[frames, :INCISAL_EDGE] = vertices[:, rig.landmarks]
        out[frames, INCISAL_EDGE] = vertices[:, rig.edge_rows].mean(axis=1)
    return out


@dataclass(frozen=True)
class MouthMeasures:
    """Per-frame mouth measures, all (L,) float64 millimetres.

    Attributes:
        opening: distance between the upper and lower lip inner mid-points; 0 when the lower one
            is level with or above the upper one (lips pressed together, their lines crossed).
        width: distance between the mouth corners.
        corner_lift: mean height of the two corners above their height at rest (same identity,
            zero expression and pose); positive in a smile.
        labiodental_gap: distance from the lower lip's inner mid-point to the upper incisal edge
            (small when the lower lip is tucked under the upper teeth, as for f and v).
    """

    opening: np.ndarray
    width: np.ndarray
    corner_lift: np.ndarray
    labiodental_gap: np.ndarray


def mouth_measures(exp: np.ndarray, pose: np.ndarray, shape: np.ndarray) -> MouthMeasures:
    """All :class:`MouthMeasures` of a sequence; arguments as :func:`lip_landmarks`."""
    points = lip_landmarks(exp, pose, shape)
    rest = lip_landmarks(np.zeros((1, N_EXP)), np.zeros((1, 6)), shape)
    lips = points[:, UPPER_MID] - points[:, LOWER_MID]
    opening = np.linalg.norm(lips, axis=1) * (lips[:, 1] > 0)
    corners = points[:, [LEFT_CORNER, RIGHT_CORNER], 1].mean(axis=1)
    rest_corners = rest[0, [LEFT_CORNER, RIGHT_CORNER], 1].mean()
    return MouthMeasures(
        opening=opening * MM,
        width=np.linalg.norm(points[:, LEFT_CORNER] - points[:, RIGHT_CORNER], axis=1) * MM,
        corner_lift=(corners - rest_corners) * MM,
        labiodental_gap=np.linalg.norm(points[:, LOWER_MID] - points[:, INCISAL_EDGE], axis=1) * MM,
    )


def mouth_opening(exp: np.ndarray, pose: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """(L,) mm, :attr:`MouthMeasures.opening`."""
    return mouth_measures(exp, pose, shape).opening


def lip_width(exp: np.ndarray, pose: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """(L,) mm, :attr:`MouthMeasures.width`."""
    return mouth_measures(exp, pose, shape).width


def _reached_rate(
    values: np.ndarray, phones: tuple[Phone, ...], labels: frozenset[str], fps: float,
    threshold: float, margin: float,
) -> float:
    """Fraction of the phones labelled in ``labels`` for which ``values`` drops below
    ``threshold`` at least once in the frames of [start − margin, end + margin); NaN if none."""
    n_frames = len(values)
    hits = [
        bool(np.min(values[frames_within(p.start - margin, p.end + margin, n_frames, fps)]) < threshold)
        for p in phones
        if p.label in labels and p.start < n_frames / fps
    ]
    return float(np.mean(hits)) if hits else float("nan")


def bilabial_closure_rate(
    opening: np.ndarray, phones: tuple[Phone, ...], fps: float,
    threshold: float = CLOSURE_THRESHOLD_MM, margin: float = CLOSURE_MARGIN_S,
) -> float:
    """Fraction of p/b/m phones during which the lips close.

    A phone [start, end) counts as closed when ``opening`` (L,) mm drops below ``threshold`` in at
    least one frame whose centre lies in [start − margin, end + margin) (the frame holding the
    phone's midpoint when there is none). NaN when the clip has no bilabial.
    """
    return _reached_rate(opening, phones, BILABIALS, fps, threshold, margin)


def labiodental_contact_rate(
    gap: np.ndarray, phones: tuple[Phone, ...], fps: float,
    threshold: float = LABIODENTAL_THRESHOLD_MM, margin: float = CLOSURE_MARGIN_S,
) -> float:
    """Fraction of f/v phones during which the lower lip meets the upper teeth: the
    ``labiodental_gap`` (L,) mm below ``threshold``, frames chosen as in
    :func:`bilabial_closure_rate`. NaN when the clip has no f or v."""
    return _reached_rate(gap, phones, LABIODENTALS, fps, threshold, margin)


def closed_in_pauses_rate(
    opening: np.ndarray, phones: tuple[Phone, ...], fps: float,
    threshold: float = CLOSURE_THRESHOLD_MM, min_pause: float = MIN_PAUSE_S,
    edge: float = PAUSE_EDGE_S,
) -> float:
    """Fraction of the pauses of at least ``min_pause`` seconds in which the mouth rests closed.

    Pauses are the maximal silent intervals of :func:`posetalk.animator.segments.silences` (``sil``
    phones and gaps, merged) within the clip's L / fps seconds. A pause [start, end) counts as
    closed when ``opening`` (L,) mm stays below ``threshold`` in every frame whose centre lies in its
    middle, [start + edge, end − edge). NaN when the clip has no such pause.
    """
    pauses = long_silences(phones, len(opening) / fps, min_pause)
    closed = [
        bool(np.max(opening[frames_within(s + edge, e - edge, len(opening), fps)]) < threshold)
        for s, e in pauses
    ]
    return float(np.mean(closed)) if closed else float("nan")


@dataclass(frozen=True)
class VowelOpenings:
    """Mean mouth opening (mm) over the frames of the open vowels (aa, ae, ao) and of the close
    vowels (iy, ih, uw); NaN for a class the clip lacks. Ordered when ``open_mm > close_mm``."""

    open_mm: float
    close_mm: float

    @property
    def ordered(self) -> bool:
        return self.open_mm > self.close_mm


def vowel_openings(opening: np.ndarray, phones: tuple[Phone, ...], fps: float) -> VowelOpenings:
    """Mean ``opening`` (L,) mm over the frames of each vowel class (frames whose centre lies in the
    vowel; the frame of its midpoint for a vowel shorter than a frame)."""

    def mean_over(labels: frozenset[str]) -> float:
        frames = [
            frames_within(p.start, p.end, len(opening), fps)
            for p in phones
            if p.label in labels and p.start < len(opening) / fps
        ]
        return float(np.mean(opening[np.concatenate(frames)])) if frames else float("nan")

    return VowelOpenings(open_mm=mean_over(OPEN_VOWELS), close_mm=mean_over(CLOSE_VOWELS))
