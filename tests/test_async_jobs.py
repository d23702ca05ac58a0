"""Long inputs as jobs: asynchronous speech to text (ElevenLabs ``webhook=true``, transcripts API,
signed webhook to a local receiver), job progress, failure, key scoping, isolation jobs, restart.
Real Whisper and DeepFilterNet on real recordings."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.helpers import decode, wer
from tests.test_isolation import mixture, wav_bytes
from tests.test_stt import _manifest

CLIPS = ["read_speech_en/ljspeech/LJ001-0001.wav", "read_speech_en/ljspeech/LJ001-0003.wav",
         "read_speech_en/jfk/jfk_inaugural_1961_excerpt.flac"]


def _stt(services):
    from polyvox.services.stt import SttService

    return services.component(SttService)


def _wait(services, job_id: str, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = services.jobs.get(job_id)
        if rec.status in ("succeeded", "failed", "cancelled"):
            return rec
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def _get(server, path, key=None):
    return httpx.get(f"{server.base_url}{path}", headers={"xi-api-key": key or server.admin_key}, timeout=60)


def _leftovers(services) -> list[str]:
    from polyvox.services.async_jobs import inputs_root

    root = inputs_root(services)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


class Receiver:
    """A local HTTP endpoint that records what is POSTed to it."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict, bytes]] = []
        self.arrived = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.end_headers()
                outer.arrived.set()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def receiver(services, monkeypatch):
    from polyvox.services.webhooks import WebhookTarget

    rx = Receiver()
    monkeypatch.setattr(_stt(services).settings, "webhooks",
                        [WebhookTarget(webhook_id="wh_test", url=rx.url, secret="s3cret"),
                         WebhookTarget(webhook_id="wh_other", url=rx.url + "/other")])
    yield rx
    rx.close()


def _three_clips(testdata: Path) -> tuple[bytes, str]:
    """~30 s of speech from three recordings (several Whisper segments), and its reference text."""
    from polyvox.audio import decode_audio

    pcm = np.concatenate([decode_audio(testdata / c, target_rate=16000)[0] for c in CLIPS])
    ref = " ".join(_manifest(testdata, "read_speech_en")[c.split("/", 1)[1]] for c in CLIPS)
    return wav_bytes(pcm, 16000), ref


