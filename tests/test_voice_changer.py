"""Voice changer (speech to speech): real source speech in, the target voice out.

Checked on real recordings from ``read_speech_en``: the words survive (Whisper WER against
the source transcript), the voice is the target's (d-vector cosine to the target voice is
higher than to the source speaker), the delivery survives (log-F0 contour correlation with
the source), the timing survives (same duration), history records ``STS``; plus every kind
of bad input, the streaming route, both URL families, and kNN-VC through its real loader
on a tiny randomly initialised checkpoint in the upstream layout.
"""

from __future__ import annotations

import csv
import io
import json
import math
import wave
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.helpers import decode, transcribe, wer

ADAM = "pNInz6obpgDQGcFmaJgB"  # male (Kokoro am_michael/am_onyx blend)
RACHEL = "21m00Tcm4TlvDq8ikWAM"  # female (af_heart)


def _manifest(testdata: Path) -> dict[str, dict]:
    with open(testdata / "read_speech_en" / "MANIFEST.csv", newline="") as f:
        return {r["file"]: r for r in csv.DictReader(f)}


def _wav_bytes(pcm: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def _pitch_corr(a: np.ndarray, b: np.ndarray) -> float:
    from polyvox.engines.vc.prosody import yin_f0

    fa, fb = yin_f0(a, 16000).f0, yin_f0(b, 16000).f0
    n = min(len(fa), len(fb))
    m = (fa[:n] > 0) & (fb[:n] > 0)
    return float(np.corrcoef(np.log(fa[:n][m]), np.log(fb[:n][m]))[0, 1])


@pytest.fixture(scope="module")
def embedder():
    from polyvox.engines.stt.diarize import SpeakerEmbedder

    return SpeakerEmbedder()


def _emb(embedder, pcm: np.ndarray, rate: int) -> np.ndarray:
    from polyvox.audio.dsp import resample

    return embedder.embed(resample(pcm, rate, 16000))


def _cos(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def _tmp_files(live_server) -> set[str]:
    d = Path(live_server.services.settings.data_dir) / "tmp"
    return {p.name for p in d.glob("*")} if d.is_dir() else set()


# ------------------------------------------------------------------------------ quality
def test_sdk_voice_changer_keeps_words_timing_pitch_and_takes_target_voice(client, live_server, testdata, embedder):
    """SDK 2.x ``speech_to_speech.convert`` (-> /v1/voice-changer): female LJ Speech -> male Adam."""
    from polyvox.audio import decode_audio

    rel = "ljspeech/LJ001-0009.wav"
    src_path = testdata / "read_speech_en" / rel
    ref_text = _manifest(testdata)[rel]["transcript"]
    src16, _ = decode_audio(src_path, target_rate=16000)
    with open(src_path, "rb") as f:
        audio = b"".join(client.speech_to_speech.convert(ADAM, audio=f, model_id="eleven_english_sts_v2",
                                                         output_format="pcm_24000"))
    out, rate = decode(audio, "pcm_24000")
    assert rate == 24000
    assert abs(len(out) / rate - len(src16) / 16000) < 0.01  # same timeline

    hyp = transcribe(out, rate).text
    assert wer(ref_text, hyp) <= 0.25, hyp

    # the voice: nearer the target voice than the source speaker (other LJ clips)
    kokoro = live_server.services.engines.get_loaded("kokoro")
    from polyvox.engines.tts.base import SynthesisRequest

    target_ref = kokoro.synthesize(SynthesisRequest(
        text="It is easy to tell the depth of a well. The juice of lemons makes fine punch.",
        voice="am_michael:0.7+am_onyx:0.3", language="en"))
    src_ref = np.concatenate([decode_audio(testdata / "read_speech_en" / f"ljspeech/LJ001-00{i}.wav",
                                           target_rate=16000)[0] for i in (10, 11, 12)])
    e_out = _emb(embedder, out, rate)
    to_target = _cos(e_out, _emb(embedder, target_ref.audio, target_ref.sample_rate))
    to_source = _cos(e_out, embedder.embed(src_ref))
    assert to_target > to_source + 0.15, (to_target, to_source)

    # the delivery: the output's pitch moves with the source's
    from polyvox.audio.dsp import resample

    assert _pitch_corr(src16, resample(out, rate, 16000)) > 0.5


def test_history_records_sts_unless_logging_disabled(live_server, testdata):
    src = (testdata / "read_speech_en" / "cmu_arctic" / "cmu_us_axb_arctic_a0005.wav").read_bytes()
    headers = {"xi-api-key": live_server.admin_key}
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=120) as http:
        r = http.post(f"/v1/speech-to-speech/{ADAM}", params={"output_format": "mp3_22050_32"},
                      files={"audio": ("a.wav", src, "audio/wav")}, data={"model_id": "eleven_english_sts_v2"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("audio/mpeg")
        hid = r.headers["history-item-id"]
        item = http.get(f"/v1/history/{hid}").json()
        assert item["source"] == "STS" and item["voice_id"] == ADAM
        assert "forget" in item["text"].lower()
        assert http.get(f"/v1/history/{hid}/audio").content == r.content

        before = http.get("/v1/history", params={"page_size": 100}).json()["history"]
        r = http.post(f"/v1/voice-changer/{ADAM}", params={"enable_logging": "false"},
                      files={"audio": ("a.wav", src, "audio/wav")})
        assert r.status_code == 200 and "history-item-id" not in r.headers
        after = http.get("/v1/history", params={"page_size": 100}).json()["history"]
        assert len(after) == len(before)


def test_stream_sends_audio_as_it_is_made(live_server, testdata):
    """``/stream`` (both URL families): chunked mp3 whose first bytes come before the last phrase is made."""
    from polyvox.audio import decode_audio

    headers = {"xi-api-key": live_server.admin_key}
    for url, clip in ((f"/v1/speech-to-speech/{RACHEL}/stream", "ljspeech/LJ001-0006.wav"),
                      (f"/v1/voice-changer/{RACHEL}/stream", "cmu_arctic/cmu_us_aew_arctic_a0002.wav")):
        path = testdata / "read_speech_en" / clip
        src16, _ = decode_audio(path, target_rate=16000)
        with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=120) as http, \
                http.stream("POST", url, files={"audio": ("a.wav", path.read_bytes(), "audio/wav")},
                            data={"voice_settings": json.dumps({"stability": 0.7, "similarity_boost": 0.8}),
                                  "seed": "7"}) as r:
            assert r.status_code == 200
            chunks = list(r.iter_bytes())
        assert len(chunks) > 1
        out, rate = decode_audio(b"".join(chunks))
        # mp3 without a LAME header keeps the encoder delay and frame padding
        assert abs(len(out) / rate - len(src16) / 16000) < 0.12


def test_remove_background_noise_uses_the_isolator(live_server, testdata):
    """Speech mixed with real noise at 5 dB: with ``remove_background_noise`` the words still come through."""
    from polyvox.audio import decode_audio

    rel = "ljspeech/LJ001-0013.wav"
    speech, _ = decode_audio(testdata / "read_speech_en" / rel, target_rate=16000)
    noise_files = sorted((testdata / "noise" / "freesound").rglob("*.wav")) + sorted((testdata / "noise").rglob("*.flac"))
    if not noise_files:
        pytest.skip("no noise clips in testdata/noise")
    noise, _ = decode_audio(noise_files[0], target_rate=16000)
    noise = np.resize(noise, len(speech))
    gain = np.sqrt(np.mean(speech ** 2) / (np.mean(noise ** 2) + 1e-12) / 10 ** 0.5)
    mix = speech + gain * noise
    headers = {"xi-api-key": live_server.admin_key}
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=120) as http:
        r = http.post(f"/v1/speech-to-speech/{ADAM}", params={"output_format": "pcm_16000"},
                      files={"audio": ("mix.wav", _wav_bytes(mix, 16000), "audio/wav")},
                      data={"remove_background_noise": "true"})
    assert r.status_code == 200, r.text
    out, rate = decode(r.content, "pcm_16000")
    assert wer(_manifest(testdata)[rel]["transcript"], transcribe(out, rate).text) <= 0.35


# ------------------------------------------------------------------------------ bad input
def test_bad_input_gives_clear_errors_and_leaves_no_temp_files(live_server, testdata):
    headers = {"xi-api-key": live_server.admin_key}
    good = (testdata / "read_speech_en" / "cmu_arctic" / "cmu_us_axb_arctic_a0004.wav").read_bytes()
    before = _tmp_files(live_server)
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=120) as http:
        def post(files=None, data=None, params=None, voice=ADAM):
            return http.post(f"/v1/speech-to-speech/{voice}", files=files or {}, data=data or {}, params=params)

        r = post({"audio": ("e.wav", b"", "audio/wav")})
        assert r.status_code == 400 and r.json()["detail"]["status"] == "empty_file"
        r = post({"audio": ("notes.txt", b"this is not audio at all\n" * 50, "text/plain")})
        assert r.status_code == 400 and r.json()["detail"]["status"] == "invalid_audio"
        corrupt = b"\xff\xfb\x90\x64" + bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8))
        r = post({"audio": ("c.mp3", corrupt, "audio/mpeg")})
        assert r.status_code == 400 and r.json()["detail"]["status"] in ("invalid_audio", "empty_file")
        six_minutes = _wav_bytes(np.zeros(8000 * 361, np.float32), 8000)
        r = post({"audio": ("long.wav", six_minutes, "audio/wav")})
        assert r.status_code == 400 and r.json()["detail"]["status"] == "audio_too_long"
        assert "5 minutes" in r.json()["detail"]["message"]
        big = b"RIFF" + b"\0" * (51 * 1000 * 1000)
        r = post({"audio": ("big.wav", big, "audio/wav")})
        assert r.status_code == 413 and r.json()["detail"]["status"] == "file_too_large"
        r = post(data={"model_id": "eleven_english_sts_v2"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "audio"]
        r = post({"audio": ("a.wav", good, "audio/wav")}, {"voice_settings": "{not json"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "voice_settings"]
        r = post({"audio": ("a.wav", good, "audio/wav")}, {"voice_settings": json.dumps({"stability": 3})})
        assert r.status_code == 400 and r.json()["detail"]["status"] == "invalid_voice_settings"
        r = post({"audio": ("a.wav", good, "audio/wav")}, {"seed": "abc"})
        assert r.status_code == 422
        r = post({"audio": ("a.wav", good, "audio/wav")}, {"model_id": "eleven_multilingual_v2"})
        assert r.status_code == 400 and r.json()["detail"]["status"] == "model_not_found"
        r = post({"audio": ("a.wav", good, "audio/wav")}, params={"output_format": "mp3_1_2"})
        assert r.status_code == 422
        r = post({"audio": ("a.wav", good, "audio/wav")}, voice="nosuchvoice000000000")
        assert r.status_code == 404 and r.json()["detail"]["status"] == "voice_not_found"
    assert _tmp_files(live_server) <= before


def test_unsupported_language_is_refused(live_server, testdata):
    """German speech with the multilingual model: Kokoro cannot speak German, so a clear 400."""
    clips = sorted((testdata / "multilingual").rglob("*de*.wav")) + sorted((testdata / "multilingual").rglob("*de*.flac"))
    if not clips:
        pytest.skip("no German clip in testdata/multilingual")
    headers = {"xi-api-key": live_server.admin_key}
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=120) as http:
        r = http.post(f"/v1/speech-to-speech/{ADAM}", files={"audio": (clips[0].name, clips[0].read_bytes())},
                      data={"model_id": "eleven_multilingual_sts_v2"})
    assert r.status_code == 400, r.text
    assert r.json()["detail"]["status"] == "unsupported_language"
    assert "'de'" in r.json()["detail"]["message"]


# ------------------------------------------------------------------------------ DSP units
def test_yin_and_psola_follow_a_known_glide():
    from polyvox.engines.vc import prosody

    rate = 24000
    t = np.arange(rate) / rate
    f = 140 + 40 * np.sin(2 * np.pi * 1.5 * t)
    ph = 2 * np.pi * np.cumsum(f) / rate
    x = sum(np.sin(k * ph) / k for k in range(1, 12)).astype(np.float32) * 0.3
    track = prosody.yin_f0(x, rate)
    est = track.f0[10:-10]
    assert np.all(est > 0) and np.mean(np.abs(est - np.interp(track.times[10:-10], t, f))) < 3.0
    y = prosody.psola(x, rate, track, int(1.5 * rate), lambda to: to / 1.5, lambda to: np.full_like(to, 1.25))
    assert len(y) == int(1.5 * rate)
    assert abs(prosody.yin_f0(y, rate).median() / track.median() - 1.25) < 0.04


# ------------------------------------------------------------------------------ kNN-VC
def _tiny_knnvc(folder: Path) -> None:
    """A random tiny kNN-VC in the upstream layout: unilm ``WavLM-Large.pt`` + HiFi-GAN with weight_g/weight_v."""
    import torch
    from torch.nn.utils.parametrizations import weight_norm
    from transformers import WavLMModel

    from polyvox.engines.vc import knnvc

    torch.manual_seed(0)
    cfg = {"encoder_layers": 6, "encoder_embed_dim": 32, "encoder_ffn_embed_dim": 64, "encoder_attention_heads": 2,
           "conv_feature_layers": "[(16,10,5)] + [(16,3,2)] * 4 + [(16,2,2)] * 2", "extractor_mode": "layer_norm",
           "layer_norm_first": True, "conv_pos": 16, "conv_pos_groups": 4, "num_buckets": 32, "max_distance": 64,
           "conv_bias": False, "normalize": True}
    hf = WavLMModel(knnvc.hf_config_from_unilm(cfg)).eval()
    inverse = {v: k for k, v in knnvc._UNILM_TO_HF.items()}
    state = {}
    for k, v in hf.state_dict().items():  # transformers names -> microsoft/unilm names
        p = k.split(".")
        if k.startswith("feature_extractor.conv_layers."):
            nk = f"feature_extractor.conv_layers.{p[2]}." + ("0" if p[3] == "conv" else "2.1") + f".{p[-1]}"
        elif k.startswith("feature_projection.layer_norm."):
            nk = "layer_norm." + p[-1]
        elif k.startswith("feature_projection.projection."):
            nk = "post_extract_proj." + p[-1]
        elif k.startswith("encoder.pos_conv_embed.conv."):
            nk = "encoder.pos_conv.0." + {"original0": "weight_g", "original1": "weight_v"}.get(p[-1], p[-1])
        elif k == "masked_spec_embed":
            nk = "mask_emb"
        elif k.startswith("encoder.layers."):
            rest = ".".join(p[3:])
            dst = next(d for d in inverse if rest == d or rest.startswith(d + "."))
            nk = f"encoder.layers.{p[2]}.{inverse[dst]}{rest[len(dst):]}"
        else:
            nk = k
        state[nk] = v.clone()
    torch.save({"cfg": cfg, "model": state}, folder / "WavLM-Large.pt")
    h = dict(knnvc.HIFIGAN_DEFAULTS, hubert_dim=32, hifi_dim=16, upsample_initial_channel=16,
             resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3, 5]])
    gen = knnvc._hifigan_classes()(h)
    for m in gen.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.ConvTranspose1d)):
            weight_norm(m)
    g_state = {k.replace("parametrizations.weight.original0", "weight_g")
               .replace("parametrizations.weight.original1", "weight_v"): v for k, v in gen.state_dict().items()}
    torch.save({"generator": g_state}, folder / "prematch_g_02500000.pt")
    (folder / "config_v1_wavlm.json").write_text(json.dumps(h))
    return hf


