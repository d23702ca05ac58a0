"""The text-to-speech WebSockets (``stream-input``, ``multi-stream-input``) against a live server.

Every test talks to real uvicorn over a socket with the ``websockets`` client; the last
one serves TLS and drives the official SDK's ``convert_realtime``, which always dials wss://.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import ADMIN_KEY, _Thread, free_port
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

JOE = "en_US-joe-medium"
RACHEL = "21m00Tcm4TlvDq8ikWAM"
TEXT = ["Hello there, ", "this is a test ", "of the streaming ", "voice server. ", "It speaks text ",
        "as it arrives, ", "piece by piece."]


def _url(server, voice: str = JOE, path: str = "stream-input", **params) -> str:
    params.setdefault("model_id", "piper")
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"ws://127.0.0.1:{server.port}/v1/text-to-speech/{voice}/{path}?{query}"


def _open(server, voice: str = JOE, path: str = "stream-input", key: str | None = ADMIN_KEY,
          **params) -> ClientConnection:
    headers = {"xi-api-key": key} if key else {}
    return connect(_url(server, voice, path, **params), additional_headers=headers, open_timeout=10)


def _drain(ws: ClientConnection, timeout: float = 30) -> tuple[list[dict], int | None]:
    """Every message until the server closes, and the close code."""
    out = []
    while True:
        try:
            out.append(json.loads(ws.recv(timeout=timeout)))
        except ConnectionClosed as e:
            return out, e.rcvd.code if e.rcvd else None


def _send(ws: ClientConnection, message: str) -> None:
    """Send, unless the server has already closed (it reports errors in the query or
    the handshake's key right after the handshake)."""
    try:
        ws.send(message)
    except ConnectionClosed:
        pass


def _next_audio(ws: ClientConnection, timeout: float = 30) -> dict:
    while True:
        msg = json.loads(ws.recv(timeout=timeout))
        if msg.get("audio"):
            return msg


def _init(**extra) -> str:
    return json.dumps({"text": " ", "voice_settings": {"stability": 0.5, "similarity_boost": 0.8}, **extra})


def _audio(msgs: list[dict]) -> bytes:
    return b"".join(base64.b64decode(m["audio"]) for m in msgs if m.get("audio"))


def _chars(msgs: list[dict]) -> str:
    return "".join("".join(m["alignment"]["chars"]) for m in msgs if m.get("alignment"))


def _squash(text: str) -> str:
    return "".join(text.split())


def _pcm16(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0


def _rms(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64))))


# stream-input ----------------------------------------------------------------------------
def test_pieces_then_eos_gives_mp3_audio_alignment_and_final(live_server):
    from polyvox.audio import decode_audio

    with _open(live_server, output_format="mp3_44100_128") as ws:
        ws.send(_init())
        for piece in TEXT:
            ws.send(json.dumps({"text": piece}))
        ws.send(json.dumps({"text": ""}))
        msgs, code = _drain(ws)
    assert code == 1000
    assert msgs[-1] == {"isFinal": True}
    audio_msgs = msgs[:-1]
    assert audio_msgs and all(m.get("audio") for m in audio_msgs)
    assert all(m["isFinal"] is None for m in audio_msgs)
    assert _squash(_chars(audio_msgs)) == _squash("".join(TEXT))
    for m in audio_msgs:
        if m["alignment"]:
            a = m["alignment"]
            assert m["normalizedAlignment"] == a
            assert len(a["chars"]) == len(a["charStartTimesMs"]) == len(a["charDurationsMs"])
            assert all(isinstance(t, int) and t >= 0 for t in a["charStartTimesMs"] + a["charDurationsMs"])
    pcm, rate = decode_audio(_audio(msgs))
    seconds = len(pcm) / rate
    assert 3.0 < seconds < 15.0, seconds
    assert _rms(pcm) > 0.01


