"""Speech to text: Scribe-compatible /v1/speech-to-text (official SDK), OpenAI /v1/audio/transcriptions,
diarization, URL input, bad input, and the pieces they are built from. Real Whisper, real audio."""

from __future__ import annotations

import csv
import functools
import http.server
import json
import os
import threading
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.helpers import wer

JFK = "read_speech_en/jfk/jfk_inaugural_1961_excerpt.flac"
ARCTIC = "read_speech_en/cmu_arctic/cmu_us_aew_arctic_a0003.wav"


@functools.lru_cache(maxsize=4)
def _manifest(testdata: Path, subset: str) -> dict[str, str]:
    with open(testdata / subset / "MANIFEST.csv", newline="") as f:
        return {r["file"]: r["transcript"] for r in csv.DictReader(f)}


def _stt(services):
    from polyvox.services.stt import SttService

    return services.component(SttService)


def _tmp_files(services) -> list[str]:
    return sorted(p.name for p in _stt(services).tmp_dir.iterdir())


def _post(server, path, files=None, data=None, **params):
    return httpx.post(f"{server.base_url}{path}", files=files, data=data, params=params, timeout=120,
                      headers={"xi-api-key": server.admin_key})


def _words(body):
    return [w for w in body["words"] if w["type"] == "word"]


# ElevenLabs wire format through the SDK -----------------------------------------------------
def test_sdk_convert_detects_language_and_times_words(client, testdata):
    with open(testdata / JFK, "rb") as f:
        res = client.speech_to_text.convert(model_id="scribe_v1", file=f)
    ref = _manifest(testdata, "read_speech_en")[JFK.split("/", 1)[1]]
    assert res.language_code == "eng" and res.language_probability > 0.5
    assert wer(ref, res.text) <= 0.1
    assert res.text == "".join(w.text for w in res.words)
    kinds = [w.type for w in res.words]
    assert set(kinds) <= {"word", "spacing", "audio_event"} and kinds.count("spacing") >= 15
    starts = [w.start for w in res.words if w.type == "word"]
    assert starts == sorted(starts) and 0 <= starts[0] < 1.0 and starts[-1] < 11.0
    assert all(w.end >= w.start for w in res.words)


def test_character_timestamps_and_video_input(live_server, testdata):
    with open(testdata / "video/nasa_13013.mp4", "rb") as f:
        r = _post(live_server, "/v1/speech-to-text", files={"file": ("clip.mp4", f, "video/mp4")},
                  data={"model_id": "scribe_v1", "timestamps_granularity": "character", "language_code": "en"})
    assert r.status_code == 200, r.text
    body = r.json()
    ref = "This is the optical and science segment of the Webb space telescope in one of the largest " \
          "cleanrooms in the world at NASA's Goddard Space Flight Center in Greenbelt, Maryland."
    assert wer(ref, body["text"]) <= 0.2
    word = _words(body)[3]
    chars = word["characters"]
    assert "".join(c["text"] for c in chars) == word["text"]
    assert chars[0]["start"] == pytest.approx(word["start"]) and chars[-1]["end"] == pytest.approx(word["end"])


