"""Parler-TTS engine: a tiny random checkpoint in the released layout, built here, loaded for real.

The checkpoint has the parts and names of ``ParlerTTSForConditionalGeneration``'s
``save_pretrained`` output: ``config.json`` (model_type ``parler_tts`` with text_encoder /
audio_encoder / decoder configs), ``generation_config.json``, ``model.safetensors`` with
``text_encoder.*`` (a T5 encoder), ``enc_to_dec_proj.*``, ``embed_prompts.*``,
``decoder.model.decoder.*`` / ``decoder.lm_heads.*`` and ``audio_encoder.*`` (DAC, either
``transformers``' names or the parler-tts wrapper's descript names, weight-normed), and a
tokenizer built locally with ``tokenizers``. Random weights say nothing about speech quality:
these tests prove loading, determinism, seeding, the delay-pattern decoding and the service
wiring.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from polyvox.engines.tts.base import SynthesisRequest
from polyvox.engines.tts.parler import (
    ParlerEngine,
    installed,
    missing_files,
    parse_voice_spec,
    register,
    voice_spec,
)

SR = 8000
CODEBOOK = 32
BOOKS = 3
CHARS = " abcdefghijklmnopqrstuvwxyz0123456789.,!?'-"


def _tokenizer(folder: Path) -> None:
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2} | {c: i + 3 for i, c in enumerate(CHARS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    # </s> after every text, as T5's tokenizer does
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                            unk_token="<unk>").save_pretrained(folder)


def _descript_names(dac_state: dict, n_enc: int, n_dec: int) -> dict:
    """transformers ``DacModel`` weights -> the parler-tts DAC wrapper's (descript) names, weight-normed."""
    res = {"snake1": "0", "conv1": "1", "snake2": "2", "conv2": "3"}
    out = {}
    for key, value in dac_state.items():
        parts = key.split(".")
        if parts[0] == "encoder":
            if parts[1] == "conv1":
                name = "encoder.block.0." + ".".join(parts[2:])
            elif parts[1] == "snake1":
                name = f"encoder.block.{n_enc + 1}." + ".".join(parts[2:])
            elif parts[1] == "conv2":
                name = f"encoder.block.{n_enc + 2}." + ".".join(parts[2:])
            else:
                i, sub = int(parts[2]) + 1, parts[3]
                if sub.startswith("res_unit"):
                    name = (f"encoder.block.{i}.block.{int(sub[-1]) - 1}.block.{res[parts[4]]}."
                            + ".".join(parts[5:]))
                else:
                    name = f"encoder.block.{i}.block.{3 if sub == 'snake1' else 4}." + ".".join(parts[4:])
        elif parts[0] == "decoder":
            if parts[1] == "conv1":
                name = "decoder.model.0." + ".".join(parts[2:])
            elif parts[1] == "snake1":
                name = f"decoder.model.{n_dec + 1}." + ".".join(parts[2:])
            elif parts[1] == "conv2":
                name = f"decoder.model.{n_dec + 2}." + ".".join(parts[2:])
            else:
                i, sub = int(parts[2]) + 1, parts[3]
                if sub.startswith("res_unit"):
                    name = (f"decoder.model.{i}.block.{int(sub[-1]) + 1}.block.{res[parts[4]]}."
                            + ".".join(parts[5:]))
                else:
                    name = f"decoder.model.{i}.block.{0 if sub == 'snake1' else 1}." + ".".join(parts[4:])
        else:
            name = key
        if name.endswith(".weight") and value.ndim == 3 and "codebook" not in name:
            # weight norm, dim 0 (torch's default, as descript's WNConv1d): w = g * v / |v|
            g = value.norm(2, dim=(1, 2), keepdim=True)
            out["model." + name[:-len("weight")] + "weight_g"] = g
            out["model." + name[:-len("weight")] + "weight_v"] = value
        else:
            out["model." + name] = value
    return out


