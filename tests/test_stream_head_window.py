"""The stream's head window (StreamConfig.head_window): the head continues the emitted head instead
of jumping at every tick, while the mouth still comes from the revised window."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from posetalk.audio.io import load_audio
from posetalk.data import SPEECH_SAMPLE
from posetalk.evaluation.mouth import mouth_measures
from posetalk.evaluation.runs import STREAM_DEFAULTS, ModelRunner
from posetalk.pipeline.model_files import load_model_files, resolve_model_files
from posetalk.stream.bench import seam_ratio
from posetalk.stream.config import StreamConfig
from posetalk.stream.generator import HEAD_ROTATION, TickPlan, with_head_from

SECONDS = 8


def _plan(n_revised: int, n_emit: int) -> TickPlan:
    return TickPlan(first_frame=20, n_emit=n_emit, n_real=n_revised + n_emit, audio_end=0, chunk_first_frame=0,
                    chunk_end_frame=40, window_first_frame=20 - n_revised)


def test_emitted_frames_take_only_their_head_rotation_from_the_head_window() -> None:
    windows = torch.zeros(2, 10, 54)
    heads = torch.arange(10 * 54, dtype=torch.float32).reshape(1, 10, 54)
    out = with_head_from(windows, heads, [(1, _plan(n_revised=3, n_emit=2))])
    expected = torch.zeros(2, 10, 54)
    expected[1, 3:5, 50:53] = heads[0, 0:2, 50:53]  # the new frames 3, 4 get the head window's first two
    assert torch.equal(out, expected) and windows.abs().sum() == 0  # the input is left as it was
    assert HEAD_ROTATION == slice(50, 53)


def test_head_window_cannot_start_from_a_warm_start() -> None:
    with pytest.raises(ValueError, match="warm_start"):
        StreamConfig(head_window=True, warm_start=0.5)


@pytest.fixture(scope="module")
def streams() -> tuple[object, object]:
    torch.set_num_threads(2)
    runner = ModelRunner(load_model_files(resolve_model_files()))
    audio = load_audio(SPEECH_SAMPLE)[: SECONDS * 16000]
    style = runner.loaded.style
    plain = runner.stream(audio, style, STREAM_DEFAULTS, seed=3)
    head = runner.stream(audio, style, replace(STREAM_DEFAULTS, head_window=True), seed=3)
    return plain, head


def test_head_window_removes_the_head_jumps_at_the_tick_seams(streams) -> None:
    plain, head = streams
    k = STREAM_DEFAULTS.frames_per_tick
    seams = list(range(k, len(plain.pose), k))
    plain_ratio = seam_ratio(np.degrees(plain.pose[:, :3]), seams)
    head_ratio = seam_ratio(np.degrees(head.pose[:, :3]), seams)
    # each tick's revised window draws the head afresh, so it jumps at the seams; the head window continues it
    assert plain_ratio > 2 * head_ratio, (plain_ratio, head_ratio)
    # and it still moves: the head window is not a frozen head
    assert np.degrees(head.pose[:, :3].std(axis=0)).max() > 0.5


def test_head_window_leaves_the_mouth_to_the_revised_window(streams) -> None:
    plain, head = streams
    opening = [mouth_measures(m.exp, m.pose, m.shape).opening for m in (plain, head)]
    assert np.corrcoef(*opening)[0, 1] > 0.9