def test_pcm_alignment_is_in_ms_relative_to_each_chunk(live_server):
    from polyvox.audio import decode_raw, parse_output_format

    with _open(live_server, output_format="pcm_16000") as ws:
        ws.send(_init(generation_config={"chunk_length_schedule": [50]}))
        for piece in TEXT:
            ws.send(json.dumps({"text": piece}))
        ws.send(json.dumps({"text": ""}))
        msgs, code = _drain(ws)
    assert code == 1000 and msgs[-1] == {"isFinal": True}
    aligned = [m for m in msgs if m.get("alignment")]
    assert len(aligned) >= 2  # more than one generation, so times restart per chunk
    for m in aligned:
        seconds = len(base64.b64decode(m["audio"])) / 2 / 16000
        a = m["alignment"]
        assert a["charStartTimesMs"][0] < 500
        last_end = max(s + d for s, d in zip(a["charStartTimesMs"], a["charDurationsMs"]))
        assert last_end <= seconds * 1000 + 60, (last_end, seconds)
    assert _squash(_chars(msgs)) == _squash("".join(TEXT))
    pcm, rate = decode_raw(_audio(msgs), parse_output_format("pcm_16000"))
    assert rate == 16000 and 3.0 < len(pcm) / rate < 15.0
    assert _rms(pcm) > 0.01


def test_flush_generates_before_eos_and_schedule_holds_short_text(live_server):
    with _open(live_server, output_format="pcm_22050", sync_alignment="true") as ws:
        ws.send(_init())
        ws.send(json.dumps({"text": "Short text, "}))
        ws.send(json.dumps({"text": "well below the first threshold. "}))
        ws.send(json.dumps({"text": " ", "flush": True}))
        first = _next_audio(ws)
        # nothing was generated before the flush: the first chunk starts at the first word
        assert "".join(first["alignment"]["chars"]).lstrip().startswith("Short")
        ws.send(json.dumps({"text": "And more after the flush. "}))
        ws.send(json.dumps({"text": ""}))
        msgs, code = _drain(ws)
    assert code == 1000 and msgs[-1] == {"isFinal": True}
    assert all(m["alignment"] is not None for m in msgs[:-1])  # sync_alignment: on every chunk
    assert "flush" in _chars([first] + msgs)


def test_chunk_length_schedule_triggers_generation_before_eos(live_server):
    with _open(live_server, output_format="pcm_16000") as ws:
        ws.send(_init(generation_config={"chunk_length_schedule": [50]}))
        sent = ""
        pieces = ["The schedule ", "asks for fifty ", "characters, ", "and then audio ", "should arrive. "]
        for piece in pieces:
            ws.send(json.dumps({"text": piece}))
            sent += piece
        assert len(sent) >= 50
        first = _next_audio(ws)  # arrives although neither flush nor EOS was sent
        assert first["alignment"]["chars"]
        ws.send(json.dumps({"text": ""}))
        msgs, code = _drain(ws)
    assert code == 1000 and msgs[-1] == {"isFinal": True}
    assert _squash(_chars([first] + msgs)) == _squash(sent)


def test_unpunctuated_text_is_cut_between_words(live_server):
    words = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    with _open(live_server, output_format="pcm_16000") as ws:
        ws.send(_init(generation_config={"chunk_length_schedule": [50]}))
        for w in words.split():
            ws.send(json.dumps({"text": w + " "}))
        ws.send(json.dumps({"text": ""}))
        msgs, code = _drain(ws)
    assert code == 1000 and msgs[-1] == {"isFinal": True}
    pieces = ["".join(m["alignment"]["chars"]) for m in msgs if m.get("alignment")]
    assert _squash("".join(pieces)) == _squash(words)  # no word lost or split at the cuts
    assert _rms(_pcm16(_audio(msgs))) > 0.01


def test_auto_mode_generates_each_sentence(live_server):
    with _open(live_server, output_format="pcm_16000", auto_mode="true") as ws:
        ws.send(_init())
        ws.send(json.dumps({"text": "One short sentence. "}))
        said = ""
        while len(_squash(said)) < len("Oneshortsentence."):  # the sentence, maybe in pieces, before any flush
            said += "".join(_next_audio(ws)["alignment"]["chars"])
        assert _squash(said) == "Oneshortsentence."
        ws.send(json.dumps({"text": ""}))
        _, code = _drain(ws)
    assert code == 1000


