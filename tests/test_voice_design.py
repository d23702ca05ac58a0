"""Voice design (text-to-voice): the description parser, the preview text, and the routes through
the official SDKs (2.x in process, 1.54 in a subprocess).

One design per description is shared by the module (each costs a few seconds of Kokoro
rendering); the previews are measured with the same analysis the bench uses.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import requests

from tests.helpers import decode, transcribe, wer

OLD_MAN = "A deep, slow old man with a gravelly voice."
YOUNG_WOMAN = "A high-pitched, fast-talking young woman."
TEXT = ("The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
        "It is easy to tell.")
SDK154 = Path(os.environ.get("POLYVOX_SDK154", Path(__file__).resolve().parents[1] / ".sdk154"))


# --------------------------------------------------------------------------- the description parser
def test_parse_gender_age_pitch_pace_and_accent():
    from polyvox.voicelab.describe import parse_description

    old = parse_description(OLD_MAN)
    assert (old.gender, old.age) == ("male", "old")
    assert old.pitch < -3 and old.pace < -0.2 and old.tilt > 0  # deep, slow, gravelly (+ what age adds)
    assert old.pitch_set and old.pace_set and old.tone_set
    young = parse_description(YOUNG_WOMAN)
    assert (young.gender, young.age) == ("female", "young")
    assert young.pitch > 3 and young.pace > 0.2
    brit = parse_description("A calm British narrator, she speaks softly")
    assert brit.accent.label == "british" and brit.accent.english == "en-gb" and brit.gender == "female"
    assert brit.labels() == {"gender": "female", "accent": "british"}
    assert parse_description("a woman speaking french").accent is None  # a language spoken, not an accent


def test_parse_intensity_negation_numbers_and_limits():
    from polyvox.voicelab.describe import LIMITS, parse_description

    deep = parse_description("a deep voice").pitch
    assert parse_description("a very deep voice").pitch < deep < parse_description("a slightly deep voice").pitch < 0
    assert parse_description("a man who is not slow at all").pace == 0.0
    assert parse_description("a 70-year-old woman").age == "old"
    assert parse_description("a man in his 30s").age == "middle_aged"
    assert parse_description("a female ogre").gender == "female"  # explicit words beat an archetype's hint
    assert parse_description("an ogre").gender == "male" and parse_description("an ogre").formant < 0.9
    extreme = parse_description("an extremely extremely deep deep deep rumbling bass voice")
    assert extreme.pitch == -LIMITS["pitch"]
    half = parse_description(OLD_MAN).scaled(0.5)
    assert half.pitch == pytest.approx(parse_description(OLD_MAN).pitch / 2)


def test_sample_text_fits_the_description_and_the_length_rules():
    from polyvox.voicelab.sample_text import _REGISTERS, MAX_CHARS, MIN_CHARS, register_of, sample_text

    assert register_of("a scary, sinister villain") == "villain"
    assert register_of("a calm meditation guide") == "calm"
    assert register_of("a voice") is None
    for description in [*(words.split()[0] for words, _ in _REGISTERS.values()), "a voice"]:
        for seed in range(30):
            text = sample_text(description, seed)
            assert MIN_CHARS <= len(text) <= MAX_CHARS, (description, seed, text)
    assert sample_text("a pirate captain", 3) == sample_text("a pirate captain", 3)


# --------------------------------------------------------------------------- through the SDKs
def _profile(pcm: np.ndarray, rate: int):
    from polyvox.audio import dsp
    from polyvox.voicelab import analysis

    return analysis.profile(dsp.resample(pcm, rate, 16000), _embedder())


@functools.lru_cache(maxsize=1)
def _embedder():
    from polyvox.engines.stt.diarize import SpeakerEmbedder

    return SpeakerEmbedder()


def _previews(response, fmt: str) -> list[tuple[np.ndarray, int]]:
    return [decode(base64.b64decode(p.audio_base_64), fmt) for p in response.previews]


@pytest.fixture(scope="module")
def sdk(live_server):
    from elevenlabs.client import ElevenLabs

    return ElevenLabs(api_key=live_server.admin_key, base_url=live_server.base_url, timeout=300)


@pytest.fixture(scope="module")
def old_man(sdk):
    r = sdk.text_to_voice.design(voice_description=OLD_MAN, text=TEXT, output_format="pcm_16000", seed=7)
    return r, _previews(r, "pcm_16000")


@pytest.fixture(scope="module")
def young_woman(sdk):
    r = sdk.text_to_voice.create_previews(voice_description=YOUNG_WOMAN, text=TEXT, output_format="mp3_22050_32",
                                          seed=7)
    return r, _previews(r, "mp3_22050_32")


def test_previews_decode_in_the_requested_format_with_their_duration(old_man, young_woman):
    for (r, audio), media in ((old_man, "audio/pcm"), (young_woman, "audio/mpeg")):
        assert r.text == TEXT and len(r.previews) == 3
        assert len({p.generated_voice_id for p in r.previews}) == 3
        for p, (pcm, rate) in zip(r.previews, audio):
            assert p.media_type == media and p.language == "en"
            assert rate == (16000 if media == "audio/pcm" else 22050)
            assert 2.5 < p.duration_secs < 20.0
            assert len(pcm) / rate == pytest.approx(p.duration_secs, abs=0.03)  # mp3 is gapless (LAME tag)


def test_previews_are_different_voices(old_man, young_woman):
    for _, audio in (old_man, young_woman):
        e = [_profile(pcm, rate).embedding for pcm, rate in audio]
        sims = [float(e[i] @ e[j]) for i in range(3) for j in range(i + 1, 3)]
        # the same voice on the same text scores ~0.97 (see the save test); three takes of one voice would too
        assert max(sims) < 0.95, sims


def test_described_pitch_and_pace_move_the_voice(old_man, young_woman):
    from polyvox.audio import dsp
    from polyvox.voicelab.analysis import active_seconds

    old = [_profile(pcm, rate) for pcm, rate in old_man[1]]
    young = [_profile(pcm, rate) for pcm, rate in young_woman[1]]
    # the stock voices' typical F0 is ~110 Hz for men, ~170 Hz for women
    assert max(p.f0_median for p in old) < 125
    assert min(p.f0_median for p in young) > 200
    # the same text: more speech time without the pauses, and fewer syllable nuclei per second
    speech = {name: [active_seconds(dsp.resample(pcm, rate, 16000)) for pcm, rate in previews]
              for name, (_, previews) in (("old", old_man), ("young", young_woman))}
    assert min(speech["old"]) > 1.4 * max(speech["young"]), speech
    assert np.mean([p.rate for p in young]) > 1.15 * np.mean([p.rate for p in old])


def test_saved_voice_speaks_and_is_the_voice_of_its_preview(sdk, live_server, old_man):
    r, audio = old_man
    chosen = r.previews[0]
    v = sdk.text_to_voice.create(voice_name="Old storyteller", voice_description=OLD_MAN,
                                 generated_voice_id=chosen.generated_voice_id, labels={"use_case": "narration"})
    assert v.category == "generated" and v.name == "Old storyteller"
    assert v.labels["gender"] == "male" and v.labels["age"] == "old" and v.labels["use_case"] == "narration"
    got = sdk.voices.get(v.voice_id)
    assert got.category == "generated" and got.description == OLD_MAN
    pcm, rate = decode(b"".join(sdk.text_to_speech.convert(voice_id=v.voice_id, text=TEXT,
                                                            output_format="pcm_16000")), "pcm_16000")
    assert wer(TEXT, transcribe(pcm, rate).text) <= 0.2
    mine = _profile(pcm, rate).embedding
    sims = [float(mine @ _profile(p, r_).embedding) for p, r_ in audio]
    assert sims[0] >= 0.93 and sims[0] > max(sims[1:]) + 0.03, sims
    # the stream route and the voice's own preview are the chosen preview
    streamed = b"".join(sdk.text_to_voice.preview.stream(generated_voice_id=chosen.generated_voice_id))
    mp3, mp3_rate = decode(streamed, "mp3_44100_128")
    assert len(mp3) / mp3_rate == pytest.approx(chosen.duration_secs, abs=0.03)
    own = requests.get(f"{live_server.base_url}/v1/voices/{v.voice_id}/preview", timeout=30)
    assert own.status_code == 200 and own.content == streamed
    sdk.voices.delete(v.voice_id)


def test_validation_and_unknown_ids(sdk, live_server):
    from elevenlabs.core import ApiError

    with pytest.raises(ApiError) as e:  # descriptions are 20-1000 characters
        sdk.text_to_voice.design(voice_description="a man", text=TEXT)
    assert e.value.status_code == 422 and e.value.body["detail"][0]["loc"] == ["body", "voice_description"]
    with pytest.raises(ApiError) as e:  # texts 100-1000, unless the server writes one
        sdk.text_to_voice.create_previews(voice_description=OLD_MAN, text="Too short.")
    assert e.value.status_code == 422 and e.value.body["detail"][0]["loc"] == ["body", "text"]
    with pytest.raises(ApiError) as e:
        sdk.text_to_voice.create(voice_name="x", voice_description=OLD_MAN, generated_voice_id="nOsUcHpReViEw0000000")
    assert e.value.status_code == 404 and e.value.body["detail"]["status"] == "generated_voice_not_found"
    h = {"xi-api-key": live_server.admin_key}
    r = requests.get(f"{live_server.base_url}/v1/text-to-voice/nOsUcHpReViEw0000000/stream", headers=h, timeout=30)
    assert r.status_code == 404 and r.json()["detail"]["status"] == "generated_voice_not_found"
    r = requests.get(f"{live_server.base_url}/v1/text-to-voice/..%2F..%2Fetc/stream", headers=h, timeout=30)
    assert r.status_code == 404
    with pytest.raises(ApiError) as e:  # Parler-TTS is not installed on the test server
        sdk.text_to_voice.design(voice_description=OLD_MAN, text=TEXT, model_id="parler_tts")
    assert e.value.status_code == 400 and e.value.body["detail"]["status"] == "model_not_installed"
    r = requests.post(f"{live_server.base_url}/v1/text-to-voice/design?output_format=mp3_1_2", headers=h,
                      json={"voice_description": OLD_MAN, "text": TEXT}, timeout=30)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "output_format"]


def test_previews_belong_to_their_key_and_expire(sdk, live_server, old_man):
    from elevenlabs.core import ApiError

    from polyvox.services.voice_design import PREVIEW_TTL, VoiceDesignService

    design = live_server.services.component(VoiceDesignService)
    gid = old_man[0].previews[2].generated_voice_id
    other = live_server.services.keys.create("someone else")
    url = f"{live_server.base_url}/v1/text-to-voice/{gid}/stream"
    try:
        assert requests.get(url, headers={"xi-api-key": other.secret}, timeout=30).status_code == 404
    finally:
        live_server.services.keys.revoke(other.key_id)
    assert requests.get(url, headers={"xi-api-key": live_server.admin_key}, timeout=30).status_code == 200
    key = f"voice-design/{gid}/meta.json"
    meta = json.loads(design.blobs.get(key))
    meta["created_unix"] -= PREVIEW_TTL + 1
    design.blobs.put(key, json.dumps(meta).encode())
    assert design.sweep() >= 1
    assert not any(design.blobs.exists(f"voice-design/{gid}/{n}") for n in ("meta.json", "kokoro.npz", "preview.mp3"))
    with pytest.raises(ApiError) as e:
        sdk.text_to_voice.create(voice_name="Too late", voice_description=OLD_MAN, generated_voice_id=gid)
    assert e.value.status_code == 404 and e.value.body["detail"]["status"] == "generated_voice_not_found"


def test_same_seed_same_voices(live_server):
    """The plan behind the previews is a function of description and seed (no rendering needed)."""
    from polyvox.services.voice_lab import VoiceLabService
    from polyvox.voicelab.describe import parse_description
    from polyvox.voicelab.design import DesignOptions, blind_assets

    lab = live_server.services.component(VoiceLabService)
    attrs = parse_description(YOUNG_WOMAN)
    with lab.engine_context() as (_engine, _embedder, space, stock):
        a, b, c = (blind_assets(attrs, space, stock, DesignOptions(seed=s)) for s in (3, 3, 4))
    assert all(np.array_equal(x.style, y.style) and x.fx == y.fx for x, y in zip(a, b))
    assert not np.array_equal(a[0].style, c[0].style)


def test_sdk_154_create_previews_and_save(live_server):
    if not (SDK154 / "elevenlabs").is_dir():
        pytest.skip(f"elevenlabs==1.54.0 not installed in {SDK154} (scripts/test.sh installs it)")
    description = "A calm, soothing woman with a soft voice, like a meditation guide."
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("sdk154_design_client.py")),
                          live_server.base_url, live_server.admin_key, description],
                         env=dict(os.environ, PYTHONPATH=str(SDK154)), capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert 100 <= len(r["text"]) <= 200  # written by the server for the description
    assert len(r["previews"]) == 3 and all(p["media_type"] == "audio/mpeg" and p["bytes"] > 5000
                                           and p["duration_secs"] > 4 for p in r["previews"])
    assert r["category"] == "generated" and r["labels"]["gender"] == "female" and r["labels"]["use_case"] == "test"
    assert r["tts_bytes"] > 5000


def test_parler_design_keeps_both_engines(tmp_path, voices_dir):
    """With Parler-TTS installed (a tiny random checkpoint here), parler_tts designs on it and the
    saved voice renders on Parler and, through its Kokoro counterpart, on every Kokoro model."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from fastapi.testclient import TestClient

    from polyvox.api.app import create_app
    from polyvox.engines.manager import EngineManager
    from polyvox.engines.tts import parler
    from polyvox.services.container import Services, _register_engines
    from polyvox.settings import EngineSettings
    from tests.conftest import ADMIN_KEY, make_settings
    from tests.test_parler_engine import build_checkpoint

    settings = make_settings(tmp_path / "data", voices_dir)
    settings.engines = EngineSettings(kokoro_voices_dir=voices_dir, workers=1, voicelab_dir=settings.engines.voicelab_dir,
                                      parler_dir=build_checkpoint(tmp_path / "parler"))
    engines = EngineManager()
    _register_engines(engines, settings)
    assert parler.register(engines, settings)
    services = Services.build(settings, engines=engines)
    try:
        services.bootstrap_admin()
        h = {"xi-api-key": ADMIN_KEY}
        with TestClient(create_app(settings, services=services)) as http:
            r = http.post("/v1/text-to-voice/design?output_format=pcm_16000", headers=h,
                          json={"voice_description": OLD_MAN, "text": TEXT, "model_id": "parler_tts", "seed": 5})
            assert r.status_code == 200, r.text
            previews = r.json()["previews"]
            assert len(previews) == 3
            audio = [base64.b64decode(p["audio_base_64"]) for p in previews]
            assert len(set(audio)) == 3 and all(len(a) > 0 for a in audio)
            r = http.post("/v1/text-to-voice", headers=h, json={
                "voice_name": "Parler voice", "voice_description": OLD_MAN,
                "generated_voice_id": previews[1]["generated_voice_id"]})
            assert r.status_code == 200, r.text
            voice = r.json()
            assert voice["lab"]["method"] == "parler-tts"
            engines_of = services.voices.get(voice["voice_id"]).engines
            assert parler.parse_voice_spec(engines_of["parler"]) == (OLD_MAN, 6) and "kokoro" in engines_of
            for model in ("parler_tts", "eleven_multilingual_v2"):
                r = http.post(f"/v1/text-to-speech/{voice['voice_id']}?output_format=pcm_16000", headers=h,
                              json={"text": "Hello there.", "model_id": model})
                assert r.status_code == 200 and len(r.content) > 1000, (model, r.text[:300])
    finally:
        services.close()


def test_cli_refuses_bad_input_before_any_work(tmp_path, voices_dir):
    """`polyvox voices design/clone`: a bad --pick, a short description and a missing file each end
    with a clear message and an exit code, and leave no voice behind."""
    env = {**os.environ, "POLYVOX_DATA_DIR": str(tmp_path), "POLYVOX_ENGINES__KOKORO_VOICES_DIR": str(voices_dir)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "polyvox.cli", "voices", *args], env=env, capture_output=True,
                              text=True, timeout=120)

    r = cli("design", "A bright young woman, fast and cheerful", "--save", "B", "--pick", "5")
    assert r.returncode == 2 and "--pick must be 1-3" in r.stderr
    r = cli("design", "short")
    assert r.returncode == 1 and "20-1000 characters" in r.stderr
    r = cli("clone", "X", str(tmp_path / "missing.wav"))
    assert r.returncode == 2 and "no such file" in r.stderr
    r = cli()
    assert r.returncode == 0 and "\tgenerated\t" not in r.stdout and "\tcloned\t" not in r.stdout