def test_knn_vc_loader_runs_a_tiny_upstream_checkpoint(live_server, testdata):
    pytest.importorskip("torch", reason="kNN-VC needs torch (pip install 'polyvox[models]')")
    pytest.importorskip("transformers", reason="kNN-VC needs transformers (pip install 'polyvox[models]')")
    import torch

    from polyvox.engines.vc.knnvc import KnnVC

    folder = Path(live_server.services.settings.models_dir) / "knn-vc"
    folder.mkdir(parents=True, exist_ok=True)
    hf = _tiny_knnvc(folder)
    engine = KnnVC(folder)
    x = torch.randn(1, 8000)
    with torch.inference_mode():
        want = hf(x, output_hidden_states=True).hidden_states[6]
        got = engine.features(x[0].numpy())
    assert torch.allclose(want[0], got, atol=1e-5)  # the unilm checkpoint was converted exactly

    src = (testdata / "read_speech_en" / "cmu_arctic" / "cmu_us_axb_arctic_a0004.wav").read_bytes()
    with httpx.Client(base_url=live_server.base_url, headers={"xi-api-key": live_server.admin_key}, timeout=120) as h:
        r = h.post(f"/v1/speech-to-speech/{ADAM}", params={"output_format": "pcm_16000"},
                   files={"audio": ("a.wav", src, "audio/wav")}, data={"model_id": "knn-vc"})
    assert r.status_code == 200, r.text
    out, _rate = decode(r.content, "pcm_16000")
    from polyvox.audio import decode_audio

    src16, _ = decode_audio(src, target_rate=16000)
    assert len(out) == len(src16) and np.all(np.isfinite(out)) and np.abs(out).max() > 0


def test_knn_vc_model_absent_is_a_clear_error(live_server, testdata, tmp_path):
    from polyvox.services.voice_changer import VoiceChangerService, VoiceChangerSettings

    svc = VoiceChangerService(live_server.services, VoiceChangerSettings(knn_vc_dir=tmp_path / "none"))
    from polyvox.errors import ModelNotFound

    with pytest.raises(ModelNotFound, match="not installed"):
        svc.model("knn-vc")
    assert math.isclose(svc.max_bytes, 50e6)