def test_api_key_in_first_message(live_server):
    with _open(live_server, key=None, output_format="pcm_16000") as ws:
        ws.send(_init(xi_api_key=ADMIN_KEY))
        ws.send(json.dumps({"text": "Authorised in the first message. "}))
        ws.send(json.dumps({"text": ""}))
        msgs, code = _drain(ws)
    assert code == 1000 and msgs[-1] == {"isFinal": True} and _audio(msgs)
    with _open(live_server, key=None, output_format="pcm_16000") as ws:
        ws.send(_init(authorization=f"Bearer {ADMIN_KEY}"))
        ws.send(json.dumps({"text": ""}))
        msgs, code = _drain(ws)
    assert code == 1000 and msgs == [{"isFinal": True}]


@pytest.mark.parametrize("where", ["header", "message", "missing"])
def test_bad_or_missing_key_closes_1008(live_server, where):
    with _open(live_server, key="sk_wrong" if where == "header" else None) as ws:
        _send(ws, _init(**({"xi_api_key": "sk_wrong"} if where == "message" else {})))
        msgs, code = _drain(ws, timeout=10)
    assert code == 1008
    assert msgs[-1]["error"] == "invalid_api_key" and msgs[-1]["code"] == 1008 and msgs[-1]["message"]


def test_inactivity_timeout_closes_1008(live_server):
    with _open(live_server, inactivity_timeout=1) as ws:
        ws.send(_init())
        msgs, code = _drain(ws, timeout=10)
    assert code == 1008
    assert msgs == [{"message": msgs[0]["message"], "error": "input_timeout_exceeded", "code": 1008}]


def test_unknown_voice_closes_1008(live_server):
    with _open(live_server, voice="no_such_voice_000000") as ws:
        ws.send(_init())
        msgs, code = _drain(ws, timeout=10)
    assert code == 1008 and msgs[-1]["error"] == "voice_not_found" and msgs[-1]["code"] == 1008


@pytest.mark.parametrize("params,init,error", [
    ({}, {"generation_config": {"chunk_length_schedule": [20, 120]}}, "invalid_request"),
    ({"output_format": "mp3_1_2"}, {}, "invalid_output_format"),
    ({"inactivity_timeout": "500"}, {}, "invalid_request"),
    ({"model_id": "no_such_model"}, {}, "model_not_found"),
])
def test_bad_parameters_close_1008(live_server, params, init, error):
    with _open(live_server, **params) as ws:
        _send(ws, _init(**init))
        msgs, code = _drain(ws, timeout=10)
    assert code == 1008 and msgs[-1]["error"] == error


def test_kokoro_default_model_and_mp3_44100_alias(live_server):
    from polyvox.audio import decode_audio

    with _open(live_server, voice=RACHEL, model_id="Ellipsis", output_format="mp3_44100") as ws:
        ws.send(_init())
        ws.send(json.dumps({"text": "Kokoro speaks here. "}))
        ws.send(json.dumps({"text": ""}))
        msgs, code = _drain(ws, timeout=60)
    assert code == 1000 and msgs[-1] == {"isFinal": True}
    pcm, rate = decode_audio(_audio(msgs))
    assert rate == 44100 and 0.8 < len(pcm) / rate < 5 and _rms(pcm) > 0.01


def test_client_leaving_mid_generation_frees_the_slot(live_server):
    services = live_server.services
    key_id = services.keys.authenticate(ADMIN_KEY).key_id
    with _open(live_server, output_format="pcm_16000") as ws:
        ws.send(_init())
        ws.send(json.dumps({"text": " ".join(TEXT) * 3, "flush": True}))
        _next_audio(ws)
        assert services.limiter.current(key_id) == 1
    # the server notices at once; one more whole session later it has long cleaned up
    with _open(live_server, output_format="pcm_16000") as ws:
        ws.send(_init())
        ws.send(json.dumps({"text": "Still here. "}))
        ws.send(json.dumps({"text": ""}))
        msgs, code = _drain(ws)
    assert code == 1000 and msgs[-1] == {"isFinal": True}
    assert services.limiter.current(key_id) == 0


