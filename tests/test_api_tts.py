"""HTTP text to speech through the official ElevenLabs SDK (2.x) and raw HTTP, on real engines."""

from __future__ import annotations

import base64
import json
import time

import httpx
import numpy as np
import pytest

from tests.helpers import decode, transcribe, wer

RACHEL = "21m00Tcm4TlvDq8ikWAM"
JOE = "en_US-joe-medium"
SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank."


def _post(server, path, body, key=None, **params):
    return httpx.post(f"{server.base_url}{path}", json=body, params=params, timeout=120,
                      headers={"xi-api-key": key or server.admin_key})


def test_convert_mp3_says_the_words(client):
    audio = b"".join(client.text_to_speech.convert(RACHEL, text=SENTENCE, model_id="eleven_multilingual_v2"))
    pcm, rate = decode(audio, "mp3_44100_128")
    assert rate == 44100
    assert 2.0 < len(pcm) / rate < 7.0
    assert wer(SENTENCE, transcribe(pcm, rate).text) <= 0.1


def test_response_headers(live_server):
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "Hello there.", "model_id": "eleven_flash_v2_5"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("audio/mpeg")
    assert len(r.headers["request-id"]) >= 16
    assert r.headers["character-cost"] == str(len("Hello there."))
    hid = r.headers["history-item-id"]
    item = httpx.get(f"{live_server.base_url}/v1/history/{hid}", headers={"xi-api-key": live_server.admin_key})
    assert item.status_code == 200 and item.json()["text"] == "Hello there."


def test_stream_sends_first_bytes_before_the_end(live_server):
    text = " ".join(["This sentence is one of many that make a longer passage for streaming."] * 6)
    arrivals = []
    with httpx.stream("POST", f"{live_server.base_url}/v1/text-to-speech/{RACHEL}/stream",
                      json={"text": text, "model_id": "eleven_multilingual_v2"}, timeout=120,
                      params={"output_format": "pcm_24000"}, headers={"xi-api-key": live_server.admin_key}) as r:
        assert r.status_code == 200
        t0 = time.monotonic()
        data = b""
        for chunk in r.iter_bytes():
            arrivals.append(time.monotonic() - t0)
            data += chunk
    assert len(arrivals) > 3
    # several segments are rendered after the first bytes leave: the first arrival is early in the response
    assert arrivals[0] < 0.5 * arrivals[-1]
    pcm, rate = decode(data, "pcm_24000")
    assert len(pcm) / rate > 15


def test_sdk_stream_and_seed_repeatable(client):
    kw = dict(text="Same seed, same audio.", model_id="eleven_multilingual_v2", seed=1234,
              voice_settings={"stability": 0.3, "similarity_boost": 0.75})
    a = b"".join(client.text_to_speech.stream(RACHEL, **kw))
    b = b"".join(client.text_to_speech.stream(RACHEL, **kw))
    c = b"".join(client.text_to_speech.stream(RACHEL, **(kw | {"seed": 99})))
    assert a == b
    assert a != c


def test_with_timestamps_alignment_matches_whisper(client):
    text = "Good morning. Please read the numbers on the board before lunch."
    res = client.text_to_speech.convert_with_timestamps(RACHEL, text=text, model_id="eleven_multilingual_v2",
                                                        output_format="pcm_24000")
    al = res.alignment
    assert "".join(al.characters) == text
    starts = np.array(al.character_start_times_seconds)
    ends = np.array(al.character_end_times_seconds)
    assert np.all(np.diff(starts) >= -1e-6) and np.all(ends >= starts - 1e-6)
    pcm, rate = decode(base64.b64decode(res.audio_base_64), "pcm_24000")
    assert ends[-1] <= len(pcm) / rate + 0.05
    from polyvox.eval.metrics import alignment_error

    tr = transcribe(pcm, rate, words=True)
    mae = alignment_error(starts, text, tr.words)
    assert mae < 0.15, f"alignment MAE {mae:.3f}s"


