"""Overlapping speech in diarization: a real two-speaker conversation built from LibriSpeech with one
stretch where both talk; the API reports it in ``speaker_overlaps``; the scoring helpers."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_isolation import wav_bytes

A, B = "speaker_sets/librispeech_test_other/1688", "speaker_sets/librispeech_test_other/2414"


def _talk(testdata, speaker: str, first: int, seconds: float) -> np.ndarray:
    from polyvox.audio import decode_audio
    from polyvox.engines.stt.diarize import speech_regions

    files = sorted((testdata / speaker).glob("*.*"))[first:first + 4]
    x = np.concatenate([decode_audio(f, target_rate=16000)[0] for f in files])
    x = np.concatenate([x[int(a * 16000):int(b * 16000)] for a, b in speech_regions(x)])
    return (x / np.sqrt(np.mean(x**2)) * 0.05)[: int(seconds * 16000)].astype(np.float32)


def _conversation(testdata, b_starts: float) -> np.ndarray:
    """A 0-6 s, B from ``b_starts`` for 4.5 s, A 11.5-16 s, B 16.5-21.5 s."""
    audio = np.zeros(22 * 16000, np.float32)
    for spk, first, t, secs in [(A, 0, 0.0, 6.0), (B, 0, b_starts, 4.5), (A, 4, 11.5, 4.5), (B, 4, 16.5, 5.0)]:
        x = _talk(testdata, spk, first, secs)
        audio[int(t * 16000):int(t * 16000) + x.shape[0]] += x
    return audio


def test_api_reports_the_overlap_with_both_speakers(live_server, testdata):
    import httpx

    audio = _conversation(testdata, b_starts=4.5)  # both talk from 4.5 to 6.0 s
    r = httpx.post(f"{live_server.base_url}/v1/speech-to-text", timeout=180,
                   headers={"xi-api-key": live_server.admin_key},
                   files={"file": ("talk.wav", wav_bytes(audio, 16000), "audio/wav")},
                   data={"model_id": "scribe_v1", "language_code": "en", "diarize": "true", "num_speakers": "2"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {w.get("speaker_id") for w in body["words"] if w["type"] == "word"} == {"speaker_0", "speaker_1"}
    overlaps = body["speaker_overlaps"]
    assert any(o["end"] > 4.5 and o["start"] < 6.0 for o in overlaps), overlaps  # the real overlap is found
    assert all(sorted(o["speaker_ids"]) == ["speaker_0", "speaker_1"] and o["end"] > o["start"] for o in overlaps)
    assert sum(o["end"] - o["start"] for o in overlaps) < 3.0  # not the whole conversation
    plain = httpx.post(f"{live_server.base_url}/v1/speech-to-text", timeout=180,
                       headers={"xi-api-key": live_server.admin_key},
                       files={"file": ("talk.wav", wav_bytes(audio[: 4 * 16000], 16000), "audio/wav")},
                       data={"model_id": "scribe_v1", "language_code": "en"})
    assert "speaker_overlaps" not in plain.json()  # only when diarizing


def test_overlap_scoring_helpers():
    from polyvox.engines.stt.diarize import Turn
    from polyvox.engines.stt.overlap import Overlap, with_overlaps
    from polyvox.eval.diarization import der, overlap_regions, overlap_score

    ref = [(0.0, 5.0, "A"), (4.0, 9.0, "B"), (8.5, 10.0, "A")]
    assert overlap_regions(ref) == [(4.0, 5.0), (8.5, 9.0)]
    sc = overlap_score(ref, [(4.5, 5.5)], total=10.0)
    assert sc.precision == pytest.approx(0.5) and sc.recall == pytest.approx(0.5 / 1.5)
    turns = [Turn(0.0, 4.5, 0), Turn(4.5, 9.0, 1), Turn(9.0, 10.0, 0)]
    more = with_overlaps(turns, [Overlap(4.0, 5.0, (0, 1))])
    assert Turn(4.5, 5.0, 0) in more and Turn(4.0, 4.5, 1) in more and len(more) == 5
    hyp = lambda ts: [(t.start, t.end, str(t.speaker)) for t in ts]
    assert der(ref, hyp(more), collar=0.0).missed < der(ref, hyp(turns), collar=0.0).missed
