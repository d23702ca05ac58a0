"""The text front-end end to end: normalisation on/off through the SDK, the two alignments,
language detection, the WebSocket options, and long text (even loudness, no clicks at joins)."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import numpy as np

from polyvox.eval.metrics import alignment_error, wer
from polyvox.text.normalize import normalize
from tests.helpers import decode, transcribe

RACHEL = "21m00Tcm4TlvDq8ikWAM"
JOE = "en_US-joe-medium"
MONEY = "I paid $1.5M on 3/14/2025 at 5:30 pm."
MONEY_SPOKEN = "I paid one point five million dollars on March fourteenth, twenty twenty-five at five thirty P M."


def test_timestamps_cover_the_original_and_the_spoken_text(client):
    res = client.text_to_speech.convert_with_timestamps(RACHEL, text=MONEY, model_id="eleven_multilingual_v2",
                                                        output_format="pcm_24000")
    al, nal = res.alignment, res.normalized_alignment
    assert "".join(al.characters) == MONEY
    assert "".join(nal.characters) == MONEY_SPOKEN
    for a in (al, nal):
        s, e = np.array(a.character_start_times_seconds), np.array(a.character_end_times_seconds)
        assert np.all(np.diff(s) >= -1e-6) and np.all(e >= s - 1e-6)
    # "$" starts when "one" (of "one point five million dollars") starts
    dollar = al.character_start_times_seconds[MONEY.index("$")]
    one = nal.character_start_times_seconds[MONEY_SPOKEN.index("one point")]
    assert abs(dollar - one) < 0.02
    pcm, rate = decode(base64.b64decode(res.audio_base_64), "pcm_24000")
    heard = transcribe(pcm, rate, words=True)
    # Whisper writes "$1.5 million", "March 14, 2025": compare both sides in spoken form
    assert wer(MONEY_SPOKEN, normalize(heard.text, "en").text) <= 0.2, heard.text
    assert alignment_error(al.character_start_times_seconds, MONEY, heard.words) < 0.2


def test_normalization_off_speaks_the_characters_as_written(client):
    kw = dict(text="Call 555-123-4567 today.", model_id="eleven_multilingual_v2", output_format="pcm_24000", seed=3)
    off = client.text_to_speech.convert_with_timestamps(RACHEL, apply_text_normalization="off", **kw)
    on = client.text_to_speech.convert_with_timestamps(RACHEL, apply_text_normalization="on", **kw)
    assert "".join(off.normalized_alignment.characters) == kw["text"]
    assert "".join(on.normalized_alignment.characters) == "Call five five five, one two three, four five six seven today."
    assert off.audio_base_64 != on.audio_base_64


def test_stream_with_timestamps_carries_both_alignments(live_server):
    text = "Tickets cost €20. Doors open at 7 p.m. on Dec. 5th, and Dr. Lee speaks at 8:15."
    with httpx.stream("POST", f"{live_server.base_url}/v1/text-to-speech/{JOE}/stream/with-timestamps",
                      json={"text": text, "model_id": "piper"}, timeout=120,
                      headers={"xi-api-key": live_server.admin_key}) as r:
        assert r.status_code == 200
        objs = [json.loads(line) for line in r.iter_lines() if line.strip()]
    assert "".join(c for o in objs for c in o["alignment"]["characters"]) == text
    spoken = "".join(c for o in objs for c in o["normalized_alignment"]["characters"])
    assert spoken == ("Tickets cost twenty euros. Doors open at seven P M on December fifth, and Doctor Lee "
                      "speaks at eight fifteen.")


def test_language_is_detected_when_absent(client):
    res = client.text_to_speech.convert_with_timestamps(
        RACHEL, text="Bonjour à tous, je voudrais acheter trois croissants pour 5 € s'il vous plaît.",
        model_id="eleven_multilingual_v2", output_format="pcm_24000")
    assert "cinq euros" in "".join(res.normalized_alignment.characters)  # read as French


def test_text_the_model_cannot_speak_is_a_clear_error(live_server):
    r = httpx.post(f"{live_server.base_url}/v1/text-to-speech/{RACHEL}", timeout=60,
                   headers={"xi-api-key": live_server.admin_key},
                   json={"text": "Guten Morgen, meine Damen und Herren, willkommen zu unserer heutigen Sitzung.",
                         "model_id": "eleven_multilingual_v2"})
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert detail["status"] == "unsupported_language" and "German" in detail["message"]
    # the same text on a model that speaks German is fine
    r = httpx.post(f"{live_server.base_url}/v1/text-to-speech/{RACHEL}", timeout=60,
                   headers={"xi-api-key": live_server.admin_key},
                   json={"text": "Guten Morgen, es ist 15:30 Uhr.", "model_id": "espeak"})
    assert r.status_code == 200


def test_websocket_normalizes_and_applies_dictionaries(live_server, client):
    import websockets

    d = client.pronunciation_dictionaries.create_from_rules(
        name="ws", rules=[{"type": "alias", "string_to_replace": "Zyxqor", "alias": "tomato"}])

    async def run(norm: str) -> str:
        url = (f"ws://127.0.0.1:{live_server.port}/v1/text-to-speech/{RACHEL}/stream-input"
               f"?model_id=eleven_multilingual_v2&output_format=pcm_24000&apply_text_normalization={norm}")
        spoken, original = [], []
        async with websockets.connect(url, additional_headers={"xi-api-key": live_server.admin_key}) as ws:
            await ws.send(json.dumps({"text": " ", "pronunciation_dictionary_locators": [
                {"pronunciation_dictionary_id": d.id, "version_id": d.version_id}]}))
            await ws.send(json.dumps({"text": "Zyxqor owes me $5 "}))
            await ws.send(json.dumps({"text": "by 3:30 pm."}))
            await ws.send(json.dumps({"text": ""}))
            async for msg in ws:
                data = json.loads(msg)
                if data.get("alignment"):
                    original += data["alignment"]["chars"]
                    spoken += data["normalizedAlignment"]["chars"]
                if data.get("isFinal"):
                    break
        assert "".join(original).strip() == "Zyxqor owes me $5 by 3:30 pm."
        return "".join(spoken)

    assert asyncio.run(run("on")).strip() == "tomato owes me five dollars by three thirty P M."
    assert asyncio.run(run("off")).strip() == "tomato owes me $5 by 3:30 pm."


def test_long_text_even_loudness_no_clicks(services):
    from polyvox.audio import dsp
    from polyvox.services.tts import TTSRequest

    sentence = ("The committee, which had met every Thursday for nearly {n} years, finally agreed on the budget, "
                "the schedule, and the long list of repairs that the old library needed before winter. ")
    text = "".join(sentence.format(n=n) for n in range(2, 10))
    plan = services.tts.plan(services.local_principal(), TTSRequest(
        text=text, voice_id=JOE, model_id="piper", output_format="pcm_22050", enable_logging=False))
    services.tts.admit(plan)

    async def collect():
        return [c async for c in services.tts.stream(plan)]

    chunks = asyncio.run(collect())
    assert len(chunks) >= 8
    assert "".join(c for ch in chunks for c in ch.chars) == text
    pieces = [decode(c.audio, "pcm_22050")[0] for c in chunks]
    levels = [dsp.loudness_lufs(p, 22050) for p in pieces if len(p) > 22050]
    assert np.std(levels) < 1.5, levels  # loudness even across segments
    pcm = np.concatenate(pieces)
    joins = np.cumsum([len(p) for p in pieces])[:-1]
    steps = np.abs(np.diff(pcm))
    for j in joins:  # no click: the step across a join is no larger than the waveform's own steps around it
        around = np.concatenate([steps[j - 111: j - 1], steps[j: j + 110]])
        assert steps[j - 1] < max(0.01, 1.5 * float(around.max())), (j, steps[j - 1], around.max())
    rates = [len(c.chars) / c.pcm_seconds for c in chunks if c.pcm_seconds > 1.0]
    assert np.std(rates) / np.mean(rates) < 0.25  # pace even