def test_stream_with_timestamps_ndjson(live_server):
    text = "First part of the text, and then the second part. A final sentence ends it."
    with httpx.stream("POST", f"{live_server.base_url}/v1/text-to-speech/{RACHEL}/stream/with-timestamps",
                      json={"text": text}, params={"output_format": "mp3_22050_32"}, timeout=120,
                      headers={"xi-api-key": live_server.admin_key}) as r:
        assert r.status_code == 200
        objs = [json.loads(line) for line in r.iter_lines() if line.strip()]
    assert len(objs) >= 2
    assert "".join(c for o in objs for c in o["alignment"]["characters"]) == text
    audio = b"".join(base64.b64decode(o["audio_base64"]) for o in objs)
    pcm, rate = decode(audio, "mp3_22050_32")
    assert rate == 22050 and len(pcm) / rate > 3


def test_sdk_stream_with_timestamps(client):
    text = "Streaming with timing from the official client."
    chunks = list(client.text_to_speech.stream_with_timestamps(RACHEL, text=text, model_id="eleven_flash_v2_5"))
    assert chunks and "".join(c for ch in chunks if ch.alignment for c in ch.alignment.characters) == text


@pytest.mark.parametrize("fmt", ["mp3_22050_32", "mp3_44100_64", "mp3_44100_192", "pcm_8000", "pcm_16000",
                                 "pcm_22050", "pcm_44100", "pcm_48000", "ulaw_8000", "alaw_8000",
                                 "opus_48000_64", "opus_48000_128"])
def test_every_format_decodes_to_the_same_words(live_server, fmt):
    text = "Seven bright lamps lit the quiet harbor tonight."
    r = _post(live_server, f"/v1/text-to-speech/{JOE}", {"text": text, "model_id": "piper"}, output_format=fmt)
    assert r.status_code == 200, r.text
    pcm, rate = decode(r.content, fmt)
    assert rate == int(fmt.split("_")[1])
    assert 1.5 < len(pcm) / rate < 6
    heard = transcribe(pcm, rate).text
    assert wer(text, heard) <= 0.15, heard


def test_speed_setting_changes_duration(live_server):
    def duration(speed):
        r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": SENTENCE, "voice_settings": {
            "stability": 0.5, "similarity_boost": 0.75, "speed": speed}}, output_format="pcm_24000")
        pcm, rate = decode(r.content, "pcm_24000")
        return len(pcm) / rate

    assert duration(1.2) < 0.9 * duration(0.8)


def test_speaker_boost_changes_spectrum(live_server):
    def render(boost):
        r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": SENTENCE, "seed": 5, "voice_settings": {
            "stability": 0.5, "similarity_boost": 0.75, "use_speaker_boost": boost}}, output_format="pcm_24000")
        return decode(r.content, "pcm_24000")[0]

    a, b = render(True), render(False)
    assert not np.array_equal(a, b)


def test_request_stitching_keeps_loudness(live_server):
    from polyvox.audio import dsp

    r1 = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "The first paragraph sets the scene."},
               output_format="pcm_24000")
    r2 = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "The second one carries the story on.",
                                                             "previous_request_ids": [r1.headers["request-id"]]},
               output_format="pcm_24000")
    assert r2.status_code == 200
    l1 = dsp.loudness_lufs(decode(r1.content, "pcm_24000")[0], 24000)
    l2 = dsp.loudness_lufs(decode(r2.content, "pcm_24000")[0], 24000)
    assert abs(l1 - l2) < 1.5


def test_next_text_changes_the_rendering(live_server):
    body = {"text": "I went to the market", "seed": 3}
    plain = _post(live_server, f"/v1/text-to-speech/{RACHEL}", body, output_format="pcm_24000").content
    ctx = _post(live_server, f"/v1/text-to-speech/{RACHEL}", body | {"next_text": "and bought some apples."},
                output_format="pcm_24000").content
    assert plain != ctx
    pcm, rate = decode(ctx, "pcm_24000")
    assert wer("I went to the market", transcribe(pcm, rate).text) <= 0.25


