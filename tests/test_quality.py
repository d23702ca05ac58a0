"""Intelligibility per engine: Harvard sentences through the service, transcribed by Whisper."""

from __future__ import annotations

import pytest

from polyvox.eval.sentences import HARVARD
from polyvox.eval.tts_eval import evaluate

THRESHOLDS = [("eleven_multilingual_v2", "21m00Tcm4TlvDq8ikWAM", 0.05), ("piper", "en_US-joe-medium", 0.10),
              ("espeak", "21m00Tcm4TlvDq8ikWAM", 0.75)]  # eSpeak: robotic; Debian espeak-ng scores the same


@pytest.mark.parametrize(("model_id", "voice_id", "limit"), THRESHOLDS, ids=[t[0] for t in THRESHOLDS])
def test_round_trip_wer(services, model_id, voice_id, limit):
    [row] = evaluate(services, cases=[(model_id, voice_id)], sentences=HARVARD[:10], whisper="base")
    assert row.wer <= limit, f"{model_id}/{voice_id}: WER {row.wer:.1%} > {limit:.0%}"
    if model_id != "espeak":
        assert row.alignment_mae_ms is not None and row.alignment_mae_ms < 150
