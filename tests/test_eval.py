"""Evaluation toolkit: Whisper (packaged tiny.en and base), WER, SI-SDR, alignment, DNSMOS.

Real recordings come from the shared test data (``POLYVOX_TESTDATA``, default
``<repo>/../shared/testdata``); tests that need them skip where it is absent.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import wave
from pathlib import Path

import numpy as np
import pytest

from polyvox.eval.metrics import alignment_error, cer, normalize_text_for_wer, si_sdr, wer

REPO = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("POLYVOX_TESTDATA", REPO.parent / "shared" / "testdata"))
CLIP = "ljspeech/LJ001-0009.wav"  # 7.6 s, LJ (female), public domain
NOISE = "speech_commands_bg/doing_the_dishes.wav"  # CC-BY-4.0, Google Speech Commands


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2, path
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return pcm.reshape(-1, channels).mean(axis=1), rate


@pytest.fixture(scope="module")
def read_speech() -> Path:
    folder = TESTDATA / "read_speech_en"
    if not (folder / "MANIFEST.csv").is_file():
        pytest.skip(f"shared test data not found at {folder} (set POLYVOX_TESTDATA)")
    return folder


@pytest.fixture(scope="module")
def clip(read_speech: Path) -> tuple[np.ndarray, int, str]:
    with open(read_speech / "MANIFEST.csv", newline="", encoding="utf-8") as f:
        transcripts = {row["file"]: row["transcript"] for row in csv.DictReader(f)}
    audio, rate = _read_wav(read_speech / CLIP)
    return audio, rate, transcripts[CLIP]


@pytest.fixture(scope="module")
def noise_16k() -> np.ndarray:
    path = TESTDATA / "noise" / NOISE
    if not path.is_file():
        pytest.skip(f"shared noise recordings not found at {path} (set POLYVOX_TESTDATA)")
    audio, rate = _read_wav(path)
    assert rate == 16_000
    return audio


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def tiny(models_dir: Path):
    from polyvox.engines.stt.whisper import WhisperTranscriber

    return WhisperTranscriber(models_dir, "tiny.en")


def _mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    reps = int(np.ceil(len(speech) / len(noise)))
    n = np.tile(noise, reps)[: len(speech)]
    gain = np.sqrt(np.sum(speech**2) / (np.sum(n**2) * 10 ** (snr_db / 10)))
    return speech + gain * n


# --- pure metrics ------------------------------------------------------------------------


def test_wer_basics() -> None:
    assert wer("a b c", "a x c") == pytest.approx(1 / 3)
    assert wer("Hello, World!", "hello world") == 0.0
    assert wer("", "") == 0.0 and wer("", "x") == 1.0 and wer("a b", "") == 1.0
    # digits and words compare equal, including year-style readings of four-digit numbers
    assert normalize_text_for_wer("Forty-two 42, 3rd 1,000 50%") == (
        "forty two forty two third one thousand fifty percent"
    )
    assert wer("of about 1455,", "of about fourteen fifty-five.") == 0.0
    assert wer("of about 1455,", "Of about 1455.") == 0.0
    assert wer("in 2024", "in twenty twenty-four") == 0.0
    assert wer("Don't stop", "dont stop") == 0.0
    assert normalize_text_for_wer("Ça coûte 20 €!", "fr") == "ça coûte 20"
    assert cer("你好，世界", "你好世界", "zh") == 0.0


def test_si_sdr() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(32_000)
    assert si_sdr(x, x) > 80
    assert si_sdr(0.3 * x, x) > 80  # scale-invariant
    noise = rng.standard_normal(32_000)
    noisy = _mix(x, noise, 0.0)
    assert si_sdr(noisy, x) == pytest.approx(0.0, abs=1.0)
    assert si_sdr(_mix(x, noise, 10.0), x) == pytest.approx(10.0, abs=1.0)


def test_alignment_error_synthetic() -> None:
    text = "Hello, big-world: again!"
    starts = [math.nan] * len(text)
    for word, t in (("Hello", 0.1), ("big", 0.5), ("world", 0.8), ("again", 1.4)):
        starts[text.index(word)] = t
    words = [
        {"word": " hello", "start": 0.15, "end": 0.4},
        {"word": " big-world", "start": 0.45, "end": 1.0},  # one Whisper word: only "big" is timed
        {"word": " again.", "start": 1.4, "end": 1.8},
    ]
    assert alignment_error(starts, text, words) == pytest.approx((0.05 + 0.05 + 0.0) / 3)
    assert math.isnan(alignment_error(starts, text, [{"word": "zzz", "start": 0.0}]))


# --- Whisper ------------------------------------------------------------------------------


def test_tiny_en_round_trip_and_word_timestamps(tiny, clip) -> None:
    from polyvox.eval.asr import round_trip_wer, to_16k_mono

    audio, rate, reference = clip
    assert rate != 16_000  # exercises the soxr resampling path
    score, hyp = round_trip_wer(audio, rate, reference, tiny, "en")
    assert score < 0.15, (score, hyp)

    t = tiny.transcribe(to_16k_mono(audio, rate), word_timestamps=True)
    assert t.language == "en"
    assert t.duration == pytest.approx(len(audio) / rate, abs=0.01)
    assert len(t.words) >= 10
    starts = [w.start for w in t.words]
    assert starts == sorted(starts)
    assert all(0.0 <= w.start <= w.end <= t.duration + 0.05 for w in t.words)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(t.words, t.words[1:]))
    # Whisper's own words against a character timeline built from them: zero error
    text = "".join(w.text for w in t.words)
    char_starts = [math.nan] * len(text)
    pos = 0
    for w in t.words:
        lead = len(w.text) - len(w.text.lstrip())
        char_starts[pos + lead] = w.start
        pos += len(w.text)
    assert alignment_error(char_starts, text, t.words) == pytest.approx(0.0, abs=1e-9)
    shifted = [s + 0.1 for s in char_starts]
    assert alignment_error(shifted, text, t.words) == pytest.approx(0.1, abs=1e-6)


def test_whisper_base_assembles_and_transcribes(models_dir: Path, clip) -> None:
    from polyvox.engines.stt.whisper import WhisperTranscriber, packaged_whisper_path
    from polyvox.eval.asr import round_trip_wer

    folder = packaged_whisper_path("base", models_dir)
    assert folder == models_dir / "whisper-base"
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    h = hashlib.sha256()
    with open(folder / "model.bin", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    assert h.hexdigest() == "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
    assert packaged_whisper_path("base", models_dir) == folder  # reused, not rebuilt

    base = WhisperTranscriber(models_dir, "base")
    audio, rate, reference = clip
    score, hyp = round_trip_wer(audio, rate, reference, base, None)  # language detected
    assert score < 0.15, (score, hyp)
    assert base.multilingual


def test_transcriber_rejects_unknown_model(models_dir: Path) -> None:
    from polyvox.engines.stt.whisper import WhisperTranscriber

    with pytest.raises(ValueError, match="neither a packaged model"):
        WhisperTranscriber(models_dir, "large-v3").load()


# --- DNSMOS -------------------------------------------------------------------------------


def test_dnsmos_ranks_clean_above_noisy(clip, noise_16k) -> None:
    from polyvox.eval.asr import to_16k_mono
    from polyvox.eval.dnsmos import DnsMos, find_model_dir

    try:
        find_model_dir()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    scorer = DnsMos()
    audio, rate, _ = clip
    clean = scorer.score(audio, rate)
    speech = to_16k_mono(audio, rate)
    noisy = scorer.score(_mix(speech, noise_16k, 0.0), 16_000)
    assert set(clean) == {"sig", "bak", "ovrl"}
    assert clean["ovrl"] > 3.0, clean
    assert clean["ovrl"] > noisy["ovrl"] + 1.0, (clean, noisy)
    assert clean["bak"] > noisy["bak"] + 1.0, (clean, noisy)
