"""F5-TTS engine: loader, inference loop and service wiring, on a tiny checkpoint built here.

The real F5TTS_v1_Base weights (1.3 GB) cannot be fetched here, so the test builds a
randomly initialised checkpoint with the package's own classes (``CFM``/``DiT``, a tiny
``Vocos``) in exactly the layout the engine reads. That proves the files are found and
loaded (EMA key layout, tokenizer, configs), that the sampling loop runs end to end and
obeys F5's duration rule, speed, seed and reference, and that the service serves it. It
cannot say anything about how the speech sounds: the weights are noise.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("f5_tts.model")
pytest.importorskip("vocos")

from polyvox.engines.tts.base import SynthesisRequest, VoiceSettings
from polyvox.engines.tts.f5 import F5Engine, Reference, installed, missing, register

SR = 24_000
HOP = 256
VOCAB = [" ", "!", ",", ".", "?", "'", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
         "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "A", "I", "T", "W"]
TINY_CONFIG = """\
model:
  name: F5TTS_tiny_test
  tokenizer: custom
  backbone: DiT
  arch: {dim: 32, depth: 2, heads: 2, dim_head: 16, ff_mult: 2, text_dim: 16, text_mask_padding: true,
         qk_norm: null, conv_layers: 1, pe_attn_head: null, attn_backend: torch, attn_mask_enabled: false,
         checkpoint_activations: false}
  mel_spec: {target_sample_rate: 24000, n_mel_channels: 100, hop_length: 256, win_length: 1024, n_fft: 1024,
             mel_spec_type: vocos}
"""
TINY_VOCOS = """\
feature_extractor:
  class_path: vocos.feature_extractors.MelSpectrogramFeatures
  init_args: {sample_rate: 24000, n_fft: 1024, hop_length: 256, n_mels: 100, padding: center}
backbone:
  class_path: vocos.models.VocosBackbone
  init_args: {input_channels: 100, dim: 32, intermediate_dim: 64, num_layers: 1}
head:
  class_path: vocos.heads.ISTFTHead
  init_args: {dim: 32, n_fft: 1024, hop_length: 256, padding: center}
"""


def build_tiny_f5(folder: Path, *, checkpoint: str = "model_100.safetensors") -> Path:
    """A random F5 checkpoint + vocab + config + Vocos, in the release layout (see polyvox.engines.tts.f5)."""
    import torch
    import yaml
    from ema_pytorch import EMA
    from f5_tts.model import CFM, DiT
    from vocos import Vocos

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("".join(f"{t}\n" for t in VOCAB), encoding="utf-8")
    (folder / "config.yaml").write_text(TINY_CONFIG)
    torch.manual_seed(1234)
    cfg = yaml.safe_load(TINY_CONFIG)["model"]
    model = CFM(transformer=DiT(**cfg["arch"], text_num_embeds=len(VOCAB), mel_dim=100),
                mel_spec_kwargs=cfg["mel_spec"], vocab_char_map={c: i for i, c in enumerate(VOCAB)})
    # DiT zero-initialises its output and modulation layers (so an untrained model predicts no
    # flow at all); give them random values so text and reference actually reach the output
    for name, p in model.transformer.named_parameters():
        if "norm" in name or "proj_out" in name:
            torch.nn.init.normal_(p, std=0.2)
    ema = EMA(model, include_online_model=False)  # the trainer's wrapper: keys ema_model.*, initted, step
    state = {k: v.detach().clone().contiguous() for k, v in ema.state_dict().items()}
    if checkpoint.endswith(".safetensors"):
        from safetensors.torch import save_file

        save_file(state, str(folder / checkpoint))
    else:
        torch.save({"ema_model_state_dict": state, "model_state_dict": {}}, folder / checkpoint)
    (folder / "vocos").mkdir(exist_ok=True)
    (folder / "vocos" / "config.yaml").write_text(TINY_VOCOS)
    vocos = Vocos.from_hparams(str(folder / "vocos" / "config.yaml"))
    torch.save(vocos.state_dict(), folder / "vocos" / "pytorch_model.bin")
    return folder


def clip(testdata: Path, name: str) -> np.ndarray:
    import soundfile as sf

    audio, rate = sf.read(testdata / "speaker_sets" / "vcc2016" / "SF1" / name, dtype="float32")
    assert rate == 16_000
    return audio


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny_f5(tmp_path_factory.mktemp("f5"))


REF_TEXT = "This is what the reference speaker says in the clip."


@pytest.fixture(scope="module")
def engine(tiny_dir, testdata) -> F5Engine:
    refs = {
        "sf1": Reference(clip(testdata, "100001.wav"), 16_000, REF_TEXT),
        "sf1b": Reference(clip(testdata, "100003.wav"), 16_000, REF_TEXT),
        "noisy": Reference(np.random.default_rng(0).normal(0, 0.05, 16_000 * 3).astype(np.float32), 16_000, REF_TEXT),
    }
    calls: list[str] = []

    def loader(key: str) -> Reference:
        calls.append(key)
        if key not in refs:
            raise ValueError(f"no voice {key!r}")
        return refs[key]

    eng = F5Engine(tiny_dir, reference_loader=loader, steps=4)
    eng.loads = calls  # type: ignore[attr-defined]
    eng.load()
    return eng


def say(engine: F5Engine, text: str, voice: str = "sf1", speed: float = 1.0, seed: int | None = 7):
    return engine.synthesize(SynthesisRequest(text=text, voice=voice, language="en",
                                              settings=VoiceSettings(speed=speed), seed=seed))


def expected_frames(ref_samples_16k: int, ref_text: str, text: str, speed: float) -> int:
    """F5's duration rule (f5_tts.infer.utils_infer.infer_batch_process), written out independently."""
    ref_frames = ref_samples_16k * 3 // 2 // HOP
    ref_bytes = len((ref_text + " ").encode())
    return int(ref_frames / ref_bytes * len(text.encode()) / speed)


