"""The three embedded TTS engines, loaded once per module on real packaged weights.

Kokoro's voice packs come from ``POLYVOX_TEST_KOKORO_VOICES`` (default
``<repo>/../shared/models/kokoro-v1.0-voices``), installed with ``fetch_kokoro_voices``
into a session temp data folder, where the model is assembled too.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from polyvox.engines.tts import EspeakEngine, KokoroEngine, PiperEngine, builtin_engines, kokoro_stream
from polyvox.engines.tts.alignment import label_phonemes, spread_over_chars, text_words, trim_silence
from polyvox.engines.tts.base import EngineInfo, SynthesisRequest, TTSEngine, VoiceSettings
from polyvox.engines.tts.kokoro import chunk_ranges, parse_blend
from polyvox.engines.tts.kokoro_voices import KOKORO_VOICES, VOICE_SHA256, fetch_kokoro_voices
from tests.helpers import transcribe, wer

REPO = Path(__file__).resolve().parents[1]
VOICES_SRC = Path(
    os.environ.get("POLYVOX_TEST_KOKORO_VOICES", REPO.parent / "shared" / "models" / "kokoro-v1.0-voices")
)
TEXT = "The quick brown fox jumps over the lazy dog."
SHORT = "Hello there, my good friend."
_BASELINES: dict[str, object] = {}


# ---------------------------------------------------------------- helpers
def ltas(audio: np.ndarray, n: int = 512) -> np.ndarray:
    frames = len(audio) // n
    x = audio[: frames * n].reshape(frames, n) * np.hanning(n)
    return 10 * np.log10((np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(axis=0) + 1e-10)


def spectral_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of the long-term average spectra, in dB (bins 5-200)."""
    return float(np.abs(ltas(a) - ltas(b))[5:200].mean())


def changed(a, b, min_db: float = 0.5) -> bool:
    """A render differs measurably: duration by >3 % or average spectrum by > min_db."""
    return abs(a.duration - b.duration) / a.duration > 0.03 or spectral_distance(a.audio, b.audio) > min_db


def check_synthesis(syn, text: str, sample_rate: int) -> None:
    assert syn.sample_rate == sample_rate
    assert syn.audio.dtype == np.float32 and syn.audio.ndim == 1
    assert np.all(np.isfinite(syn.audio)) and np.max(np.abs(syn.audio)) <= 1.0
    rms = float(np.sqrt(np.mean(syn.audio.astype(np.float64) ** 2)))
    assert rms > 0.01, "audio is silent"
    assert 0.5 < syn.duration < 6.0
    s, e = np.asarray(syn.char_starts), np.asarray(syn.char_ends)
    assert len(s) == len(text) == len(e)
    assert np.all(np.diff(s) >= -1e-9) and np.all(np.diff(e) >= -1e-9), "times must be non-decreasing"
    assert np.all(e >= s - 1e-9)
    assert s[0] >= 0 and e[-1] <= syn.duration + 1e-6
    # the words are spread over the speech: first word early, last word late
    words = text_words(text)
    assert s[words[0][0]] < 0.4
    assert s[words[-1][0]] > 0.5 * syn.duration
    assert syn.duration - e[words[-1][1] - 1] < 0.4


def word_starts(syn, text: str) -> np.ndarray:
    return np.array([syn.char_starts[a] for a, _ in text_words(text)])


def req(engine: TTSEngine, voice: str, text: str = TEXT, lang: str = "en", **kw) -> SynthesisRequest:
    return SynthesisRequest(text=text, voice=voice, language=lang, **kw)


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def kokoro(models_dir) -> KokoroEngine:
    if not (VOICES_SRC / "af_heart.bin").is_file():
        pytest.skip(f"Kokoro voice packs not found in {VOICES_SRC} (set POLYVOX_TEST_KOKORO_VOICES)")
    n = fetch_kokoro_voices(models_dir / "kokoro-voices", source=VOICES_SRC)
    assert n == 54
    engine = KokoroEngine(models_dir, threads=2)
    engine.load()
    return engine


@pytest.fixture(scope="module")
def piper(models_dir) -> PiperEngine:
    engine = PiperEngine(models_dir, threads=2)
    engine.load()
    return engine


