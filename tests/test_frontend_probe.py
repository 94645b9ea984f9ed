"""The front-end probe: viseme labels, stream-causal features, the classifiers on real TTS speech."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posetalk.corpus.timeline import PHONES
from posetalk.corpus.tts import held_out_tts_clips, tts_clips
from posetalk.data import DATA_DIR
from posetalk.evaluation.frontends import StreamCut, mel_chunks, n_frames, pocketsphinx_phones, stream_ticks, whisper_features
from posetalk.evaluation.probe import (
    CLASS_OF,
    VISEMES,
    LinearProbe,
    chance,
    fit_mel_encoder,
    frame_labels,
    mel_data,
    predict_mel,
    scores,
    feature_set,
)
from posetalk.evaluation.runs import STREAM_DEFAULTS
from posetalk.pipeline.model_files import load_model_files, resolve_model_files
from tests.animator_clips import SENTENCE, make_clip, phones_from

CUT = StreamCut.of(n_motions=25, n_prev_motions=10, fps=25, config=STREAM_DEFAULTS)


@pytest.fixture(scope="module")
def encoder():
    """The shipped model's frozen Whisper tiny.en encoder."""
    torch.set_num_threads(1)
    return load_model_files(resolve_model_files(DATA_DIR / "model")).model.audio_encoder.eval()


@pytest.fixture(scope="module")
def tts():
    """Half a minute of the training TTS voices and 20 s of held-out ones."""
    return list(tts_clips(0, 0.5)), list(held_out_tts_clips(0, 0.33))


def test_every_phone_has_one_viseme_and_frames_take_the_phone_under_their_centre() -> None:
    assert set(CLASS_OF) == set(PHONES) and len(VISEMES) == 15
    phones = phones_from([("sil", 0.1), ("p", 0.1), ("aa", 0.2)])
    silence, bilabial, open_vowel = CLASS_OF["sil"], CLASS_OF["p"], CLASS_OF["aa"]
    # frame centres 0.02, 0.06, ..., 0.38 s; past the last phone is silence
    expected = [silence] * 2 + [bilabial] * 3 + [open_vowel] * 5 + [silence]
    np.testing.assert_array_equal(frame_labels(phones, 11, 25), expected)


def test_scores_by_hand() -> None:
    labels = np.array([0, 0, 0, 1])
    result = scores(np.array([0, 0, 0, 0]), labels)
    assert result.accuracy == pytest.approx(0.75) and result.balanced == pytest.approx(0.5) and result.frames == 4


def test_ticks_cover_every_frame_once_as_the_stream_emits_them() -> None:
    n_samples = 16000 * 3 + 123
    ticks = list(stream_ticks(n_samples, CUT))
    emitted = [f for tick in ticks for f in range(tick.first, tick.first + tick.n_emit)]
    assert emitted == list(range(n_frames(n_samples, 25)))
    for tick in ticks:
        assert tick.chunk.heard_end <= 640 * (tick.first + CUT.frames_per_tick) + CUT.lookahead
        assert tick.chunk.first_frame <= tick.first and tick.chunk.end_frame >= tick.first + tick.n_emit


def test_features_never_hear_past_the_lookahead(encoder) -> None:
    audio = make_clip(SENTENCE, tail=0.3).audio
    changed = audio.copy()
    cut_at = 16000 * 1
    # the samples after cut_at shuffled: the clip's mean and variance (its normalisation) stay put
    changed[cut_at:] = np.random.default_rng(0).permutation(audio[cut_at:])
    before, after = whisper_features(encoder, audio, CUT), whisper_features(encoder, changed, CUT)
    blind = [f for tick in stream_ticks(len(audio), CUT) if tick.chunk.heard_end <= cut_at
             for f in range(tick.first, tick.first + tick.n_emit)]
    assert len(blind) == (cut_at - CUT.lookahead) // 640 // 2 * 2
    np.testing.assert_allclose(before[blind], after[blind], atol=1e-5)
    assert np.abs(before[blind[-1] + 4 :] - after[blind[-1] + 4 :]).mean() > 0.1


def test_probes_tell_visemes_of_voices_they_never_heard(encoder, tts) -> None:
    train, test = tts
    tests = {"held-out tts": test}
    floor = chance(tests, train, 25).tests["held-out tts"].accuracy

    def features(clip_id: str, audio: np.ndarray) -> np.ndarray:
        return whisper_features(encoder, audio, CUT)

    probe = LinearProbe(iterations=100).fit(*feature_set(train, features, 25))
    x, y = feature_set(test, features, 25)
    whisper = scores(probe.predict(x), y)
    mel = scores(*predict_mel(fit_mel_encoder(mel_data(train, CUT), epochs=4, seed=0), mel_data(test, CUT)))
    assert whisper.accuracy > floor + 0.2 and whisper.balanced > 2 / len(VISEMES)
    assert mel.accuracy > floor + 0.1


def test_mel_chunks_match_the_ticks() -> None:
    audio = make_clip(SENTENCE).audio
    mels, frames = mel_chunks(audio, CUT)
    ticks = list(stream_ticks(len(audio), CUT))
    assert mels.shape == (len(ticks), 80, (CUT.n_context + CUT.n_motions) * 4) and frames.shape == (len(ticks), 2)
    assert np.all(frames[:-1] >= 0) and np.all(frames < CUT.n_context + CUT.n_motions)


def test_pocketsphinx_hears_speech_where_there_is_speech(tts) -> None:
    _, test = tts
    clip = max((c for _, c in test if c.language == "en"), key=lambda c: len(c.audio))
    heard = frame_labels(pocketsphinx_phones(clip.audio), n_frames(len(clip.audio), 25), 25)
    true = frame_labels(clip.phones, len(heard), 25)
    speech = true != CLASS_OF["sil"]
    assert np.mean(heard[speech] != CLASS_OF["sil"]) > 0.7
    assert np.mean(heard[speech] == true[speech]) > 2 / len(VISEMES)


def test_report_is_strict_json_and_a_table() -> None:
    import json

    from posetalk.evaluation.probe import ProbeResult, Scores
    from posetalk.evaluation.probe_report import probe_json, probe_text

    results = [ProbeResult("whisper tiny.en", "tts", {"held-out real": Scores(0.5, 0.25, 10)}, float("nan"))]
    assert json.loads(json.dumps(probe_json(results), allow_nan=False))[0]["ms_per_second"] is None
    cells = [cell.strip() for cell in probe_text(results).splitlines()[2].split("|")[1:-1]]
    assert cells == ["whisper tiny.en", "tts", "0.50", "0.25", "—"]
