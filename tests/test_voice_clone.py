"""Instant voice cloning: samples, the style search, storage, and the routes through the official SDK."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
import requests
import soundfile as sf

from tests.helpers import decode, transcribe, wer

HELD_OUT = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."


# --------------------------------------------------------------------------- units
def test_asset_round_trip_and_validation():
    from polyvox.engines.tts.kokoro_custom import KokoroVoiceAsset, key_of, spec
    from polyvox.engines.tts.voice_fx import VoiceFX

    style = np.random.default_rng(0).standard_normal((510, 256)).astype(np.float32)
    a = KokoroVoiceAsset(style=style, speed=1.1, fx=VoiceFX(-2.0, 1.05), english="en-gb")
    b = KokoroVoiceAsset.from_bytes(a.to_bytes())
    assert np.array_equal(a.style, b.style) and b.speed == pytest.approx(1.1) and b.english == "en-gb"
    assert b.fx.pitch_semitones == pytest.approx(-2.0) and b.fx.formant_ratio == pytest.approx(1.05)
    assert key_of(spec("v1/abc")) == "v1/abc" and key_of("af_heart") is None
    with pytest.raises(ValueError):
        KokoroVoiceAsset(style=style[:10])
    with pytest.raises(ValueError):
        KokoroVoiceAsset(style=np.full((510, 256), np.nan, np.float32))


def _tone_speech(rate: int = 24000, f0: float = 140.0, seconds: float = 1.5) -> np.ndarray:
    """A glottal-pulse-like harmonic signal through two formant resonances: pitched, speech-like."""
    from scipy import signal

    t = np.arange(int(seconds * rate)) / rate
    src = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 30))
    for fc in (700, 1200):
        b, a = signal.iirpeak(fc, 5, fs=rate)
        src = signal.lfilter(b, a, src)
    return (0.3 * src / np.max(np.abs(src))).astype(np.float32)


def test_voice_fx_moves_pitch_not_length_and_formants_not_pitch():
    from polyvox.engines.tts.voice_fx import VoiceFX, apply
    from polyvox.engines.vc.prosody import yin_f0

    x = _tone_speech()
    up = apply(x, 24000, VoiceFX(pitch_semitones=3.0))
    assert len(up) == len(x)
    ratio = yin_f0(up, 24000).median() / yin_f0(x, 24000).median()
    assert ratio == pytest.approx(2 ** (3 / 12), rel=0.03)

    def centroid(y):
        spec = np.abs(np.fft.rfft(y)) ** 2
        f = np.fft.rfftfreq(len(y), 1 / 24000)
        return float((spec * f).sum() / spec.sum())

    bigger = apply(x, 24000, VoiceFX(formant_ratio=0.85))  # a bigger vocal tract: lower formants
    assert len(bigger) == len(x)
    assert yin_f0(bigger, 24000).median() == pytest.approx(140.0, rel=0.03)
    assert centroid(bigger) < 0.93 * centroid(x)
    assert np.array_equal(apply(x, 24000, VoiceFX()), x)


def test_search_starts_in_the_speakers_gender_and_register():
    """The embedding decides the gender (a declaiming man can have a woman's F0); the register is
    the reference F0 within that gender's range."""
    from polyvox.voicelab.analysis import VoiceProfile
    from polyvox.voicelab.clone import CloneOptions, rank_stock
    from polyvox.voicelab.style_space import StockProfiles

    rng = np.random.default_rng(0)
    male_dir, female_dir = rng.standard_normal(16), rng.standard_normal(16)

    def unit(v):
        return (v / np.linalg.norm(v)).astype(np.float32)

    def prof(direction, f0, jitter):
        return VoiceProfile(unit(direction + jitter * rng.standard_normal(16)), f0, f0 * 0.8, f0 * 1.2, 4.0, -7.0, 3.0)

    names = ["am_a", "am_b", "am_c", "bm_d", "af_e", "af_f", "af_g", "bf_h", "ef_i"]
    f0s = [100, 115, 130, 140, 190, 205, 220, 240, 200]
    stock = StockProfiles(names, [prof(male_dir if n[1] == "m" else female_dir, f, 0.3) for n, f in zip(names, f0s)])
    opt = CloneOptions(top_k=3)

    orator = prof(male_dir, 250.0, 0.2)  # sounds male, speaks at 250 Hz
    start = rank_stock(stock, orator, opt)
    assert {n[1] for n, _ in start.ranked} == {"m"} and start.register_f0 == 140.0
    assert all(n[0] in "ab" for n, _ in start.ranked)  # English voices only

    woman = prof(female_dir, 150.0, 0.2)  # a low female voice: register clamped up to the women's range
    start = rank_stock(stock, woman, opt)
    assert {n[1] for n, _ in start.ranked} == {"f"} and start.register_f0 == 190.0
    assert start.best_stock[0][1] == "f"


# --------------------------------------------------------------------------- API
def _files(testdata: Path, speaker: str, seconds: float) -> tuple[list[Path], list[Path]]:
    """The first ``seconds`` of a speaker's recordings for cloning; the rest held out."""
    files = sorted((testdata / "speaker_sets" / speaker).glob("*.wav"))
    used, total = [], 0.0
    for f in files:
        if total >= seconds:
            break
        used.append(f)
        total += sf.info(str(f)).duration
    return used, files[len(used):]


def _wait_ready(live_server, voice_id: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    h = {"xi-api-key": live_server.admin_key}
    while time.monotonic() < deadline:
        lab = requests.get(f"{live_server.base_url}/v1/voices/{voice_id}", headers=h, timeout=30).json()["lab"]
        if lab["state"] != "refining":
            return lab
        time.sleep(1.0)
    raise AssertionError("the cloning search did not finish")


def _embed(x: np.ndarray, rate: int) -> np.ndarray:
    from polyvox.audio import dsp
    from polyvox.engines.stt.diarize import SpeakerEmbedder

    return SpeakerEmbedder().embed(dsp.resample(x, rate, 16000))


@pytest.fixture(scope="module")
def sf1_clone(live_server, testdata):
    from elevenlabs.client import ElevenLabs

    client = ElevenLabs(api_key=live_server.admin_key, base_url=live_server.base_url, timeout=120)
    used, held = _files(testdata, "vcc2016/SF1", 30.0)
    r = client.voices.ivc.create(name="SF1 clone", files=[open(f, "rb") for f in used],
                                 description="VCC 2016 SF1", labels={"accent": "american", "gender": "female"})
    return r.voice_id, used, held


def test_clone_is_usable_at_once_then_refined_closer_to_the_speaker(client, live_server, sf1_clone):
    voice_id, used, held = sf1_clone
    v = client.voices.get(voice_id)
    assert v.category == "cloned" and v.name == "SF1 clone" and v.labels["gender"] == "female"
    assert len(v.samples) == len(used) and all(s.file_name.endswith(".wav") for s in v.samples)
    # usable before the search ends: the stock-blend first guess
    audio = b"".join(client.text_to_speech.convert(voice_id=voice_id, text=HELD_OUT, output_format="pcm_24000"))
    pcm, rate = decode(audio, "pcm_24000")
    assert 3.0 < len(pcm) / rate < 9.0
    lab = _wait_ready(live_server, voice_id)
    assert lab["state"] == "ready" and lab["stage"] == "searched"
    assert lab["similarity"] > lab["best_stock_similarity"]  # the search keeps the stock voice if nothing beats it
    audio = b"".join(client.text_to_speech.convert(voice_id=voice_id, text=HELD_OUT, output_format="pcm_24000"))
    pcm, rate = decode(audio, "pcm_24000")
    assert wer(HELD_OUT, transcribe(pcm, rate).text) <= 0.15
    # closer to the real speaker's held-out recordings than the best stock voice, on a held-out sentence
    real = np.concatenate([sf.read(str(f), dtype="float32")[0] for f in held[:10]])
    target = _embed(real, 16000)
    stock = b"".join(client.text_to_speech.convert(voice_id=lab["best_stock_voice"], text=HELD_OUT,
                                                   model_id="kokoro", output_format="pcm_24000"))
    s_clone = float(_embed(pcm, rate) @ target)
    s_stock = float(_embed(decode(stock, "pcm_24000")[0], 24000) @ target)
    assert s_clone > s_stock, (s_clone, s_stock)


def test_samples_audio_edit_and_delete(client, live_server, sf1_clone, testdata):
    voice_id, used, _ = sf1_clone
    v = client.voices.get(voice_id)
    first = v.samples[0]
    got = b"".join(client.voices.samples.audio.get(voice_id=voice_id, sample_id=first.sample_id))
    assert got == used[0].read_bytes()
    # add two samples, then delete one
    extra = sorted((testdata / "speaker_sets" / "vcc2016/SF1").glob("*.wav"))[-2:]
    client.voices.update(voice_id=voice_id, name="SF1 clone", files=[open(f, "rb") for f in extra])
    v2 = client.voices.get(voice_id)
    assert len(v2.samples) == len(used) + 2
    h = {"xi-api-key": live_server.admin_key}  # SDK 2.x has no sample delete; the 1.x client.samples.delete
    r = requests.delete(f"{live_server.base_url}/v1/voices/{voice_id}/samples/{v2.samples[-1].sample_id}",
                        headers=h, timeout=30)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert len(client.voices.get(voice_id).samples) == len(used) + 1
    _wait_ready(live_server, voice_id)
    r = requests.get(f"{live_server.base_url}/v1/voices/{voice_id}/samples/nope/audio", headers=h, timeout=30)
    assert r.status_code == 404 and r.json()["detail"]["status"] == "sample_not_found"


def test_clone_streams_over_websocket(live_server, sf1_clone):
    import base64
    import json

    from websockets.sync.client import connect

    voice_id = sf1_clone[0]
    url = live_server.base_url.replace("http", "ws") + f"/v1/text-to-speech/{voice_id}/stream-input" \
        "?output_format=pcm_16000"
    audio = b""
    with connect(url, additional_headers={"xi-api-key": live_server.admin_key}) as ws:
        ws.send(json.dumps({"text": " "}))
        ws.send(json.dumps({"text": "Streaming in my own voice. "}))
        ws.send(json.dumps({"text": ""}))
        for msg in ws:
            data = json.loads(msg)
            if data.get("audio"):
                audio += base64.b64decode(data["audio"])
            if data.get("isFinal"):
                break
    assert len(audio) / 2 / 16000 > 0.8


def test_bad_samples_are_refused_and_leave_nothing(client, live_server, testdata):
    from elevenlabs.core import ApiError

    blobs = Path(live_server.services.settings.blobs_dir)
    before_voices = {v.voice_id for v in client.voices.get_all().voices}
    before_blobs = set(blobs.rglob("*"))
    short = sorted((testdata / "speaker_sets" / "vcc2016/SM1").glob("*.wav"))[:2]
    with pytest.raises(ApiError) as e:
        client.voices.ivc.create(name="too short", files=[open(f, "rb") for f in short])
    assert e.value.status_code == 400 and e.value.body["detail"]["status"] == "samples_too_short"
    with pytest.raises(ApiError) as e:
        client.voices.ivc.create(name="broken", files=[("x.mp3", io.BytesIO(b"ID3" + b"\x00garbage" * 500))])
    assert e.value.status_code == 400 and "detail" in e.value.body
    h = {"xi-api-key": live_server.admin_key}
    r = requests.post(f"{live_server.base_url}/v1/voices/add", headers=h, files={"files": ("a.wav", b"RIFF")},
                      timeout=30)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "name"
    r = requests.post(f"{live_server.base_url}/v1/voices/add", headers=h, data={"name": "no files"}, timeout=30)
    assert r.status_code == 422
    assert {v.voice_id for v in client.voices.get_all().voices} == before_voices
    assert {p for p in set(blobs.rglob("*")) - before_blobs if p.is_file()} == set()


def test_cloned_voice_survives_restart_and_delete_removes_assets(live_server, testdata, tmp_path, voices_dir):
    from fastapi.testclient import TestClient

    from polyvox.api.app import create_app
    from polyvox.services.container import Services
    from tests.conftest import ADMIN_KEY, make_settings

    used, _ = _files(testdata, "vcc2016/SM1", 12.0)
    settings = make_settings(tmp_path, voices_dir)
    settings.engines.clone_generations = 0  # blends and prosody only: this test is about storage
    h = {"xi-api-key": ADMIN_KEY}
    svc = Services.build(settings)
    svc.bootstrap_admin()
    with TestClient(create_app(settings, services=svc)) as c:
        r = c.post("/v1/voices/add", headers=h, data={"name": "SM1"},
                   files=[("files", (f.name, f.read_bytes(), "audio/wav")) for f in used])
        assert r.status_code == 200, r.text
        voice_id = r.json()["voice_id"]
    svc.close()  # before the search ran: the job is resumed by the next start
    svc = Services.build(settings)
    svc.jobs.start()
    with TestClient(create_app(settings, services=svc)) as c:
        assert c.get(f"/v1/voices/{voice_id}", headers=h).json()["category"] == "cloned"
        r = c.post(f"/v1/text-to-speech/{voice_id}?output_format=pcm_16000", headers=h,
                   json={"text": "Still here after a restart."})
        assert r.status_code == 200 and len(r.content) > 16000
        deadline = time.monotonic() + 600
        while c.get(f"/v1/voices/{voice_id}", headers=h).json()["lab"]["state"] == "refining":
            assert time.monotonic() < deadline
            time.sleep(1)
        assert any(settings.blobs_dir.glob(f"voices/{voice_id}/*"))
        assert c.delete(f"/v1/voices/{voice_id}", headers=h).status_code == 200
        assert not any(settings.blobs_dir.glob(f"voices/{voice_id}/*"))
        assert c.get(f"/v1/voices/{voice_id}", headers=h).status_code == 404
    svc.close()