def test_timestamps_none_and_raw_pcm_input(live_server, testdata):
    from polyvox.audio import decode_audio

    pcm, _ = decode_audio(testdata / ARCTIC, target_rate=16000)
    raw = (np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes()
    r = _post(live_server, "/v1/speech-to-text", files={"file": ("a.pcm", raw)},
              data={"model_id": "scribe_v1", "file_format": "pcm_s16le_16", "timestamps_granularity": "none",
                    "language_code": "eng"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert wer(_manifest(testdata, "read_speech_en")[ARCTIC.split("/", 1)[1]], body["text"]) <= 0.15
    assert body["words"] and all("start" not in w for w in body["words"])


def test_diarization_finds_two_speakers(client, testdata):
    from polyvox.eval.diarization import der, read_rttm

    conv = testdata / "conversation/ami_debug_excerpts"
    with open(conv / "dev00.wav", "rb") as f:
        res = client.speech_to_text.convert(model_id="scribe_v1", file=f, diarize=True, num_speakers=2,
                                            language_code="en")
    words = [w for w in res.words if w.type == "word"]
    assert {w.speaker_id for w in words} == {"speaker_0", "speaker_1"}
    hyp = [(w.start, w.end, w.speaker_id) for w in words]
    assert der(read_rttm(conv / "dev00.rttm"), hyp, uem=(0.0, 30.0)).der < 0.5


def test_cloud_storage_url_is_fetched(client, live_server, testdata, services):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(testdata))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/{ARCTIC}"
        res = client.speech_to_text.convert(model_id="scribe_v1", cloud_storage_url=url, language_code="en")
        assert wer(_manifest(testdata, "read_speech_en")[ARCTIC.split("/", 1)[1]], res.text) <= 0.15
        r = _post(live_server, "/v1/speech-to-text", data={"model_id": "scribe_v1", "cloud_storage_url": url + "x"})
        assert r.status_code == 400 and r.json()["detail"]["status"] == "url_fetch_failed"
        r = _post(live_server, "/v1/speech-to-text", data={"model_id": "scribe_v1", "cloud_storage_url": "ftp://x/y"})
        assert r.status_code == 400 and r.json()["detail"]["status"] == "invalid_url"
    finally:
        httpd.shutdown()
    assert _tmp_files(services) == []


# OpenAI-compatible ------------------------------------------------------------------------------
def test_openai_transcriptions_formats(live_server, testdata):
    data = (testdata / ARCTIC).read_bytes()
    ref = _manifest(testdata, "read_speech_en")[ARCTIC.split("/", 1)[1]]

    def call(fmt, model="tiny.en", **extra):  # the small English model keeps this test quick
        r = httpx.post(f"{live_server.base_url}/v1/audio/transcriptions", timeout=120,
                       headers={"Authorization": f"Bearer {live_server.admin_key}"},
                       files={"file": ("a.wav", data, "audio/wav")},
                       data={"model": model, "response_format": fmt, "language": "en", **extra})
        assert r.status_code == 200, r.text
        return r

    assert wer(ref, call("json", model="whisper-1").json()["text"]) <= 0.15
    assert wer(ref, call("text").text) <= 0.15
    srt = call("srt").text
    assert srt.startswith("1\n00:00:0") and " --> " in srt
    vtt = call("vtt")
    assert vtt.text.startswith("WEBVTT\n\n00:00:0") and vtt.headers["content-type"].startswith("text/vtt")
    verbose = call("verbose_json", **{"timestamp_granularities[]": ["word", "segment"]}).json()
    assert verbose["language"] == "english" and 3.0 < verbose["duration"] < 4.5
    assert verbose["segments"][0]["start"] >= 0 and len(verbose["words"]) >= 5
    assert all({"word", "start", "end"} <= set(w) for w in verbose["words"])


# models ------------------------------------------------------------------------------------------
def test_a_ctranslate2_model_added_to_the_models_folder_is_served(live_server, services, testdata):
    from polyvox.engines.stt.whisper import packaged_whisper_path

    src = packaged_whisper_path("tiny.en", services.settings.models_dir)
    dst = services.settings.models_dir / "whisper" / "my-tiny-en"
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file() and not (dst / f.name).exists():
            os.symlink(f, dst / f.name)
    with open(testdata / ARCTIC, "rb") as f:
        r = _post(live_server, "/v1/speech-to-text", files={"file": f}, data={"model_id": "my-tiny-en"})
    assert r.status_code == 200, r.text
    assert wer(_manifest(testdata, "read_speech_en")[ARCTIC.split("/", 1)[1]], r.json()["text"]) <= 0.15
    with open(testdata / ARCTIC, "rb") as f:
        r = _post(live_server, "/v1/speech-to-text", files={"file": f},
                  data={"model_id": "my-tiny-en", "language_code": "fr"})
    assert r.status_code == 400 and r.json()["detail"]["status"] == "unsupported_language"


# bad input ---------------------------------------------------------------------------------------
def _corrupt_mp3() -> bytes:
    from polyvox.audio import encode, parse_output_format

    tone = (0.3 * np.sin(np.arange(16000 * 2) / 7)).astype(np.float32)
    return encode(tone, 16000, parse_output_format("mp3_44100_128"))[:400] + os.urandom(30_000)


@pytest.mark.parametrize("name,payload,data,status,code", [
    ("empty", b"", {}, 400, "empty_file"),
    ("text", b"this is a text file, not audio\n" * 50, {}, 400, "invalid_audio"),
    ("corrupt", None, {}, 400, "invalid_audio"),
    ("language", b"x", {"language_code": "xx-klingon"}, 400, "unsupported_language"),
    ("model", b"x", {"model_id": "nope_v9"}, 400, "model_not_found"),
])
def test_bad_input_is_refused_cleanly(live_server, services, name, payload, data, status, code):
    body = _corrupt_mp3() if payload is None else payload
    r = _post(live_server, "/v1/speech-to-text", files={"file": (f"{name}.mp3", body, "audio/mpeg")},
              data={"model_id": "scribe_v1", **data})
    assert r.status_code == status, r.text
    assert r.json()["detail"]["status"] == code and r.json()["detail"]["message"]
    assert _tmp_files(services) == []


def test_oversize_and_missing_fields(live_server, services, monkeypatch):
    monkeypatch.setattr(_stt(services).settings, "max_upload_mb", 0.05)
    r = _post(live_server, "/v1/speech-to-text", files={"file": ("big.wav", os.urandom(200_000))},
              data={"model_id": "scribe_v1"})
    assert r.status_code == 413 and r.json()["detail"]["status"] == "file_too_large"
    # no Content-Length to check up front: the limit is enforced while the body streams in
    def chunks():
        yield b""
    boundary = "polyvoxboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"model_id\"\r\n\r\nscribe_v1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n").encode()

    def body():
        yield head
        for _ in range(20):
            yield os.urandom(10_000)
        yield f"\r\n--{boundary}--\r\n".encode()

    r = httpx.post(f"{live_server.base_url}/v1/speech-to-text", content=body(), timeout=60,
                   headers={"xi-api-key": live_server.admin_key,
                            "content-type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413 and r.json()["detail"]["status"] == "file_too_large"
    r = _post(live_server, "/v1/speech-to-text", files={"file": ("a.wav", b"abc")}, data={})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "model_id"]
    r = _post(live_server, "/v1/speech-to-text", data={"model_id": "scribe_v1"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
    r = _post(live_server, "/v1/speech-to-text", files={"file": ("a.wav", b"abc")},
              data={"model_id": "scribe_v1", "timestamps_granularity": "syllable"})
    assert r.status_code == 422
    assert _tmp_files(services) == []


# service level -----------------------------------------------------------------------------------
def test_service_reports_progress_and_picovoice_word_times(services, testdata):
    from polyvox.services.stt import SttRequest

    stt = _stt(services)
    data = json.loads((testdata / "multilingual/picovoice/test_data.json").read_text())
    case = next(c for c in data["tests"]["language_tests"] if c["language"] == "es")
    seen: list[float] = []
    res = stt.transcribe_file(testdata / "multilingual/picovoice" / case["audio_file"],
                              stt.plan(SttRequest(language_code="es")), progress=seen.append)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert res.language == "es" and res.language_code == "spa"
    assert wer(case["transcript"], res.text, "es") <= 0.25
    # word start times against the reference timings, for the words both agree on
    from polyvox.eval.metrics import normalize_text_for_wer

    hyp = [(normalize_text_for_wer(w.text, "es"), w.start) for w in res.words if w.type == "word"]
    ref = [(normalize_text_for_wer(w["word"], "es"), w["start_sec"]) for w in case["words"]]
    errs, j = [], 0
    for word, t in ref:
        for k in range(j, len(hyp)):
            if hyp[k][0] == word:
                errs.append(abs(hyp[k][1] - t))
                j = k + 1
                break
    assert len(errs) >= len(ref) * 0.7 and float(np.median(errs)) < 0.2


def test_language_codes_and_formats():
    from polyvox.engines.stt.languages import language_name, to_iso639_3, to_whisper
    from polyvox.services.stt import SttSegment, TranscriptionResult
    from polyvox.services.stt_formats import srt, vtt

    assert [to_whisper(c) for c in ("en", "eng", "en-US", "ger", "jv", "yue", "German", "xx")] == \
           ["en", "en", "en", "de", "jw", "yue", "de", None]
    assert to_iso639_3("pt") == "por" and language_name("pt") == "portuguese"
    r = TranscriptionResult(text="a b", language="en", language_probability=1.0, duration=4000.5,
                            segments=[SttSegment("a", 0.0, 1.5, 0, 0), SttSegment("b", 3661.25, 3662.0, 0, 0)])
    assert srt(r) == "1\n00:00:00,000 --> 00:00:01,500\na\n\n2\n01:01:01,250 --> 01:01:02,000\nb\n\n"
    assert vtt(r).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\na\n\n01:01:01.250")


def test_der_and_clustering_units():
    from polyvox.engines.stt.diarize import cluster
    from polyvox.eval.diarization import der

    ref = [(0.0, 10.0, "A"), (10.0, 20.0, "B")]
    assert der(ref, [(0.0, 10.0, "x"), (10.0, 20.0, "y")]).der == pytest.approx(0.0)
    swapped = der(ref, [(0.0, 20.0, "x")], collar=0.0)
    assert swapped.der == pytest.approx(0.5) and swapped.confusion == pytest.approx(10.0)
    assert der(ref, [], collar=0.0).missed == pytest.approx(20.0)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=256), rng.normal(size=256)
    emb = np.stack([a + 0.3 * rng.normal(size=256) for _ in range(5)] + [b + 0.3 * rng.normal(size=256) for _ in range(5)])
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    assert cluster(emb, 0.5).tolist() == [0] * 5 + [1] * 5
    assert cluster(emb, 0.5, max_speakers=1).tolist() == [0] * 10
