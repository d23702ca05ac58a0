"""Voice isolation: /v1/audio-isolation and /stream through the official SDK and raw HTTP, the
three engines at service level, video input, bad input. Real speech mixed with real noise."""

from __future__ import annotations

import io
import os
import time
import wave
from pathlib import Path

import httpx
import numpy as np
import pytest

CLEAN = "read_speech_en/ljspeech/LJ001-0001.wav"
NOISE = "noise/speech_commands_bg/doing_the_dishes.wav"
SHARED_MODELS = Path(__file__).resolve().parents[1].parent / "shared" / "models"


def _iso(services):
    from polyvox.services.isolation import IsolationService

    return services.component(IsolationService)


def _tmp_files(services) -> list[str]:
    return sorted(p.name for p in _iso(services).tmp_dir.iterdir())


def mixture(testdata: Path, snr_db: float, rate: int = 16000, seconds: float | None = None):
    """(clean, noisy) float32 at ``rate``: the LJ clip plus kitchen noise at ``snr_db``."""
    from polyvox.audio import decode_audio

    clean, _ = decode_audio(testdata / CLEAN, target_rate=rate)
    noise, _ = decode_audio(testdata / NOISE, target_rate=rate)
    if seconds:
        reps = int(np.ceil(seconds * rate / clean.shape[0]))
        clean = np.tile(clean, reps)[: int(seconds * rate)]
    noise = np.resize(noise[rate * 5:], clean.shape[0])
    gain = np.sqrt(np.mean(clean**2) / np.mean(noise**2) / 10 ** (snr_db / 10))
    noisy = clean + gain * noise
    peak = max(1.0, float(np.max(np.abs(noisy))) / 0.95)
    return clean / peak, (noisy / peak).astype(np.float32)


def wav_bytes(pcm: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def _decode_16k(data: bytes) -> np.ndarray:
    from polyvox.audio import decode_audio

    return decode_audio(data, target_rate=16000)[0]


def _post(server, path, files, **params):
    return httpx.post(f"{server.base_url}{path}", files=files, params=params, timeout=120,
                      headers={"xi-api-key": server.admin_key})


def test_sdk_convert_removes_noise_and_keeps_duration(client, testdata):
    from polyvox.eval.metrics import si_sdr

    clean, noisy = mixture(testdata, 0.0)
    audio = b"".join(client.audio_isolation.convert(audio=("noisy.wav", wav_bytes(noisy, 16000), "audio/wav")))
    assert audio[:3] == b"ID3" or audio[0] == 0xFF  # an mp3 stream
    out = _decode_16k(audio)
    assert out.shape[0] == pytest.approx(clean.shape[0], abs=16)  # exact length: LAME header trims the padding
    before, after = si_sdr(noisy, clean), si_sdr(out[: clean.shape[0]], clean)
    assert after - before > 3.0, (before, after)


def test_stream_starts_before_the_end_and_keeps_duration(live_server, testdata):
    from polyvox.audio.encoder import MP3_ENCODER_DELAY
    from polyvox.eval.metrics import si_sdr

    clean, noisy = mixture(testdata, 5.0, seconds=30.0)
    arrivals, data = [], b""
    with httpx.stream("POST", f"{live_server.base_url}/v1/audio-isolation/stream", timeout=120,
                      files={"audio": ("noisy.wav", wav_bytes(noisy, 16000), "audio/wav")},
                      headers={"xi-api-key": live_server.admin_key}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("audio/mpeg")
        t0 = time.monotonic()
        for chunk in r.iter_bytes():
            arrivals.append(time.monotonic() - t0)
            data += chunk
    assert len(arrivals) > 5 and arrivals[0] < 0.3 * arrivals[-1]
    out = _decode_16k(data)
    lead = round(MP3_ENCODER_DELAY * 16000 / 44100)  # a streamed mp3 has no header to trim its priming
    assert abs(out.shape[0] - lead - clean.shape[0]) < 16000 * 0.05
    assert si_sdr(out[lead: lead + clean.shape[0]], clean) - si_sdr(noisy, clean) > 3.0


def test_video_in_isolated_audio_out(live_server, testdata):
    with open(testdata / "video/nasa_13013.mp4", "rb") as f:
        r = _post(live_server, "/v1/audio-isolation", files={"audio": ("clip.mp4", f, "video/mp4")},
                  output_format="wav_16000")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(r.content)) as w:
        assert w.getframerate() == 16000 and w.getnframes() == pytest.approx(13.056 * 16000, abs=2)


@pytest.mark.parametrize("name,payload,status,code", [
    ("empty", b"", 400, "empty_file"),
    ("text", b"plain text, no audio here\n" * 40, 400, "invalid_audio"),
    ("corrupt", None, 400, "invalid_audio"),
])
def test_bad_input_is_refused_cleanly(live_server, services, name, payload, status, code):
    from tests.test_stt import _corrupt_mp3

    body = _corrupt_mp3() if payload is None else payload
    for path in ("/v1/audio-isolation", "/v1/audio-isolation/stream"):
        r = _post(live_server, path, files={"audio": (f"{name}.mp3", body, "audio/mpeg")})
        assert r.status_code == status, r.text
        assert r.json()["detail"]["status"] == code
    assert _tmp_files(services) == []


def test_oversize_overlength_and_missing_field(live_server, services, testdata, monkeypatch):
    iso = _iso(services)
    monkeypatch.setattr(iso.settings, "max_upload_mb", 0.05)
    r = _post(live_server, "/v1/audio-isolation", files={"audio": ("big.wav", os.urandom(200_000))})
    assert r.status_code == 413 and r.json()["detail"]["status"] == "file_too_large"
    monkeypatch.setattr(iso.settings, "max_upload_mb", 500.0)
    monkeypatch.setattr(iso.settings, "max_seconds", 5.0)
    with open(testdata / "video/nasa_13013.mp4", "rb") as f:
        r = _post(live_server, "/v1/audio-isolation/stream", files={"audio": f})
    assert r.status_code == 400 and r.json()["detail"]["status"] == "audio_too_long"
    r = _post(live_server, "/v1/audio-isolation", files={"file": ("a.wav", b"abc")})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "audio"]
    r = _post(live_server, "/v1/audio-isolation", files={"audio": ("a.wav", b"abc")}, output_format="mp3_1_2")
    assert r.status_code == 400 and r.json()["detail"]["status"] == "invalid_output_format"
    assert _tmp_files(services) == []