def test_sdk_webhook_transcription_polls_and_delivers(client, live_server, services, testdata, receiver,
                                                      monkeypatch):
    audio, ref = _three_clips(testdata)
    updates: list[tuple[str, float, str]] = []
    real_update = services.jobs._update

    def spy(job_id, **fields):  # every progress write the job makes, as /v1/jobs would show it
        if "progress" in fields:
            updates.append((job_id, fields["progress"], fields.get("message", "")))
        real_update(job_id, **fields)

    monkeypatch.setattr(services.jobs, "_update", spy)
    res = client.speech_to_text.convert(model_id="scribe_v1", file=("talk.wav", audio), language_code="en",
                                        webhook=True, webhook_id="wh_test",
                                        webhook_metadata=json.dumps({"order": "A-17", "tags": {"team": "qa"}}))
    tid = res.transcription_id
    assert res.request_id == tid and "accepted" in res.message.lower()

    status = _get(live_server, f"/v1/jobs/{tid}").json()
    assert status["job_id"] == tid and status["type"] == "speech_to_text"
    assert status["status"] in ("queued", "running", "succeeded") and 0.0 <= status["progress"] <= 1.0
    rec = _wait(services, tid)
    assert rec.status == "succeeded", rec.error
    # progress came from Whisper's segment end times: several steps, rising, in seconds of this audio
    mine = [(p, m) for j, p, m in updates if j == tid]
    steps = [p for p, _ in mine if 0.0 < p < 1.0]
    assert len(steps) >= 2 and steps == sorted(steps), mine
    assert any(m.startswith("transcribed ") and m.endswith(" of 30 s") for _, m in mine), mine

    got = client.speech_to_text.transcripts.get(tid)
    assert wer(ref, got.text) <= 0.1 and got.transcription_id == tid
    assert got.text == "".join(w.text for w in got.words) and got.words[0].start < 1.0
    done = _get(live_server, f"/v1/jobs/{tid}").json()
    assert done["status"] == "succeeded" and done["progress"] == 1.0
    assert done["result_url"] == f"/v1/speech-to-text/transcripts/{tid}"

    # the webhook: only the named target, signed the way the official SDK verifies
    assert receiver.arrived.wait(30)
    headers, raw = receiver.posts[0]
    assert len(receiver.posts) == 1
    event = client.webhooks.construct_event(raw.decode(), headers["elevenlabs-signature"], "s3cret")
    assert event["type"] == "speech_to_text_transcription"
    assert event["data"]["transcription_id"] == tid and event["data"]["request_id"] == tid
    assert event["data"]["webhook_metadata"] == {"order": "A-17", "tags": {"team": "qa"}}
    assert event["data"]["transcription"]["text"] == got.text
    with pytest.raises(Exception, match="Signature hash does not match"):
        client.webhooks.construct_event(raw.decode(), headers["elevenlabs-signature"], "wrong")
    deadline = time.monotonic() + 10
    while "delivered" not in services.jobs.get(tid).message and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "webhook wh_test: delivered (HTTP 200)" in services.jobs.get(tid).message

    # another key does not see it; delete removes it everywhere
    other = services.keys.create("someone else").secret
    r = _get(live_server, f"/v1/jobs/{tid}", key=other)
    assert r.status_code == 404 and r.json()["detail"]["status"] == "job_not_found"
    r = _get(live_server, f"/v1/speech-to-text/transcripts/{tid}", key=other)
    assert r.status_code == 404 and r.json()["detail"]["status"] == "transcript_not_found"
    client.speech_to_text.transcripts.delete(tid)
    r = _get(live_server, f"/v1/speech-to-text/transcripts/{tid}")
    assert r.status_code == 404 and r.json()["detail"]["status"] == "transcript_not_found"
    assert not services.blobs.keys(f"jobs/{tid}") and _leftovers(services) == []


def test_webhook_request_errors_answer_at_once(live_server, services, testdata, receiver):
    def post(data, body=b"RIFF not really audio" * 40):
        return httpx.post(f"{live_server.base_url}/v1/speech-to-text", timeout=60,
                          headers={"xi-api-key": live_server.admin_key},
                          files={"file": ("a.wav", body, "audio/wav")}, data={"model_id": "scribe_v1", **data})

    r = post({"webhook": "true"})
    assert r.status_code == 400 and r.json()["detail"]["status"] == "invalid_audio"
    wav = (testdata / "read_speech_en/cmu_arctic/cmu_us_aew_arctic_a0003.wav").read_bytes()
    r = post({"webhook": "true", "webhook_id": "nope"}, wav)
    assert r.status_code == 404 and r.json()["detail"]["status"] == "webhook_not_found"
    r = post({"webhook_id": "wh_test"}, wav)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "webhook_id"]
    r = post({"webhook": "true", "webhook_metadata": "[1, 2]"}, wav)
    assert r.status_code == 422
    r = post({"webhook": "true", "webhook_metadata": json.dumps({"a": {"b": {"c": 1}}})}, wav)
    assert r.status_code == 422
    assert _leftovers(services) == []