def build_checkpoint(folder: Path, *, seed: int = 0, rope: bool = False, gqa: bool = False,
                     fused: bool = False, descript_dac: bool = False) -> Path:
    """A tiny random Parler-TTS checkpoint in ``folder`` (the released file layout)."""
    from safetensors.torch import save_file
    from transformers import DacConfig, DacModel, T5Config, T5EncoderModel

    from polyvox.engines.tts.parler_model import DecoderConfig, ParlerDecoder

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    text_vocab = 64
    t5 = T5Config(vocab_size=text_vocab, d_model=24, d_kv=8, d_ff=32, num_layers=1, num_heads=3,
                  relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    dac = DacConfig(encoder_hidden_size=4, downsampling_ratios=[8, 8], decoder_hidden_size=32,
                    n_codebooks=BOOKS, codebook_size=CODEBOOK, codebook_dim=4, sampling_rate=SR)
    decoder = {"model_type": "parler_tts_decoder", "vocab_size": CODEBOOK + 2, "max_position_embeddings": 512,
               "num_hidden_layers": 2, "ffn_dim": 32, "num_attention_heads": 4,
               "num_key_value_heads": 2 if gqa else 4, "num_cross_attention_key_value_heads": 1 if gqa else 4,
               "hidden_size": 16, "num_codebooks": BOOKS, "pad_token_id": CODEBOOK, "eos_token_id": CODEBOOK,
               "bos_token_id": CODEBOOK + 1, "rope_embeddings": rope, "use_fused_lm_heads": fused,
               "activation_function": "gelu"}
    text_encoder = T5EncoderModel(t5)
    dac_model = DacModel(dac)
    with torch.no_grad():  # random codebooks/convs loud enough that the decoded audio is not all zeros
        for p in dac_model.parameters():
            p.normal_(0, 0.3)
        for s in dac_model.modules():
            if hasattr(s, "alpha"):
                s.alpha.fill_(1.0)
    dec = ParlerDecoder(DecoderConfig.from_dict(decoder))
    with torch.no_grad():
        for p in dec.parameters():
            if p.ndim == 2 and p.requires_grad:
                p.normal_(0, 0.5)
    proj = torch.nn.Linear(24, 16)
    prompts = torch.nn.Embedding(text_vocab, 16)

    state = {f"text_encoder.{k}": v for k, v in text_encoder.state_dict().items()}
    dac_state = dac_model.state_dict()
    if descript_dac:
        dac_state = _descript_names(dac_state, 2, 2)
    state |= {f"audio_encoder.{k}": v for k, v in dac_state.items()}
    state |= {f"decoder.{k}": v for k, v in dec.state_dict().items()}
    state |= {f"enc_to_dec_proj.{k}": v for k, v in proj.state_dict().items()}
    state |= {f"embed_prompts.{k}": v for k, v in prompts.state_dict().items()}
    state.pop("text_encoder.encoder.embed_tokens.weight", None)  # tied to shared.weight, stored once
    save_file({k: v.contiguous().clone() for k, v in state.items()}, folder / "model.safetensors",
              metadata={"format": "pt"})  # as save_pretrained writes it

    t5_dict = t5.to_dict() | {"model_type": "t5"}
    if descript_dac:  # what the parler-tts wrapper's DACConfig writes
        audio = {"model_type": "dac_on_the_hub", "num_codebooks": BOOKS, "codebook_size": CODEBOOK,
                 "latent_dim": 16, "model_bitrate": 8, "frame_rate": SR // 64, "sampling_rate": SR}
    else:
        audio = dac.to_dict() | {"model_type": "dac"}
    config = {"model_type": "parler_tts", "architectures": ["ParlerTTSForConditionalGeneration"],
              "vocab_size": text_vocab, "prompt_cross_attention": False, "is_encoder_decoder": True,
              "decoder_start_token_id": CODEBOOK + 1, "pad_token_id": CODEBOOK,
              "text_encoder": t5_dict, "audio_encoder": audio, "decoder": decoder}
    (folder / "config.json").write_text(json.dumps(config, indent=1, default=list))
    (folder / "generation_config.json").write_text(json.dumps({
        "bos_token_id": CODEBOOK + 1, "decoder_start_token_id": CODEBOOK + 1, "eos_token_id": CODEBOOK,
        "pad_token_id": CODEBOOK, "do_sample": True, "max_length": 160, "min_new_tokens": 10}))
    _tokenizer(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_checkpoint(tmp_path_factory.mktemp("parler-tiny"))


@pytest.fixture(scope="module")
def engine(tiny_dir) -> ParlerEngine:
    eng = ParlerEngine(tiny_dir, threads=1)
    eng.load()
    return eng


DESC = "A calm female voice with a clear, close-sounding recording."
TEXT = "Hello there, how are you today?"


def _say(engine: ParlerEngine, spec: str, text: str = TEXT):
    return engine.synthesize(SynthesisRequest(text=text, voice=spec, language="en"))


def test_voice_spec_round_trip_and_bad_specs() -> None:
    spec = voice_spec("  A deep   male voice. ", 42)
    assert parse_voice_spec(spec) == ("A deep male voice.", 42)
    for bad in ("af_heart", "[]", '{"seed": 1}', '{"description": "x", "seed": "1"}',
                '{"description": "x", "seed": -1}', '{"description": " ", "seed": 1}'):
        with pytest.raises(ValueError):
            parse_voice_spec(bad)
    with pytest.raises(ValueError):
        voice_spec("   ", 1)


def test_synthesis_is_audio_at_the_codec_rate(engine) -> None:
    assert engine.info.name == "parler" and engine.info.sample_rate == SR and engine.voices() == []
    syn = _say(engine, voice_spec(DESC, 7))
    assert syn.sample_rate == SR
    assert syn.audio.dtype == np.float32 and syn.audio.ndim == 1 and len(syn.audio) > 0
    assert np.isfinite(syn.audio).all() and np.abs(syn.audio).max() > 1e-3
    # codec frames are 64 samples; trimming keeps whole-sample pads, so only bounds are exact
    assert len(syn.audio) <= 160 * 64
    assert len(syn.char_starts) == len(syn.char_ends) == len(TEXT)
    assert np.all(np.diff(syn.char_starts) >= 0) and np.all(np.diff(syn.char_ends) >= 0)
    assert np.all(syn.char_ends >= syn.char_starts)
    assert syn.char_ends[-1] <= syn.duration + 1e-9


def test_same_spec_same_audio_other_seed_or_description_other_audio(engine) -> None:
    a = _say(engine, voice_spec(DESC, 7)).audio
    b = _say(engine, voice_spec(DESC, 7)).audio
    assert np.array_equal(a, b)
    c = _say(engine, voice_spec(DESC, 8)).audio
    d = _say(engine, voice_spec("An old man speaking slowly in a large echoing hall.", 7)).audio
    for other in (c, d):
        assert len(other) != len(a) or not np.array_equal(other, a)


def test_design_gives_distinct_previews_that_specs_reproduce(engine) -> None:
    previews = engine.design(DESC, TEXT, n=3, seed=100)
    assert len(previews) == 3
    specs = [spec for spec, _ in previews]
    assert [parse_voice_spec(s) for s in specs] == [(DESC, 100), (DESC, 101), (DESC, 102)]
    audios = [syn.audio for _, syn in previews]
    for i in range(3):
        for j in range(i + 1, 3):
            assert len(audios[i]) != len(audios[j]) or not np.array_equal(audios[i], audios[j])
    assert np.array_equal(_say(engine, specs[1]).audio, audios[1])  # a preview's spec is that voice


def test_language_and_empty_text(engine) -> None:
    with pytest.raises(ValueError, match="speaks en"):
        engine.synthesize(SynthesisRequest(text="Hola", voice=voice_spec(DESC, 1), language="es"))
    syn = _say(engine, voice_spec(DESC, 1), text="...")
    assert len(syn.char_starts) == 3 and np.abs(syn.audio).max() == 0


def test_loader_variants_rope_gqa_fused_heads(tmp_path) -> None:
    folder = build_checkpoint(tmp_path / "v", seed=3, rope=True, gqa=True, fused=True)
    eng = ParlerEngine(folder, threads=1)
    eng.load()
    a = _say(eng, voice_spec(DESC, 5)).audio
    assert np.isfinite(a).all() and len(a) > 0
    assert np.array_equal(a, _say(eng, voice_spec(DESC, 5)).audio)


def test_descript_dac_layout_decodes_like_transformers_layout(tmp_path) -> None:
    """The parler-tts wrapper's DAC (descript names, weight norm) loads to the same codec."""
    plain = ParlerEngine(build_checkpoint(tmp_path / "hf", seed=5), threads=1)
    wrapped = ParlerEngine(build_checkpoint(tmp_path / "descript", seed=5, descript_dac=True), threads=1)
    plain.load()
    wrapped.load()
    codes = torch.randint(0, CODEBOOK, (BOOKS, 20), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        x, y = plain._model.decode_codes(codes), wrapped._model.decode_codes(codes)
    assert x.shape == y.shape == (20 * 64,)
    assert torch.allclose(x, y, atol=1e-5)
    spec = voice_spec(DESC, 9)
    assert np.allclose(_say(plain, spec).audio, _say(wrapped, spec).audio, atol=1e-5)


def test_missing_files_are_named(tmp_path, tiny_dir) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_dir, broken)
    (broken / "model.safetensors").unlink()
    (broken / "tokenizer.json").unlink()
    missing = missing_files(broken)
    assert any("model.safetensors" in m for m in missing) and any("tokenizer.json" in m for m in missing)
    assert not installed(broken) and installed(tiny_dir) and not installed(None)
    eng = ParlerEngine(broken)
    with pytest.raises(RuntimeError, match=r"missing: .*model\.safetensors.*tokenizer\.json"):
        eng.load()
    assert missing_files(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'} (the folder itself)"]

    from polyvox.engines.manager import EngineManager
    from polyvox.settings import EngineSettings, Settings

    manager = EngineManager()
    assert register(manager, Settings(data_dir=tmp_path / "d")) is False and manager.names() == []
    with pytest.raises(RuntimeError, match="PARLER_DIR"):
        register(manager, Settings(data_dir=tmp_path / "d", engines=EngineSettings(parler_dir=broken)))
    assert manager.names() == []


def test_service_lists_parler_tts_and_renders_a_designed_voice(tmp_path, tiny_dir, voices_dir) -> None:
    import time

    from fastapi.testclient import TestClient

    from polyvox.api.app import create_app
    from polyvox.engines.manager import EngineManager
    from polyvox.services.container import Services, _register_engines
    from polyvox.settings import EngineSettings
    from polyvox.store.models import Voice
    from tests.conftest import ADMIN_KEY, make_settings
    from tests.helpers import decode

    settings = make_settings(tmp_path / "data", voices_dir)
    settings.engines = EngineSettings(kokoro_voices_dir=voices_dir, workers=1, parler_dir=tiny_dir)
    engines = EngineManager()
    _register_engines(engines, settings)
    assert register(engines, settings) is True
    services = Services.build(settings, engines=engines)
    spec = voice_spec(DESC, 11)
    try:
        services.bootstrap_admin()
        with services.db.session() as s:
            s.add(Voice(voice_id="designedP1", name="Designed", category="generated", description=DESC,
                        labels={}, settings=None, engines={"parler": spec}, language="en", samples=[],
                        created_unix=int(time.time())))
        with TestClient(create_app(settings, services=services)) as http:
            headers = {"xi-api-key": ADMIN_KEY}
            models = {m["model_id"]: m for m in http.get("/v1/models", headers=headers).json()}
            assert "parler_tts" in models and "eleven_multilingual_v2" in models
            r = http.post("/v1/text-to-speech/designedP1?output_format=pcm_16000", headers=headers,
                          json={"text": TEXT, "model_id": "parler_tts"})
            assert r.status_code == 200, r.text
            audio, rate = decode(r.content, "pcm_16000")
            assert rate == 16000 and len(audio) > 0 and np.isfinite(audio).all()
            # a premade voice has no parler binding: a clear 400, not a stack trace
            r = http.post("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM", headers=headers,
                          json={"text": TEXT, "model_id": "parler_tts"})
            assert r.status_code == 400 and r.json()["detail"]["status"] == "voice_not_supported_by_model"
    finally:
        services.close()


def test_models_leaves_parler_tts_out_when_not_registered(tmp_path, voices_dir) -> None:
    from fastapi.testclient import TestClient

    from polyvox.api.app import create_app
    from polyvox.engines.manager import EngineManager
    from polyvox.services.container import Services, _register_engines
    from tests.conftest import ADMIN_KEY, make_settings

    settings = make_settings(tmp_path / "data", voices_dir)
    engines = EngineManager()
    _register_engines(engines, settings)
    assert register(engines, settings) is False
    services = Services.build(settings, engines=engines)
    try:
        services.bootstrap_admin()
        with TestClient(create_app(settings, services=services)) as http:
            ids = {m["model_id"] for m in http.get("/v1/models", headers={"xi-api-key": ADMIN_KEY}).json()}
            assert "parler_tts" not in ids and "kokoro" in ids
    finally:
        services.close()