@pytest.fixture(scope="module")
def espeak(models_dir) -> EspeakEngine:
    engine = EspeakEngine(models_dir)
    engine.load()
    return engine


ENGINES = {"kokoro": "af_heart", "piper": "en_US-joe-medium", "espeak": "en-us"}


@pytest.fixture(scope="module", params=list(ENGINES))
def engine(request) -> tuple[TTSEngine, str]:
    return request.getfixturevalue(request.param), ENGINES[request.param]


def _baseline(eng: TTSEngine, voice: str):
    if eng.info.name not in _BASELINES:
        _BASELINES[eng.info.name] = eng.synthesize(req(eng, voice))
    return _BASELINES[eng.info.name]


@pytest.fixture(scope="module")
def baseline(engine):
    return _baseline(*engine)


# ---------------------------------------------------------------- pure helpers
def test_spread_over_chars_covers_every_char():
    text = "Hi, there  world!"
    words = text_words(text)
    assert [text[a:b] for a, b in words] == ["Hi", "there", "world"]
    s, e = spread_over_chars(text, [(a, b, t, t + 0.2) for (a, b), t in zip(words, [0.1, 0.5, 0.9])], 1.3)
    assert len(s) == len(text) and np.all(np.diff(s) >= 0) and np.all(e >= s)
    assert s[0] == pytest.approx(0.1) and e[-1] == pytest.approx(1.3)
    assert s[4] == pytest.approx(0.5) and e[8] == pytest.approx(0.7)  # "there"
    assert s[2] == pytest.approx(0.3)  # the comma sits in the gap after "Hi"


def test_text_words_splits_cjk():
    assert len(text_words("你好，世界。")) == 4


def test_label_phonemes_handles_joined_words():
    # eSpeak joins "in the" -> "ɪnðə": the word-by-word G2P resolves it
    ph = "ɪnðə ˈɛnd"
    labels = label_phonemes(ph, 3, lambda: ["ɪn", "ðə", "ˈɛnd"])
    assert list(labels[:4]) == [0, 0, 1, 1] and labels[4] == -1 and set(labels[5:]) == {2}
    same = label_phonemes("a b, c.", 3)
    assert list(same) == [0, -1, 1, -1, -1, 2, -1]


def test_trim_silence_keeps_pads():
    sr = 24000
    a = np.zeros(sr, dtype=np.float32)
    a[12000:13000] = 0.5
    out, head = trim_silence(a, sr, pad=0.03)
    assert head == 12000 - 720 and len(out) == 1000 + 2 * 720


def test_chunking_and_blends():
    ph = ("ðə kwˈɪk bɹˈaʊn fˈɑːks, dʒˈʌmps. " * 30).strip()
    ranges = chunk_ranges(ph, 510)
    assert len(ranges) >= 2 and all(b - a <= 510 for a, b in ranges)
    assert all(ph[b - 1] in ".," for a, b in ranges[:-1])
    assert "".join(ph[a:b] for a, b in ranges).replace(" ", "") == ph.replace(" ", "")
    assert parse_blend("af_heart:3+af_bella:1") == [("af_heart", 0.75), ("af_bella", 0.25)]
    with pytest.raises(ValueError):
        parse_blend("af_heart:x")


def _toy_geometry(first_frames=6, growth=2.0):
    ph = "ðə kwˈɪk bɹˈaʊn fˈɑːks dʒˈʌmps ˈoʊvɚ ðə lˈeɪzi dˈɑːɡ."
    dur = [14] + [2 + (i % 3) for i in range(len(ph))] + [1]  # start pad, tokens, end pad (frames)
    return ph, np.array(dur, dtype=float), kokoro_stream.plan(dur, ph, first_frames=first_frames, growth=growth)