def test_a_failing_job_records_its_error_and_reports_it(live_server, services, tmp_path, receiver):
    """A file that only fails once the job decodes it (here: written straight into the queue)."""
    from polyvox.services import stt_jobs
    from polyvox.services.stt import SttRequest

    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"ID3" + bytes(5000))
    me = services.keys.list()[0].key_id
    tid = stt_jobs.submit(services, SttRequest(model_id="scribe_v1"), bad, me, webhook_metadata={"n": 1})
    assert not bad.exists()  # moved into the job's folder
    rec = _wait(services, tid)
    assert rec.status == "failed" and rec.error
    body = _get(live_server, f"/v1/jobs/{tid}").json()
    assert body["status"] == "failed" and body["error"]["status"] == "invalid_audio" and body["error"]["message"]
    r = _get(live_server, f"/v1/speech-to-text/transcripts/{tid}")
    assert r.status_code == 400 and r.json()["detail"]["status"] == "invalid_audio"
    assert receiver.arrived.wait(30)
    events = [json.loads(b) for _, b in receiver.posts]
    assert len(events) == 2  # no webhook_id: every configured webhook
    assert all(e["data"]["error"]["status"] == "invalid_audio" and e["data"]["webhook_metadata"] == {"n": 1}
               for e in events)
    assert _leftovers(services) == []


def test_isolation_job_progress_and_result(live_server, services, testdata):
    clean, noisy = mixture(testdata, 0.0, seconds=8.0)
    r = httpx.post(f"{live_server.base_url}/v1/audio-isolation/jobs", timeout=60,
                   headers={"xi-api-key": live_server.admin_key},
                   files={"audio": ("noisy.wav", wav_bytes(noisy, 16000), "audio/wav")},
                   params={"output_format": "wav_16000"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    rec = _wait(services, job_id)
    assert rec.status == "succeeded", rec.error
    status = _get(live_server, f"/v1/jobs/{job_id}").json()
    assert status["result_url"] == f"/v1/jobs/{job_id}/result" and status["progress"] == 1.0
    out = _get(live_server, status["result_url"])
    assert out.status_code == 200 and out.headers["content-type"].startswith("audio/wav")
    pcm, rate = decode(out.content, "wav_16000")
    assert rate == 16000 and abs(pcm.shape[0] - noisy.shape[0]) <= 16
    from polyvox.eval.metrics import si_sdr

    assert si_sdr(pcm[: clean.shape[0]], clean) > si_sdr(noisy, clean) + 5.0
    r = httpx.delete(f"{live_server.base_url}/v1/jobs/{job_id}", headers={"xi-api-key": live_server.admin_key})
    assert r.status_code == 200 and _get(live_server, f"/v1/jobs/{job_id}").status_code == 404
    r = httpx.post(f"{live_server.base_url}/v1/audio-isolation/jobs", headers={"xi-api-key": live_server.admin_key},
                   files={"audio": ("x.wav", b"not audio at all" * 20)})
    assert r.status_code == 400 and r.json()["detail"]["status"] == "invalid_audio"
    assert _leftovers(services) == []


def test_jobs_resume_after_a_restart_and_results_survive(tmp_path, voices_dir, testdata):
    """A job queued when the server stopped runs at the next start; its result outlives the process."""
    from polyvox.services import async_jobs, isolation_jobs
    from polyvox.services.container import Services
    from tests.conftest import make_settings

    _, noisy = mixture(testdata, 5.0, seconds=3.0)
    upload = tmp_path / "upload.wav"
    upload.write_bytes(wav_bytes(noisy, 16000))
    settings = make_settings(tmp_path / "data", voices_dir)
    first = Services.build(settings)
    job_id = isolation_jobs.submit(first, upload, None, engine=None, file_format=None, output_format="wav_16000")
    first.close()  # never started: the job is still queued, its input parked
    second = Services.build(settings)
    second.jobs.start()
    rec = _wait(second, job_id, 60)
    second.close()
    assert rec.status == "succeeded", rec.error
    third = Services.build(settings)  # a later process still has the result
    try:
        data, media = async_jobs.result_bytes(third, third.jobs.get(job_id))
        assert media.startswith("audio/wav") and decode(data, "wav_16000")[0].shape[0] == noisy.shape[0]
        assert _leftovers(third) == []
    finally:
        third.close()