def test_synthesis_follows_f5_duration_rule_and_speed(engine, testdata) -> None:
    text = "The quick brown fox jumps over the lazy dog."
    syn = say(engine, text)
    assert syn.sample_rate == SR and syn.audio.dtype == np.float32
    assert np.isfinite(syn.audio).all() and 0 < np.abs(syn.audio).max() <= 1.0
    assert np.abs(syn.audio).std() > 1e-4  # not silence
    frames = expected_frames(len(clip(testdata, "100001.wav")), REF_TEXT, text, 1.0)
    assert abs(len(syn.audio) - frames * HOP) <= HOP, (len(syn.audio), frames * HOP)
    fast = say(engine, text, speed=1.2)
    assert abs(len(fast.audio) - expected_frames(len(clip(testdata, "100001.wav")), REF_TEXT, text, 1.2) * HOP) <= HOP
    assert len(fast.audio) / len(syn.audio) == pytest.approx(1 / 1.2, rel=0.02)
    # a longer text gets proportionally longer audio
    longer = say(engine, text + " " + text)
    assert len(longer.audio) / len(syn.audio) == pytest.approx(2.0, rel=0.03)


def test_seed_and_reference_decide_the_audio(engine) -> None:
    text = "Seeds make the noise repeatable."
    a, b = say(engine, text, seed=11), say(engine, text, seed=11)
    assert np.array_equal(a.audio, b.audio)
    c = say(engine, text, seed=12)
    assert len(c.audio) == len(a.audio) and not np.allclose(c.audio, a.audio)
    d = say(engine, text, voice="noisy", seed=11)  # same length of reference text, another clip
    assert not np.allclose(d.audio[: len(a.audio)], a.audio[: len(d.audio)])
    assert say(engine, text, seed=None).audio.tobytes() == say(engine, text, seed=None).audio.tobytes()


def test_reference_prompt_is_cached_per_voice(engine) -> None:
    engine.forget("sf1b")
    before = len(engine.loads)
    say(engine, "One.", voice="sf1b")
    say(engine, "Two, again.", voice="sf1b")
    assert engine.loads[before:] == ["sf1b"]
    engine.forget("sf1b")
    say(engine, "Three.", voice="sf1b")
    assert engine.loads[before:] == ["sf1b", "sf1b"]


def test_character_times_are_estimated_per_character(engine) -> None:
    text = "Hello there, how are you today?"
    syn = say(engine, text)
    assert len(syn.char_starts) == len(syn.char_ends) == len(text)
    assert np.all(np.diff(syn.char_starts) >= 0) and np.all(np.diff(syn.char_ends) >= 0)
    assert np.all(syn.char_ends >= syn.char_starts)
    assert syn.char_starts[0] >= 0 and syn.char_ends[-1] <= syn.duration + 1e-6
    assert syn.char_ends[-1] > 0.5 * syn.duration  # spread over the audio, not bunched at the start


def test_long_segment_is_rendered_in_pieces_within_the_cap(engine, monkeypatch) -> None:
    from polyvox.engines.tts import f5

    text = "Every word here is spoken in turn, and the segment is long enough to need two pieces."
    whole = say(engine, text)
    monkeypatch.setattr(f5, "MAX_TOTAL_SECONDS", 3.6 + whole.duration * 0.6)
    rendered: list[str] = []
    render = engine._render
    monkeypatch.setattr(engine, "_render", lambda p, t, *a: rendered.append(t) or render(p, t, *a))
    split = say(engine, text)
    assert len(rendered) == 2 and " ".join(rendered) == text
    assert abs(len(rendered[0]) - len(rendered[1])) < 15  # cut near the middle, between words
    assert split.duration == pytest.approx(whole.duration, rel=0.1)
    assert len(split.char_starts) == len(text) and np.all(np.diff(split.char_starts) >= 0)


def test_bad_requests_raise_value_error(engine) -> None:
    with pytest.raises(ValueError, match="not 'fr'"):
        engine.synthesize(SynthesisRequest(text="Bonjour", voice="sf1", language="fr"))
    with pytest.raises(ValueError, match="no voice"):
        say(engine, "Hello.", voice="nobody")
    short = F5Engine(engine.folder, reference_loader=lambda k: Reference(np.zeros(100, np.float32), 16_000, "hi"))
    short._model, short._vocoder = engine._model, engine._vocoder
    with pytest.raises(ValueError, match="0.5-15 s"):
        say(short, "Hello.")
    untranscribed = F5Engine(engine.folder, reference_loader=lambda k: Reference(np.ones(16_000, np.float32), 16_000,
                                                                                 " "))
    with pytest.raises(ValueError, match="transcript"):
        say(untranscribed, "Hello.")
    assert F5Engine(engine.folder).voices() == []


