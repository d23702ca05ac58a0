"""Voices, models, user and history through the official SDK 2.x against the live server."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from elevenlabs.core.api_error import ApiError

from tests.helpers import decode

RACHEL = "21m00Tcm4TlvDq8ikWAM"
EXPECTED = {  # premade IDs used in ElevenLabs docs and SDK examples: gender and accent must match
    "21m00Tcm4TlvDq8ikWAM": ("female", "american"),
    "JBFqnCBsd6RMkjVDRZzb": ("male", "british"),
    "EXAVITQu4vr4xnSDxMaL": ("female", "american"),
    "pNInz6obpgDQGcFmaJgB": ("male", "american"),
}


def test_premade_catalogue(client):
    voices = {v.voice_id: v for v in client.voices.get_all().voices}
    assert len(voices) >= 90
    for vid, (gender, accent) in EXPECTED.items():
        v = voices[vid]
        assert v.category == "premade"
        assert v.labels["gender"] == gender and v.labels["accent"] == accent
    assert {"af_heart", "bm_george", "ef_dora", "zf_xiaoxiao", "en_US-joe-medium"} <= set(voices)


def test_premade_voice_kokoro_binding_matches_gender(live_server):
    from polyvox.services.catalogue import PREMADE_VOICES

    for p in PREMADE_VOICES:
        if p.kokoro and p.gender in ("female", "male"):
            for part in p.kokoro.split("+"):
                assert part.split(":")[0][1] == p.gender[0], p.name
                assert (part[0] == "b") == (p.accent == "british") or p.accent not in ("american", "british")


def test_get_voice_and_settings(client):
    v = client.voices.get(RACHEL)
    assert v.name == "Rachel" and v.settings.stability == 0.5
    d = client.voices.settings.get_default()
    assert (d.stability, d.similarity_boost, d.style, d.use_speaker_boost, d.speed) == (0.5, 0.75, 0.0, True, 1.0)


def test_edit_settings_roundtrip(client):
    from elevenlabs import VoiceSettings

    client.voices.settings.update("af_bella", request=VoiceSettings(stability=0.8, similarity_boost=0.6, speed=1.1))
    s = client.voices.settings.get("af_bella")
    assert (s.stability, s.similarity_boost, s.speed) == (0.8, 0.6, 1.1)


def test_edit_voice_name_and_labels(client):
    client.voices.update("af_sky", name="Sky Renamed", labels={"mood": "bright"})
    v = client.voices.get("af_sky")
    assert v.name == "Sky Renamed" and v.labels == {"mood": "bright"}


def test_delete_premade_refused_and_unknown_404(client):
    with pytest.raises(ApiError) as e:
        client.voices.delete(RACHEL)
    assert e.value.status_code == 400
    with pytest.raises(ApiError) as e:
        client.voices.get("does-not-exist")
    assert e.value.status_code == 404 and e.value.body["detail"]["status"] == "voice_not_found"


def test_v2_search_filters_and_pages(client):
    page = client.voices.search(page_size=5, gender="female", accent="british", sort="name", sort_direction="asc")
    assert 1 <= len(page.voices) <= 5
    assert all(v.labels["gender"] == "female" and v.labels["accent"] == "british" for v in page.voices)
    seen = [v.voice_id for v in page.voices]
    while page.has_more:
        page = client.voices.search(page_size=5, gender="female", accent="british", sort="name",
                                    sort_direction="asc", next_page_token=page.next_page_token)
        seen += [v.voice_id for v in page.voices]
    assert len(seen) == len(set(seen)) == page.total_count
    found = client.voices.search(search="rachel")
    assert [v.voice_id for v in found.voices] == [RACHEL]


def test_voice_preview_audio(live_server):
    r = httpx.get(f"{live_server.base_url}/v1/voices/bm_george/preview", timeout=120)
    assert r.status_code == 200
    pcm, rate = decode(r.content, "mp3_44100_128")
    assert len(pcm) / rate > 2
    again = httpx.get(f"{live_server.base_url}/v1/voices/bm_george/preview", timeout=120)
    assert again.content == r.content


def test_models_from_registry(client):
    models = {m.model_id: m for m in client.models.list()}
    for mid in ("eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_flash_v2", "eleven_turbo_v2_5",
                "eleven_turbo_v2", "eleven_monolingual_v1", "eleven_multilingual_v1", "kokoro", "piper", "espeak"):
        assert models[mid].can_do_text_to_speech
    assert models["eleven_multilingual_v2"].maximum_text_length_per_request == 10_000
    assert models["eleven_flash_v2_5"].maximum_text_length_per_request == 40_000
    assert {lang.language_id for lang in models["eleven_multilingual_v2"].languages} >= {"en", "es", "ja", "zh"}
    assert len(models["espeak"].languages) >= 100


def test_user_and_subscription_count_characters(client):
    before = client.user.subscription.get().character_count
    b"".join(client.text_to_speech.convert(RACHEL, text="Count these characters."))
    after = client.user.subscription.get().character_count
    assert after - before == len("Count these characters.")
    user = client.user.get()
    assert user.subscription.character_count == after


def test_history_list_get_audio_delete_download(client):
    texts = ["History one is here.", "History two is here.", "History three is here."]
    for t in texts:
        b"".join(client.text_to_speech.convert(RACHEL, text=t, output_format="mp3_22050_32"))
    page = client.history.list(page_size=2, search="History")
    assert len(page.history) == 2 and page.has_more
    rest = client.history.list(page_size=10, search="History", start_after_history_item_id=page.last_history_item_id)
    ids = [h.history_item_id for h in page.history + rest.history]
    assert {h.text for h in page.history + rest.history} >= set(texts)
    item = client.history.get(ids[0])
    assert item.voice_id == RACHEL and item.source == "TTS"
    audio = b"".join(client.history.get_audio(ids[0]))
    pcm, rate = decode(audio, "mp3_22050_32")
    assert len(pcm) / rate > 0.8
    z = b"".join(client.history.download(history_item_ids=ids[:2]))
    with zipfile.ZipFile(io.BytesIO(z)) as f:
        assert len(f.namelist()) == 2
    by_voice = client.history.list(voice_id=RACHEL, page_size=100)
    assert all(h.voice_id == RACHEL for h in by_voice.history)
    client.history.delete(ids[0])
    with pytest.raises(ApiError) as e:
        client.history.get(ids[0])
    assert e.value.status_code == 404


def test_other_keys_see_only_their_history(live_server):
    svc = live_server.services
    key = svc.keys.create("someone")
    r = httpx.get(f"{live_server.base_url}/v1/history", headers={"xi-api-key": key.secret})
    assert r.status_code == 200 and r.json()["history"] == []


def test_revoked_key_is_refused(live_server):
    svc = live_server.services
    key = svc.keys.create("short-lived")
    ok = httpx.get(f"{live_server.base_url}/v1/models", headers={"xi-api-key": key.secret})
    assert ok.status_code == 200
    svc.keys.revoke(key.key_id)
    r = httpx.get(f"{live_server.base_url}/v1/models", headers={"xi-api-key": key.secret})
    assert r.status_code == 401 and r.json()["detail"]["status"] == "invalid_api_key"
