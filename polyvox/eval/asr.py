"""ASR round trip: transcribe audio with Whisper and score it against the text it should say."""

from __future__ import annotations

from typing import Literal

import numpy as np

from polyvox.engines.stt.whisper import SAMPLE_RATE, WhisperTranscriber
from polyvox.eval.metrics import cer, wer

# Languages written without spaces between words: WER on whitespace tokens is meaningless.
_CHAR_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "km", "bo", "yue"})


def to_16k_mono(audio: np.ndarray, rate: int) -> np.ndarray:
    """Mono float32 at 16 kHz (soxr, high quality); 2-D input is mixed down."""
    a = np.asarray(audio)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max + 1)
    if a.ndim == 2:
        a = a.mean(axis=1 if a.shape[0] > a.shape[1] else 0)
    if a.ndim != 1:
        raise ValueError(f"audio must be 1-D or 2-D, got shape {a.shape}")
    a = a.astype(np.float32)
    if rate != SAMPLE_RATE:
        import soxr

        a = soxr.resample(a, rate, SAMPLE_RATE).astype(np.float32)
    return np.ascontiguousarray(a)


def round_trip_wer(
    audio: np.ndarray,
    rate: int,
    reference_text: str,
    transcriber: WhisperTranscriber,
    language: str | None,
    unit: Literal["auto", "word", "char"] = "auto",
) -> tuple[float, str]:
    """``(error rate, Whisper's hypothesis)`` for ``audio`` that should say ``reference_text``.

    ``language`` (ISO 639-1) is passed to Whisper (None = detect) and to the normaliser.
    ``unit="auto"`` scores words, except for languages written without spaces (zh, ja, th,
    ...), where it scores characters (CER); ``"word"``/``"char"`` force one.
    """
    transcript = transcriber.transcribe(to_16k_mono(audio, rate), language=language)
    hyp = transcript.text
    lang = language or transcript.language
    use_chars = unit == "char" or (unit == "auto" and lang.split("-")[0].lower() in _CHAR_LANGUAGES)
    score = cer(reference_text, hyp, lang) if use_chars else wer(reference_text, hyp, lang)
    return score, hyp


__all__ = ["round_trip_wer", "to_16k_mono"]