def test_incomplete_folder_names_what_is_missing(tmp_path, tiny_dir) -> None:
    from polyvox.engines.tts.f5 import check_installed

    assert installed(tiny_dir) and not installed(None)
    empty = tmp_path / "f5"
    empty.mkdir()
    lacking = missing(empty)
    assert any("model*.safetensors" in m for m in lacking) and any("vocab.txt" in m for m in lacking)
    assert any("vocos/config.yaml" in m for m in lacking) and any("vocos/pytorch_model.bin" in m for m in lacking)
    (empty / "vocab.txt").write_text(" \n")
    with pytest.raises(RuntimeError, match=r"missing: model\*\.safetensors.*vocos/config\.yaml"):
        check_installed(empty)
    with pytest.raises(RuntimeError, match="incomplete"):
        F5Engine(empty).load()
    assert missing(tmp_path / "nowhere") == [f"the folder {tmp_path / 'nowhere'} itself"]


def test_training_checkpoint_pt_loads_the_same_weights(tmp_path, engine) -> None:
    pt = build_tiny_f5(tmp_path / "pt", checkpoint="model_last.pt")
    other = F5Engine(pt, reference_loader=engine.reference_loader, steps=4)
    other.load()
    text = "Both layouts hold the same weights."
    assert np.array_equal(say(other, text).audio, say(engine, text).audio)


# ------------------------------------------------------------------ through the service


@functools.lru_cache(maxsize=1)
def _transcript(testdata: Path, name: str) -> str:
    from tests.helpers import transcribe

    return transcribe(clip(testdata, name), 16_000).text


def test_service_serves_f5_tts_for_a_cloned_voice(tmp_path, tiny_dir, testdata, voices_dir) -> None:
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
    settings.engines = EngineSettings(kokoro_voices_dir=voices_dir, workers=1, f5_dir=tiny_dir)
    ref_text = _transcript(testdata, "100001.wav")
    assert len(ref_text) > 10  # Whisper heard the clip's sentence
    loads: list[str] = []

    def reference_loader(key: str) -> Reference:
        loads.append(key)
        return Reference(clip(testdata, "100001.wav"), 16_000, ref_text)

    engines = EngineManager()
    _register_engines(engines, settings)
    assert register(engines, settings, reference_loader) is True
    services = Services.build(settings, engines=engines)
    try:
        services.bootstrap_admin()
        with services.db.session() as s:
            s.add(Voice(voice_id="clonedSF1", name="SF1 clone", category="cloned", description="", labels={},
                        settings=None, engines={"f5": "sf1-sample"}, language="en", samples=[],
                        created_unix=int(time.time())))
        with TestClient(create_app(settings, services=services)) as http:
            headers = {"xi-api-key": ADMIN_KEY}
            models = {m["model_id"]: m for m in http.get("/v1/models", headers=headers).json()}
            assert models["f5_tts"]["engine"] == "f5" and models["f5_tts"]["sample_rate"] == SR
            assert {lang["language_id"] for lang in models["f5_tts"]["languages"]} == {"en", "zh"}
            text = "Cloned voices speak any text you give them."
            r = http.post("/v1/text-to-speech/clonedSF1?output_format=pcm_24000", headers=headers,
                          json={"text": text, "model_id": "f5_tts", "seed": 3})
            assert r.status_code == 200, r.text
            audio, rate = decode(r.content, "pcm_24000")
            assert rate == SR and np.isfinite(audio).all() and np.abs(audio).max() > 0.01
            rule = expected_frames(len(clip(testdata, "100001.wav")), ref_text, text, 1.0) * HOP / SR
            assert 0.6 * rule < len(audio) / SR < 1.6 * rule + 0.5, (len(audio) / SR, rule)
            assert loads == ["sf1-sample"]
            # a premade voice has no f5 binding: a clear 400, not a stack trace
            r = http.post("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM", headers=headers,
                          json={"text": text, "model_id": "f5_tts"})
            assert r.status_code == 400 and r.json()["detail"]["status"] == "voice_not_supported_by_model"
    finally:
        services.close()


def test_register_needs_a_complete_folder(tmp_path, tiny_dir, voices_dir) -> None:
    from polyvox.engines.manager import EngineManager
    from polyvox.settings import EngineSettings
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, voices_dir)
    manager = EngineManager()
    assert register(manager, settings, None) is False and "f5" not in manager.names()
    settings.engines = EngineSettings(f5_dir=tmp_path / "missing")
    with pytest.raises(RuntimeError, match="incomplete"):
        register(manager, settings, None)
    settings.engines = EngineSettings(f5_dir=tiny_dir)
    assert register(manager, settings, None) is True and "f5" in manager.names()