def test_stream_geometry_cuts_between_words():
    ph, dur, geo = _toy_geometry()
    edges = np.concatenate([[0], np.cumsum(dur)]).astype(int)
    first_speech, last_speech = edges[1], edges[len(ph)]  # "ð" starts, "ɡ" ends ("." follows)
    assert geo.start == first_speech - kokoro_stream.LEAD and geo.end == last_speech + kokoro_stream.TAIL
    assert geo.head == kokoro_stream.LEAD * kokoro_stream.FRAME - 720  # 30 ms of lead silence kept
    assert len(geo.cuts) >= 2
    # every cut is in the middle of a space between two words
    spaces = {(edges[k + 1] + edges[k + 2]) // 2 for k, c in enumerate(ph) if c == " "}
    assert set(geo.cuts) <= spaces
    assert geo.cuts[0] >= first_speech + 6
    # each window is at most `growth` times all the audio before it (plus one word)
    bounds = [geo.start, *geo.cuts]
    for a, b in zip(bounds[1:-1], bounds[2:]):
        assert b - a <= 2.0 * (a - geo.start) + 8
    assert kokoro_stream.plan(dur, ph, first_frames=None).cuts == ()
    # token times are known before decoding: the first phoneme starts 30 ms into the audio
    assert geo.token_samples()[1] == 720


def test_stream_windows_join_without_seams():
    # a decoder whose windows agree with each other: crossfaded pieces rebuild the signal exactly
    ph, dur, geo = _toy_geometry()
    signal = np.sin(np.arange(int(dur.sum()) * kokoro_stream.FRAME) * 0.01).astype(np.float32)
    calls = []

    def run(a, b):
        calls.append((a, b))
        return signal[a * kokoro_stream.FRAME: b * kokoro_stream.FRAME]

    pieces = kokoro_stream.decode(geo, run)
    first = next(pieces)
    assert len(calls) == 1, "the first piece comes from the first window alone"
    out = np.concatenate([first, *pieces])
    assert len(calls) == len(geo.cuts) + 1
    assert len(out) == geo.samples
    np.testing.assert_allclose(out, signal[geo.start * kokoro_stream.FRAME + geo.head: geo.end * kokoro_stream.FRAME],
                               atol=1e-6)
    # each window was decoded with context on both sides of its cuts
    assert all(b > c for (_, b), c in zip(calls, geo.cuts)) and all(a < c for (a, _), c in zip(calls[1:], geo.cuts))


def test_kokoro_voice_table():
    assert len(VOICE_SHA256) == len(KOKORO_VOICES) == 54
    assert KOKORO_VOICES["bm_george"].language == "en" and KOKORO_VOICES["bm_george"].accent == "british"
    assert KOKORO_VOICES["af_heart"].gender == "female" and KOKORO_VOICES["zm_yunxi"].language == "zh"
    assert {m.language for m in KOKORO_VOICES.values()} == {"en", "es", "fr", "hi", "it", "ja", "pt", "zh"}


def test_builtin_engines_are_lazy(tmp_path):
    engines = builtin_engines(tmp_path, threads=1)
    assert set(engines) == {"kokoro", "piper", "espeak"}
    for name, eng in engines.items():
        assert isinstance(eng, TTSEngine) and isinstance(eng.info, EngineInfo) and eng.info.name == name
    assert not any(tmp_path.iterdir()), "constructors must not assemble models"


# ---------------------------------------------------------------- every engine
def test_synthesizes_english(engine, baseline):
    eng, _ = engine
    check_synthesis(baseline, TEXT, eng.info.sample_rate)


def test_same_seed_same_samples(engine):
    # (seed None is covered by test_concurrent_calls_match_sequential against the baseline)
    eng, voice = engine
    a = eng.synthesize(req(eng, voice, seed=42))
    b = eng.synthesize(req(eng, voice, seed=42))
    assert np.array_equal(a.audio, b.audio)
    np.testing.assert_array_equal(a.char_starts, b.char_starts)


def test_concurrent_calls_match_sequential(engine, baseline):
    eng, voice = engine
    results = [None] * 2

    def run(i):
        results[i] = eng.synthesize(req(eng, voice))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert np.array_equal(r.audio, baseline.audio)


def test_speed_shortens(engine, baseline):
    eng, voice = engine
    assert "speed" in eng.info.settings
    fast = eng.synthesize(req(eng, voice, settings=VoiceSettings(speed=1.2)))
    assert fast.duration < 0.9 * baseline.duration
    slow = eng.synthesize(req(eng, voice, settings=VoiceSettings(speed=0.8)))
    assert slow.duration > 1.1 * baseline.duration


@pytest.mark.parametrize(
    "field,value",
    [("stability", 0.0), ("stability", 1.0), ("style", 1.0), ("similarity_boost", 0.0)],
)
def test_declared_settings_change_audio(engine, baseline, field, value):
    eng, voice = engine
    other = eng.synthesize(req(eng, voice, settings=VoiceSettings(**{field: value})))
    if field not in eng.info.settings:
        check_synthesis(other, TEXT, eng.info.sample_rate)  # accepted, documented as no effect
        return
    assert changed(baseline, other), f"{field}={value} did not change {eng.info.name}'s audio"
    check_synthesis(other, TEXT, eng.info.sample_rate)


def test_unknown_voice_and_language(engine):
    eng, voice = engine
    with pytest.raises(ValueError):
        eng.synthesize(req(eng, "no_such_voice"))
    with pytest.raises(ValueError):
        eng.synthesize(req(eng, voice, lang="xx"))


def test_voices_listed(engine):
    eng, voice = engine
    vs = eng.voices()
    assert voice in {v.voice for v in vs}
    assert all(v.language in eng.info.languages for v in vs)


# ---------------------------------------------------------------- Kokoro
def test_kokoro_info_and_voices(kokoro):
    info = kokoro.info
    assert info.languages == {"en", "es", "fr", "hi", "it", "ja", "pt", "zh"}
    assert info.accepts_phonemes and info.settings == {"speed", "stability", "similarity_boost", "style"}
    assert len(kokoro.voices()) == 54
    # the stock graph split in two (front end + decoder), so that decoding can run in windows
    assert kokoro.model_path is not None and kokoro.model_path.name.endswith(".decoder.onnx")


def test_kokoro_stream_first_window_follows_latency(kokoro):
    """A higher optimize_streaming_latency gives a shorter first piece; every level joins to the
    length and timing of the one-window render, and says the same words."""
    text = "The birch canoe slid on the smooth planks, and the sheet was glued to the dark blue background."
    whole = kokoro.synthesize(req(kokoro, "af_heart", text=text))
    firsts = []
    for latency in (0, 4):
        stream = kokoro.synthesize_stream(SynthesisRequest(text=text, voice="af_heart", language="en",
                                                           latency=latency))
        pieces = list(stream)
        assert len(pieces) > 1
        firsts.append(len(pieces[0]))
        audio = np.concatenate(pieces)
        assert len(audio) == stream.samples == len(whole.audio)
        np.testing.assert_allclose(stream.char_starts, whole.char_starts)
        assert wer(text, transcribe(audio, 24000).text) <= 0.1
    assert firsts[1] < 0.7 * firsts[0]


def test_kokoro_similarity_default_is_close(kokoro):
    # similarity 0.75 (default) stays near the stock voice (1.0); 0 moves clearly away
    def render(sim):
        settings = VoiceSettings(similarity_boost=sim, stability=1.0)
        return kokoro.synthesize(req(kokoro, "af_heart", text=SHORT, settings=settings))

    stock, dflt, far = render(1.0), render(0.75), render(0.0)
    assert spectral_distance(stock.audio, dflt.audio) < spectral_distance(stock.audio, far.audio)


def test_kokoro_seed_changes_take(kokoro, baseline_kokoro):
    other = kokoro.synthesize(req(kokoro, "af_heart", seed=7))
    assert not np.array_equal(other.audio, baseline_kokoro.audio)


@pytest.fixture(scope="module")
def baseline_kokoro(kokoro):
    return _baseline(kokoro, "af_heart")


def test_kokoro_blend_differs_from_parents(kokoro, baseline_kokoro):
    bella = kokoro.synthesize(req(kokoro, "af_bella"))
    blend = kokoro.synthesize(req(kokoro, "af_heart:0.5+af_bella:0.5"))
    check_synthesis(blend, TEXT, 24000)
    assert changed(baseline_kokoro, blend) and changed(bella, blend)
    # the mix lies between its parents
    d_parents = spectral_distance(baseline_kokoro.audio, bella.audio)
    assert spectral_distance(blend.audio, baseline_kokoro.audio) < d_parents
    assert spectral_distance(blend.audio, bella.audio) < d_parents
    with pytest.raises(ValueError):
        kokoro.synthesize(req(kokoro, "af_heart:0.5+nobody:0.5"))


def test_kokoro_alignment_tracks_speed(kokoro, baseline_kokoro):
    fast = kokoro.synthesize(req(kokoro, "af_heart", settings=VoiceSettings(speed=1.5)))
    w0, w1 = word_starts(baseline_kokoro, TEXT), word_starts(fast, TEXT)
    assert w1[-1] < 0.8 * w0[-1]
    assert np.all(np.diff(w0) > 0.03), "each word of the sentence starts after the previous one"


def test_kokoro_phonemes_override_text(kokoro, baseline_kokoro):
    other = kokoro.synthesize(req(kokoro, "af_heart", phonemes="hɛlˈoʊ wˈɜːld."))
    assert other.duration < 0.7 * baseline_kokoro.duration
    assert len(other.char_starts) == len(TEXT)


@pytest.mark.parametrize(
    "lang,voice,text",
    [("es", "ef_dora", "Hola, ¿cómo estás? Hoy hace muy buen tiempo."), ("ja", "jf_alpha", "今日はいい天気ですね。")],
)
def test_kokoro_other_languages(kokoro, lang, voice, text):
    syn = kokoro.synthesize(req(kokoro, voice, text=text, lang=lang))
    check_synthesis(syn, text, 24000)


def test_kokoro_british_voice_uses_british_g2p(kokoro):
    assert kokoro.phonemize("tomato", "en", "bf_emma") != kokoro.phonemize("tomato", "en", "af_heart")


# ---------------------------------------------------------------- Piper
def test_piper_info(piper):
    assert piper.info.languages == {"en"} and piper.info.sample_rate == 22050
    assert "similarity_boost" not in piper.info.settings
    with pytest.raises(ValueError):
        piper.synthesize(req(piper, "en_US-joe-medium", lang="es"))


def test_piper_different_seeds_differ(piper):
    a = piper.synthesize(req(piper, "en_US-joe-medium", seed=1))
    b = piper.synthesize(req(piper, "en_US-joe-medium", seed=2))
    assert not np.array_equal(a.audio, b.audio)


@pytest.mark.parametrize("latency", [0, 4])
def test_piper_stream_is_the_whole_audio_in_word_pieces(piper, latency):
    """The decoder runs in windows with enough context that the pieces are the whole render's samples;
    the first piece is short (first audio sooner) and ends where a word begins."""
    text = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
    request = req(piper, "en_US-joe-medium", text=text, latency=latency)
    whole = piper.synthesize(request)
    stream = piper.synthesize_stream(request)
    assert np.array_equal(stream.char_starts, whole.char_starts) and stream.samples == len(whole.audio)
    pieces = list(stream)
    audio = np.concatenate(pieces)
    assert len(pieces) >= 3 and len(audio) == len(whole.audio)
    assert float(np.max(np.abs(audio - whole.audio))) < 1e-4
    first = len(pieces[0]) / whole.sample_rate
    assert 0.1 < first < (0.8 if latency == 0 else 0.5), first
    # the characters starting in the first piece are whole words
    inside = [c for c, t in zip(text, whole.char_starts) if t < first]
    assert text[len(inside) - 1] == " " and text[len(inside)] != " ", (first, "".join(inside))


# ---------------------------------------------------------------- eSpeak
def test_espeak_languages_and_voices(espeak):
    langs = espeak.info.languages
    assert len(langs) >= 100
    assert sum(len(code) == 2 for code in langs) >= 90
    assert {"en", "fr", "de", "es", "zh", "ar", "hi", "ru", "sw"} <= langs
    voices = {v.voice: v for v in espeak.voices()}
    assert voices["en-us+f3"].gender == "female" and voices["en-us"].gender == "male"


def test_espeak_other_language_and_female(espeak):
    text = "Bonjour tout le monde, comment allez-vous?"
    syn = espeak.synthesize(req(espeak, "fr", text=text, lang="fr"))
    check_synthesis(syn, text, 22050)
    male = espeak.synthesize(req(espeak, "en-us"))
    female = espeak.synthesize(req(espeak, "en-us+f3"))
    assert changed(male, female, min_db=1.0)


def test_espeak_word_events_place_words(espeak):
    text = "One, two, three, four."
    syn = espeak.synthesize(req(espeak, "en-us", text=text))
    starts = word_starts(syn, text)
    # comma pauses: the words are spread out, not crammed together
    assert np.all(np.diff(starts) > 0.2)
