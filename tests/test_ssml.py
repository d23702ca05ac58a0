"""The SSML subset: parsing, breaks as exact silence, phoneme tags on every engine, clear 422s."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import numpy as np
import pytest

from polyvox.text import ssml
from polyvox.text.frontend import prepare
from polyvox.text.lexicon import arpabet_to_ipa
from tests.helpers import decode, transcribe

RACHEL = "21m00Tcm4TlvDq8ikWAM"
JOE = "en_US-joe-medium"
ENGINES = [("eleven_multilingual_v2", RACHEL), ("piper", JOE), ("espeak", RACHEL)]


# ---------------------------------------------------------------------------------- parser
def test_plain_text_is_untouched():
    doc = ssml.parse("3 < 5 and 7 > 2, AT&T")
    assert doc.plain.text == "3 < 5 and 7 > 2, AT&T" and not doc.breaks


def test_break_positions_and_times():
    doc = ssml.parse('<speak>Hello <break time="1.5s"/>world<break time="500ms"/>!<break strength="strong"/></speak>')
    assert doc.plain.text == "Hello world!"
    assert [(b.position, b.seconds) for b in doc.breaks] == [(6, 1.5), (11, 0.5), (12, 0.75)]


def test_break_is_capped_at_three_seconds():
    assert ssml.parse('a <break time="10s"/> b').breaks[0].seconds == 3.0


def test_phoneme_sub_say_as_lang_and_entities():
    text = ('Say <phoneme alphabet="cmu-arpabet" ph="T AH0 M EY1 T OW2">tomato</phoneme>, '
            '<sub alias="World Wide Web">WWW</sub> &amp; <say-as interpret-as="characters">abc</say-as> '
            '<lang xml:lang="fr-FR">bonjour</lang><!-- note -->.')
    doc = ssml.parse(text)
    assert doc.plain.text == "Say tomato, World Wide Web & abc bonjour."
    (ph,) = doc.phonemes
    assert doc.plain.text[ph.start:ph.end] == "tomato" and ph.alphabet == "cmu-arpabet"
    assert arpabet_to_ipa(ph.ph) == "təmˈeɪtˌoʊ"
    (lang,) = doc.langs
    assert doc.plain.text[lang.start:lang.end] == "bonjour" and lang.value == "fr"
    assert doc.say_as[0].value == "characters"
    # every plain character maps back into the markup it came from
    amp = doc.plain.text.index("&")
    assert text[doc.plain.starts[amp]:doc.plain.ends[amp]] == "&amp;"
    www = doc.plain.text.index("World")
    assert text[doc.plain.starts[www]:doc.plain.ends[www]].startswith("<sub")


@pytest.mark.parametrize("bad,needle", [
    ('Hello <break time=1s/> world', "Malformed tag"),
    ('Hello <foo>x</foo>', "Unsupported SSML tag <foo>"),
    ('<phoneme alphabet="ipa" ph="">x</phoneme>', "non-empty ph"),
    ('<phoneme alphabet="klingon" ph="x">x</phoneme>', "alphabet"),
    ('<phoneme alphabet="cmu-arpabet" ph="QQ1 ZZ">x</phoneme>', "ARPAbet"),
    ('Say <phoneme alphabet="ipa" ph="ab">word', "never closed"),
    ('a <break time="fast"/> b', "time must be like"),
    ('<speak>a</p>', "Unexpected </p>"),
    ('<say-as interpret-as="shouting">x</say-as>', "interpret-as"),
])
def test_malformed_markup_says_what_is_wrong(bad, needle):
    with pytest.raises(ssml.SsmlError, match=needle.replace("<", "<").replace("(", r"\(")):
        ssml.parse(bad)


def test_safe_cut_never_splits_a_tag_or_element():
    text = 'Hello there <break time="1s"/> and <phoneme alphabet="ipa" ph="x">word</phoneme> end'
    assert ssml.safe_cut(text, text.index("time")) == text.index("<break")
    inside = text.index("word") + 2
    assert ssml.safe_cut(text, inside) == text.index("<phoneme")
    assert ssml.safe_cut(text, len(text)) == len(text)
    assert ssml.safe_cut(text, 5) == 5


def test_frontend_segments_at_breaks_and_maps_every_character():
    text = '<speak>I paid $5.<break time="1s"/>Then <say-as interpret-as="digits">42</say-as> more.</speak>'
    p = prepare(text, "en")
    assert p.spoken.text == "I paid five dollars.Then four two more."
    assert [s.text for s in p.segments] == ["I paid five dollars.", "Then four two more."]
    assert p.segments[0].break_after and p.segments[1].pause_before == 1.0
    # the stretches of original characters the segments stand for cover the text exactly once
    covered = []
    for k, s in enumerate(p.segments):
        lo = p.segments[k - 1].end if k else 0
        j0, j1 = p.times.stretch(lo, s.end, last=k == len(p.segments) - 1)
        covered.append(text[j0:j1])
    assert "".join(covered) == text


# ---------------------------------------------------------------------------------- HTTP
def _silences(pcm: np.ndarray, rate: int, floor_db: float = -40.0) -> list[float]:
    """Lengths (s) of the silent stretches strictly inside the speech (10 ms frames)."""
    hop = int(rate * 0.005)
    n = len(pcm) // hop
    rms = np.sqrt((pcm[: n * hop].astype(np.float64).reshape(n, hop) ** 2).mean(axis=1)) + 1e-9
    quiet = 20 * np.log10(rms / rms.max()) < floor_db
    loud = np.flatnonzero(~quiet)
    runs, cur = [], 0
    for q in quiet[loud[0]: loud[-1] + 1]:
        if q:
            cur += 1
        elif cur:
            runs.append(cur * hop / rate)
            cur = 0
    return runs


@pytest.mark.parametrize("model,voice", ENGINES)
def test_break_is_exact_silence(client, model, voice):
    audio = b"".join(client.text_to_speech.convert(
        voice, text='Good morning. <break time="1.5s"/> Good night.', model_id=model, output_format="pcm_24000"))
    pcm, rate = decode(audio, "pcm_24000")
    longest = max(_silences(pcm, rate))
    assert abs(longest - 1.5) <= 0.05, longest


def test_malformed_tag_is_a_422_not_speech(live_server):
    for text in ('Hello <break time=1s/> world', 'Say <foo>this</foo>', '<phoneme ph="x">unclosed'):
        r = httpx.post(f"{live_server.base_url}/v1/text-to-speech/{RACHEL}", json={"text": text}, timeout=60,
                       headers={"xi-api-key": live_server.admin_key})
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail["status"] == "invalid_ssml" and "SSML" in detail["message"]


@pytest.mark.parametrize("model,voice,alphabet,ph", [
    ("eleven_multilingual_v2", RACHEL, "ipa", "ˈtuːzdeɪ"),
    ("piper", JOE, "cmu-arpabet", "T UW1 Z D EY2"),
    ("espeak", RACHEL, "ipa", "ˈtjuːzdeɪ"),
])
def test_phoneme_tag_changes_what_is_said_on_every_engine(client, model, voice, alphabet, ph):
    text = f'See you on <phoneme alphabet="{alphabet}" ph="{ph}">Monday</phoneme> morning.'
    audio = b"".join(client.text_to_speech.convert(voice, text=text, model_id=model, output_format="pcm_24000"))
    pcm, rate = decode(audio, "pcm_24000")
    heard = transcribe(pcm, rate).text.lower()
    assert "tuesday" in heard and "monday" not in heard, heard


def test_websocket_parses_ssml_only_when_asked(live_server):
    import websockets

    async def run(flag: str) -> tuple[np.ndarray, str]:
        url = (f"ws://127.0.0.1:{live_server.port}/v1/text-to-speech/{RACHEL}/stream-input"
               f"?model_id=eleven_multilingual_v2&output_format=pcm_24000&enable_ssml_parsing={flag}")
        chunks, chars = [], []
        async with websockets.connect(url, additional_headers={"xi-api-key": live_server.admin_key}) as ws:
            await ws.send(json.dumps({"text": " "}))
            await ws.send(json.dumps({"text": 'One moment. <break time="1s"/> '}))
            await ws.send(json.dumps({"text": "Thank you."}))
            await ws.send(json.dumps({"text": ""}))
            async for msg in ws:
                data = json.loads(msg)
                if data.get("audio"):
                    chunks.append(base64.b64decode(data["audio"]))
                if data.get("normalizedAlignment"):
                    chars += data["normalizedAlignment"]["chars"]
                if data.get("isFinal"):
                    break
        pcm, _ = decode(b"".join(chunks), "pcm_24000")
        return pcm, "".join(chars)

    pcm, spoken = asyncio.run(run("true"))
    assert abs(max(_silences(pcm, 24000)) - 1.0) <= 0.06
    assert "<" not in spoken
    _, spoken_off = asyncio.run(run("false"))
    assert "break" in spoken_off  # not parsed: the words of the markup are text


def test_odd_markup_is_an_error_or_text_never_a_crash():
    import random

    rng = random.Random(1)
    pieces = ["<", ">", "/", "break", "phoneme", ' time="1s"', ' ph="a"', "speak", "&amp;", "&", "x", " ", "<!--",
              "-->", '"', "=", "sub", ' alias="b"', "p"]
    for _ in range(500):
        s = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        try:
            p = prepare(s, "en")
        except ssml.SsmlError:
            continue
        assert "<" not in p.spoken.text or not any(c.isalpha() for c in p.spoken.text.split("<", 1)[1][:1])
