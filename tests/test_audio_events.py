"""Audio-event tagging beyond Whisper: real music and noise recordings put between real speech
must come back as ``audio_event`` words at the right time; clean read speech gets none."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import wer
from tests.test_isolation import wav_bytes
from tests.test_stt import _manifest

SPEECH = ["read_speech_en/ljspeech/LJ001-0001.wav", "read_speech_en/cmu_arctic/cmu_us_aew_arctic_a0003.wav"]
SOUNDS = {
    "music": ["noise/music/Kevin_MacLeod_-_Vibe_Ace.hq.ogg",
              "noise/music/Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).hq.ogg"],
    "noise": ["noise/freesound/rain.wav", "noise/freesound/typing.wav",
              "noise/speech_commands_bg/doing_the_dishes.wav", "noise/speech_commands_bg/exercise_bike.wav"],
    "crowd": ["noise/freesound/crowd_cheering.wav"],
}


def _load(testdata, rel, seconds=None):
    from polyvox.audio import decode_audio

    x, _ = decode_audio(testdata / rel, target_rate=16000)
    return x if seconds is None else x[: int(seconds * 16000)]


def _sandwich(testdata, sound_rel, level_db=-26.0, seconds=5.0):
    """speech, 0.5 s pause, ``seconds`` of the sound at ``level_db`` dBFS, 0.5 s pause, speech."""
    a, b = (_load(testdata, p) for p in SPEECH)
    s = _load(testdata, sound_rel, seconds)
    s = s / np.sqrt(np.mean(s**2)) * 10 ** (level_db / 20)
    pause = np.zeros(8000, np.float32)
    start = a.shape[0] / 16000 + 0.5
    return np.concatenate([a, pause, s, pause, b]).astype(np.float32), (start, start + seconds)


@pytest.mark.parametrize("kind", sorted(SOUNDS))
def test_detector_finds_each_kind_where_it_is(testdata, kind):
    from polyvox.engines.stt.events import detect_events

    for rel in SOUNDS[kind]:
        audio, (t0, t1) = _sandwich(testdata, rel)
        speech = [(0.0, t0 - 0.5), (t1 + 0.5, audio.shape[0] / 16000)]
        events = detect_events(audio, speech)
        assert [e.kind for e in events] == [kind], (rel, events)
        assert abs(events[0].start - t0) < 1.3 and abs(events[0].end - t1) < 0.5, (rel, events)


def test_no_events_on_clean_read_speech_or_a_meeting(testdata):
    from polyvox.engines.stt.diarize import speech_regions
    from polyvox.engines.stt.events import detect_events

    clips = sorted((testdata / "read_speech_en").glob("*/*.wav"))[:20]
    clips += [testdata / "conversation/ami_ES2004a_60s/mixture.wav"]
    for path in clips:
        x = _load(testdata, path.relative_to(testdata))
        assert detect_events(x, speech_regions(x)) == [], path.name


def test_transcript_gets_a_music_event_between_the_words(services, testdata):
    from polyvox.services.stt import SttRequest, SttService

    stt = services.component(SttService)
    audio, (t0, t1) = _sandwich(testdata, SOUNDS["music"][0])
    ref = " ".join(_manifest(testdata, "read_speech_en")[p.split("/", 1)[1]] for p in SPEECH)
    res = stt.transcribe_array(audio, stt.plan(SttRequest(language_code="en")))
    events = [w for w in res.words if w.type == "audio_event"]
    assert [e.text for e in events] == ["(music)"]
    assert abs(events[0].start - t0) < 1.0 and abs(events[0].end - t1) < 1.0
    words = [w for w in res.words if w.type == "word"]
    assert max(w.end for w in words if w.start < t0) <= events[0].start
    assert min(w.start for w in words if w.start > t1) >= events[0].end
    assert res.text == "".join(w.text for w in res.words) and "(music)" in res.text
    assert wer(ref, " ".join(w.text for w in words)) <= 0.1
    plain = stt.transcribe_array(audio, stt.plan(SttRequest(language_code="en", tag_audio_events=False)))
    assert all(w.type != "audio_event" for w in plain.words)


def test_api_clean_speech_has_no_events(live_server, testdata):
    import httpx

    x = _load(testdata, "read_speech_en/jfk/jfk_inaugural_1961_excerpt.flac")
    r = httpx.post(f"{live_server.base_url}/v1/speech-to-text", timeout=120,
                   headers={"xi-api-key": live_server.admin_key},
                   files={"file": ("jfk.wav", wav_bytes(x, 16000), "audio/wav")},
                   data={"model_id": "scribe_v1", "language_code": "en"})
    assert r.status_code == 200, r.text
    kinds = {w["type"] for w in r.json()["words"]}
    assert kinds == {"word", "spacing"}