# multi-stream-input ----------------------------------------------------------------------
def test_multi_context_interleaved(live_server):
    texts = {"c1": ["First context ", "says this. "], "c2": ["Second context ", "says that. "]}
    with _open(live_server, path="multi-stream-input", output_format="pcm_16000") as ws:
        ws.send(json.dumps({"text": " ", "context_id": "c1"}))
        ws.send(json.dumps({"text": " ", "contextId": "c2", "voice_settings": {"stability": 0.3,
                                                                               "similarity_boost": 0.9}}))
        for a, b in zip(texts["c1"], texts["c2"]):
            ws.send(json.dumps({"text": a, "context_id": "c1"}))
            ws.send(json.dumps({"text": b, "context_id": "c2"}))
        ws.send(json.dumps({"text": "", "context_id": "c1"}))  # keep-alive, not the end
        ws.send(json.dumps({"text": " ", "context_id": "c2", "flush": True}))
        ws.send(json.dumps({"context_id": "c1", "flush": True}))
        ws.send(json.dumps({"context_id": "c2", "close_context": True}))
        ws.send(json.dumps({"text": "Third context. ", "context_id": "c3"}))
        ws.send(json.dumps({"close_socket": True}))
        msgs, code = _drain(ws)
    assert code == 1000
    finals = [m["contextId"] for m in msgs if m.get("isFinal")]
    assert sorted(finals) == ["c1", "c2", "c3"]
    for cid in ("c1", "c2"):
        mine = [m for m in msgs if m.get("contextId") == cid]
        assert mine[-1] == {"isFinal": True, "contextId": cid}
        assert all(m.get("audio") for m in mine[:-1]) and _audio(mine)
        assert _squash(_chars(mine)) == _squash("".join(texts[cid]))
    assert _squash(_chars([m for m in msgs if m.get("contextId") == "c3"])) == "Thirdcontext."
    assert msgs.index({"isFinal": True, "contextId": "c2"}) < msgs.index({"isFinal": True, "contextId": "c3"})


# buffering rules (no server) ---------------------------------------------------------------
def test_cut_point_prefers_sentence_then_clause_then_word():
    from polyvox.api.ws_session import SessionError, check_schedule, cut_point, last_word_end

    text = "First sentence here. Then a clause, and words that go on "
    assert text[:cut_point(text, 40)] == "First sentence here. "
    assert text[:cut_point(text, 50)] == "First sentence here. "  # a sentence end wins if not too short
    text = "Hi there. Then a clause, and words that go on and on "
    assert text[:cut_point(text, 40)] == "Hi there. Then a clause, "
    assert text[:last_word_end(text)] == text and text[:last_word_end(text + "ne")] == text
    words = "one two three four five six seven "
    assert words[:cut_point(words, 20)] == "one two three four "
    assert cut_point("incomplete", 5) is None  # a word may still be growing
    assert check_schedule([50, 500.0]) == (50, 500)
    with pytest.raises(SessionError):
        check_schedule([49])


# wss:// with the official SDK ----------------------------------------------------------------
def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_sdk_convert_realtime_over_wss(services, tmp_path, monkeypatch):
    from elevenlabs import VoiceSettings
    from elevenlabs.client import ElevenLabs

    from polyvox.api.app import create_app
    from polyvox.audio import decode_audio

    cert, key = _self_signed(tmp_path)
    # the websockets client builds its default SSL context at connect time, which reads this
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    port = free_port()
    with _Thread(create_app(services.settings, services=services), port, ssl_certfile=str(cert),
                 ssl_keyfile=str(key)):
        client = ElevenLabs(api_key=ADMIN_KEY, base_url=f"https://127.0.0.1:{port}")
        pieces = ["Hello over ", "a secure ", "socket. ", "The SDK ", "dials wss always."]
        audio = b"".join(client.text_to_speech.convert_realtime(
            JOE, text=iter(pieces), model_id="piper", output_format="mp3_44100_128",
            voice_settings=VoiceSettings(stability=0.5, similarity_boost=0.75)))
    pcm, rate = decode_audio(audio)
    assert rate == 44100 and 2.0 < len(pcm) / rate < 10.0 and _rms(pcm) > 0.01
