"""Sound effects: exact durations, sane loudness, prompts that sound different, seamless loops,
the SDK call, bad input, and Stable Audio Open through its real loader on a tiny pipeline."""

from __future__ import annotations

import itertools

import httpx
import numpy as np
import pytest

from tests.helpers import decode


def _engine():
    from polyvox.engines.sfx import ProceduralSfx

    return ProceduralSfx()


def _gen(text: str, duration: float | None = None, **kw):
    from polyvox.engines.sfx import SoundRequest

    return _engine().generate(SoundRequest(text=text, duration=duration, **kw))


def _lufs(x: np.ndarray, rate: int) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(rate, block_size=min(0.4, len(x) / rate - 1e-3)).integrated_loudness(
        x.astype(np.float64)))


def _bands(x: np.ndarray, rate: int) -> np.ndarray:
    """Log energy in 16 log-spaced bands (30 Hz-16 kHz), normalised to the total: a spectral fingerprint."""
    mono = x.mean(axis=1) if x.ndim == 2 else x
    spec = np.abs(np.fft.rfft(mono)) ** 2
    f = np.fft.rfftfreq(len(mono), 1 / rate)
    edges = np.geomspace(30, 16000, 17)
    e = np.array([spec[(f >= a) & (f < b)].sum() for a, b in itertools.pairwise(edges)]) + 1e-12
    return 10 * np.log10(e / e.sum())


def _centroid(x: np.ndarray, rate: int) -> float:
    mono = x.mean(axis=1)
    spec = np.abs(np.fft.rfft(mono))
    f = np.fft.rfftfreq(len(mono), 1 / rate)
    return float((spec * f).sum() / (spec.sum() + 1e-12))


# ------------------------------------------------------------------------------ engine
@pytest.mark.parametrize("duration", [0.5, 1.0, 2.37, 5.0, 12.0])
def test_duration_is_exact(duration):
    r = _gen("a heavy wooden door slams shut", duration, seed=1)
    assert r.audio.shape == (round(duration * 44100), 2)


def test_loudness_is_in_a_sane_range():
    for prompt in ("a dog barking", "heavy rain on a tin roof", "a massive explosion", "footsteps on gravel",
                   "notification beep", "lofi hip hop drum loop at 85 bpm", "wind howling", "sci-fi glitch"):
        r = _gen(prompt, 3.0, seed=3)
        lufs = _lufs(r.audio, r.sample_rate)
        assert -30.0 <= lufs <= -10.0, (prompt, lufs)
        assert np.max(np.abs(r.audio)) <= 0.96


def test_different_prompts_give_different_spectra():
    prompts = ["a deep cinematic braam", "birds chirping in a forest", "heavy rain", "a car engine idling",
               "a laser gun firing", "glass shattering"]
    fx = {p: _gen(p, 3.0, seed=5) for p in prompts}
    bands = {p: _bands(r.audio, r.sample_rate) for p, r in fx.items()}
    for i, a in enumerate(prompts):
        for b in prompts[i + 1:]:
            dist = float(np.sqrt(np.mean((bands[a] - bands[b]) ** 2)))
            assert dist > 3.0, (a, b, dist)  # dB RMS over 16 bands
    cents = {p: _centroid(r.audio, r.sample_rate) for p, r in fx.items()}
    assert cents["a deep cinematic braam"] < cents["birds chirping in a forest"] / 2
    assert cents["a car engine idling"] < cents["glass shattering"]


def test_sequence_plays_in_order():
    """"X, then Y": the whoosh's air comes first, the impact's low thump after it."""
    r = _gen("a fast whoosh, then a massive impact", 3.0, seed=2, prompt_influence=1.0)
    x = r.audio.mean(axis=1)
    from scipy import signal

    low = signal.sosfilt(signal.butter(4, 150, "low", fs=44100, output="sos"), x)
    high = signal.sosfilt(signal.butter(4, 2000, "high", fs=44100, output="sos"), x)
    t_low = np.argmax(np.abs(low)) / 44100
    t_high = np.argmax(np.abs(high)) / 44100
    assert t_high < t_low and t_low > 1.0, (t_high, t_low)


def _seam(x: np.ndarray) -> tuple[float, float, float]:
    from polyvox.audio.dsp import detect_click

    w = 2205
    mono = x[:, 0]
    seam = detect_click(np.concatenate([mono[-w:], mono[:w]]), 44100)
    inner = max(detect_click(mono[a - w: a + w], 44100) for a in np.linspace(w, len(mono) - w, 8).astype(int))
    jump = abs(float(mono[0] - mono[-1]))
    return seam, inner, jump / (np.percentile(np.abs(np.diff(mono)), 99) + 1e-9)