def test_zero_retention_stores_nothing(live_server):
    before = live_server.services.blobs.keys("history")
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "Nothing of this is kept."},
              enable_logging="false")
    assert r.status_code == 200 and "history-item-id" not in r.headers
    assert live_server.services.blobs.keys("history") == before
    assert live_server.services.history.stitch_info([r.headers["request-id"]]) == []
    hist = httpx.get(f"{live_server.base_url}/v1/history", params={"search": "Nothing of this is kept"},
                     headers={"xi-api-key": live_server.admin_key}).json()
    assert hist["history"] == []


def test_languages_other_than_english(live_server):
    text = "Hola, ¿cómo estás? Hoy hace un día muy bonito."
    r = _post(live_server, "/v1/text-to-speech/ef_dora", {"text": text, "language_code": "es"},
              output_format="pcm_24000")
    assert r.status_code == 200, r.text
    pcm, rate = decode(r.content, "pcm_24000")
    assert wer(text, transcribe(pcm, rate, language="es").text, "es") <= 0.35


# ---- errors ----------------------------------------------------------------------------

def _detail(r):
    return r.json()["detail"]


def test_unknown_voice(live_server):
    r = _post(live_server, "/v1/text-to-speech/nope", {"text": "hi"})
    assert r.status_code == 404 and _detail(r)["status"] == "voice_not_found"


def test_empty_text(live_server):
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "   "})
    assert r.status_code == 400 and _detail(r)["status"] == "empty_text"


def test_text_over_the_model_limit(live_server):
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "a" * 10_001,
                                                            "model_id": "eleven_multilingual_v2"})
    assert r.status_code == 400 and _detail(r)["status"] == "max_character_limit_exceeded"


def test_bad_output_format(live_server):
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "hi"}, output_format="mp3_1_1")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "output_format"]


def test_malformed_json(live_server):
    r = httpx.post(f"{live_server.base_url}/v1/text-to-speech/{RACHEL}", content=b'{"text": ',
                   headers={"xi-api-key": live_server.admin_key, "content-type": "application/json"})
    assert r.status_code == 422 and isinstance(r.json()["detail"], list)


def test_wrong_types(live_server):
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "hi", "voice_settings": {"stability": "x"}})
    assert r.status_code == 422


def test_wrong_key(live_server):
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "hi"}, key="sk_wrong")
    assert r.status_code == 401 and _detail(r)["status"] == "invalid_api_key"
    r = httpx.get(f"{live_server.base_url}/v1/voices")
    assert r.status_code == 401


def test_unsupported_language(live_server):
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "Guten Tag", "language_code": "de",
                                                            "model_id": "eleven_multilingual_v2"})
    assert r.status_code == 400 and _detail(r)["status"] == "unsupported_language"
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "Guten Tag", "language_code": "de",
                                                            "model_id": "eleven_multilingual_v1"})
    assert r.status_code == 200


def test_unknown_model(live_server):
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "hi", "model_id": "eleven_v9"})
    assert r.status_code == 400 and _detail(r)["status"] == "model_not_found"


def test_voice_the_engine_cannot_render(live_server):
    r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "hi", "model_id": "piper"})
    assert r.status_code == 400 and _detail(r)["status"] == "voice_not_supported_by_model"


def test_concurrency_limit_and_system_busy(live_server):
    svc = live_server.services
    key = svc.keys.create("limited")
    principal = svc.keys.authenticate(key.secret)
    for _ in range(svc.limiter.per_key):
        svc.limiter.acquire(principal.key_id)
    try:
        r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "hi"}, key=key.secret)
        assert r.status_code == 429 and _detail(r)["status"] == "too_many_concurrent_requests"
    finally:
        for _ in range(svc.limiter.per_key):
            svc.limiter.release(principal.key_id)
    old = svc.limiter.max_total
    svc.limiter.max_total = 0
    try:
        r = _post(live_server, f"/v1/text-to-speech/{RACHEL}", {"text": "hi"}, key=key.secret)
        assert r.status_code == 429 and _detail(r)["status"] == "system_busy"
    finally:
        svc.limiter.max_total = old
    assert svc.limiter.current(principal.key_id) == 0