@pytest.mark.parametrize("engine", ["dfn3", "gtcrn", "dtln"])
def test_each_engine_aligns_and_improves(testdata, engine, tmp_path):
    """Service API used by the voice changer: same rate, same length, aligned, cleaner."""
    from concurrent.futures import ThreadPoolExecutor

    from polyvox.engines.manager import EngineManager
    from polyvox.eval.metrics import si_sdr
    from polyvox.services.isolation import IsolationService, IsolationSettings
    from polyvox.services.limits import Limiter

    if engine != "dfn3" and not (SHARED_MODELS / engine).is_dir():
        pytest.skip(f"{engine} ONNX files not found in {SHARED_MODELS}")
    iso = IsolationService(engines=EngineManager(), pool=ThreadPoolExecutor(1), limiter=Limiter(1, 1),
                           tmp_dir=tmp_path, settings=IsolationSettings(engine=engine),
                           models_dirs=[tmp_path / "models", SHARED_MODELS])
    clean, noisy = mixture(testdata, 0.0, rate=22050)
    out = iso.isolate_array(noisy, 22050)
    assert out.shape == noisy.shape and out.dtype == np.float32
    lag = int(np.argmax(np.correlate(out[22050:44100], clean[22050 - 50:44100 + 50], mode="valid"))) - 50
    assert abs(lag) <= 2
    assert si_sdr(out, clean) - si_sdr(noisy, clean) > 3.0
    assert iso.isolate_array(np.zeros(0, np.float32), 22050).shape == (0,)


def test_cli_isolate_and_stt(testdata, tmp_path, monkeypatch, capsys):
    import argparse

    from polyvox import cli_audio

    monkeypatch.setenv("POLYVOX_DATA_DIR", str(tmp_path / "data"))
    parser = argparse.ArgumentParser()
    cli_audio.add_parsers(parser.add_subparsers(dest="cmd"))
    clean, noisy = mixture(testdata, 5.0)
    src = tmp_path / "noisy.wav"
    src.write_bytes(wav_bytes(noisy, 16000))
    args = parser.parse_args(["isolate", str(src), "-o", str(tmp_path / "clean.mp3")])
    assert args.func(args) == 0
    assert _decode_16k((tmp_path / "clean.mp3").read_bytes()).shape[0] == pytest.approx(clean.shape[0], abs=16)
    args = parser.parse_args(["stt", str(tmp_path / "clean.mp3"), "--model", "tiny.en", "--format", "srt"])
    assert args.func(args) == 0
    out = capsys.readouterr()
    assert "00:00:0" in out.out and "transcribing clean.mp3: done" in out.err
    (tmp_path / "bad.mp3").write_bytes(b"not audio")
    args = parser.parse_args(["isolate", str(tmp_path / "bad.mp3")])
    assert args.func(args) == 2
    assert "invalid_audio" in capsys.readouterr().err and not (tmp_path / "bad.isolated.mp3").exists()