@pytest.mark.parametrize("prompt", ["rain loop", "seamless wind ambience loop", "car engine idle loop",
                                    "techno loop at 128 bpm", "lofi hip hop loop in A minor"])
def test_loops_loop_without_a_click(prompt):
    r = _gen(prompt, 4.0, seed=4)
    assert r.description["loop"]
    seam, inner, rel_jump = _seam(r.audio)
    assert rel_jump < 1.0  # the step from the last sample to the first is an ordinary step
    assert seam <= max(1.0, 1.25 * inner), (seam, inner)


def test_a_one_shot_is_not_a_loop_but_its_loop_version_is():
    one = _gen("wind howling", 4.0, seed=6)
    loop = _gen("wind howling", 4.0, seed=6, loop=True)
    assert not one.description["loop"] and loop.description["loop"]
    # the one-shot fades in and out; the loop is continuous through its seam
    assert np.abs(one.audio[:10]).max() < 0.01 and np.abs(loop.audio[:10]).max() > 0.002


def test_music_loop_is_whole_bars_in_the_key():
    r = _gen("lofi hip hop drum loop at 90 bpm in A minor")
    bar = 4 * 60 / 90
    assert r.description["tempo"] == 90 and r.description["key_root"] == 9 and r.description["minor"]
    assert abs(r.duration / bar - round(r.duration / bar)) < 1e-3


def test_prompt_influence_trades_literalness_for_variety():
    prompt = "a metal pipe falling on concrete"
    a = _gen(prompt, 2.0, prompt_influence=1.0)
    b = _gen(prompt, 2.0, prompt_influence=1.0)
    assert a.description["layers"][0]["kind"] == "impact"
    assert np.array_equal(a.audio, b.audio)  # fully literal: the same sound every time
    c = _gen(prompt, 2.0, prompt_influence=0.0)
    d = _gen(prompt, 2.0, prompt_influence=0.0)
    assert not np.array_equal(c.audio, d.audio)

    def spread(influence: float) -> float:
        takes = [_bands(_gen(prompt, 2.0, prompt_influence=influence, seed=k).audio, 44100) for k in range(5)]
        return float(np.mean([np.abs(x - y).mean() for i, x in enumerate(takes) for y in takes[i + 1:]]))

    assert spread(0.0) > 1.5 * spread(0.9)  # takes differ more when the prompt leaves room


def test_automatic_duration_follows_the_prompt():
    short = _gen("a short notification beep")
    long_ = _gen("rain ambience")
    stated = _gen("7 seconds of wind")
    assert 0.5 <= short.duration < 2.0 and 6.0 <= long_.duration <= 22.0 and stated.duration == 7.0


# ------------------------------------------------------------------------------ API
def test_sdk_sound_effects_convert(client):
    """SDK 2.x ``text_to_sound_effects.convert`` (output_format as a query parameter)."""
    audio = b"".join(client.text_to_sound_effects.convert(text="a dog barking", duration_seconds=2.0,
                                                          prompt_influence=0.3, output_format="pcm_44100"))
    pcm, _ = decode(audio, "pcm_44100")
    assert len(pcm) == 2 * 44100
    mp3 = b"".join(client.text_to_sound_effects.convert(text="a door creaks open, then slams shut",
                                                        duration_seconds=3.5))
    from polyvox.audio import decode_audio

    stereo, _rate = decode_audio(mp3, mono=False)
    assert stereo.shape == (int(3.5 * 44100), 2)  # gapless mp3: exact length, stereo
    auto = b"".join(client.text_to_sound_effects.convert(text="thunder rumbling in the distance",
                                                         output_format="wav_44100"))
    assert 2.0 < decode_audio(auto)[0].shape[0] / 44100 <= 22.0


def test_headers_cost_and_bad_input(live_server):
    headers = {"xi-api-key": live_server.admin_key}
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=60) as http:
        r = http.post("/v1/sound-generation", json={"text": "a gunshot", "duration_seconds": 2.0},
                      params={"output_format": "mp3_22050_32"})
        assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"
        assert r.headers["character-cost"] == "50"
        r = http.post("/v1/sound-generation", json={"text": "a gunshot"})
        assert r.status_code == 200 and r.headers["character-cost"] == "100"
        r = http.post("/v1/sound-generation", json={"text": "ocean waves", "duration_seconds": 3, "loop": True,
                                                    "prompt_influence": 1.0}, params={"output_format": "pcm_16000"})
        assert r.status_code == 200 and len(r.content) == 2 * 3 * 16000
        for body, params, code in (({"text": ""}, None, 400), ({"duration_seconds": 2}, None, 422),
                                   ({"text": "x", "duration_seconds": 30}, None, 422),
                                   ({"text": "x", "duration_seconds": 0.1}, None, 422),
                                   ({"text": "x", "prompt_influence": 2}, None, 422),
                                   ({"text": "x"}, {"output_format": "flac_1"}, 422),
                                   ({"text": "x", "model_id": "nope"}, None, 400),
                                   ({"text": "x" * 1001}, None, 400)):
            r = http.post("/v1/sound-generation", json=body, params=params)
            assert r.status_code == code, (body, r.text)
            if code == 400:
                assert set(r.json()["detail"]) >= {"status", "message"}
        r = http.post("/v1/sound-generation", json={"text": "x", "model_id": "stable-audio-open"})
        assert r.status_code in (200, 400)  # 400 model_not_found unless the tiny pipeline test installed it


# ------------------------------------------------------------------------------ Stable Audio Open
def _tiny_stable_audio(folder):
    """A random tiny Stable Audio Open pipeline saved in the diffusers format (4 Hz audio, 2 s max)."""
    import torch
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import T5Config, T5EncoderModel, T5TokenizerFast

    torch.manual_seed(0)
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + \
        [("\u2581" + w, -1.0) for w in ["a", "the", "dog", "barking", "door", "rain", "wind", "impact"]] + \
        [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz\u2581"]
    tok = Tokenizer(models.Unigram(pieces, unk_id=2))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer = T5TokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                model_max_length=25, extra_ids=0)
    text_encoder = T5EncoderModel(T5Config(vocab_size=len(pieces), d_model=8, d_kv=4, d_ff=16, num_layers=1,
                                           num_heads=2, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0))
    pipe = StableAudioPipeline(
        vae=AutoencoderOobleck(encoder_hidden_size=6, downsampling_ratios=[1, 2], decoder_channels=3,
                               decoder_input_channels=3, audio_channels=2, channel_multiples=[2, 4], sampling_rate=4),
        text_encoder=text_encoder, tokenizer=tokenizer,
        projection_model=StableAudioProjectionModel(text_encoder_dim=8, conditioning_dim=4, min_value=0, max_value=32),
        transformer=StableAudioDiTModel(sample_size=4, in_channels=3, num_layers=2, attention_head_dim=4,
                                        num_key_value_attention_heads=2, out_channels=3, cross_attention_dim=4,
                                        time_proj_dim=8, global_states_input_dim=8, cross_attention_input_dim=4),
        scheduler=CosineDPMSolverMultistepScheduler(solver_order=2, prediction_type="v_prediction", sigma_data=1.0,
                                                    sigma_schedule="exponential"))
    pipe.save_pretrained(folder)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")
def test_stable_audio_loader_runs_a_tiny_diffusers_pipeline(live_server):
    for mod in ("torch", "diffusers", "transformers", "torchsde"):
        pytest.importorskip(mod, reason=f"Stable Audio Open needs {mod} (pip install 'polyvox[models]')")
    from pathlib import Path

    from polyvox.engines.sfx import SoundRequest
    from polyvox.engines.sfx.stable_audio import StableAudioSfx

    folder = Path(live_server.services.settings.models_dir) / "stable-audio-open"
    _tiny_stable_audio(folder)
    engine = StableAudioSfx(folder, steps=2)
    a = engine.generate(SoundRequest(text="a dog barking", duration=1.0, prompt_influence=1.0))
    b = engine.generate(SoundRequest(text="a dog barking", duration=1.0, prompt_influence=1.0))
    assert a.sample_rate == 4 and a.audio.shape == (4, 2) and np.array_equal(a.audio, b.audio)
    assert np.all(np.isfinite(a.audio))
    loop = engine.generate(SoundRequest(text="rain", duration=1.5, loop=True))
    assert loop.audio.shape == (6, 2) and loop.description["loop"]
    with httpx.Client(base_url=live_server.base_url, headers={"xi-api-key": live_server.admin_key}, timeout=60) as h:
        r = h.post("/v1/sound-generation", json={"text": "a dog barking", "duration_seconds": 1.0,
                                                 "model_id": "stable-audio-open"}, params={"output_format": "pcm_16000"})
    assert r.status_code == 200, r.text
    assert len(r.content) == 2 * 16000
