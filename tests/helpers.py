"""Small test helpers: decode audio, transcribe with the packaged Whisper, WER."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np


def decode(data: bytes, output_format: str = "mp3_44100_128") -> tuple[np.ndarray, int]:
    from polyvox.audio import decode_raw, parse_output_format

    return decode_raw(data, parse_output_format(output_format))


@functools.lru_cache(maxsize=2)
def transcriber(model: str = "tiny.en"):
    import tempfile

    from polyvox.engines.stt import WhisperTranscriber

    return WhisperTranscriber(Path(tempfile.mkdtemp(prefix="polyvox-whisper-")), model=model)


def transcribe(audio: np.ndarray, rate: int, language: str = "en", words: bool = False):
    from polyvox.eval.asr import to_16k_mono

    model = "tiny.en" if language == "en" else "base"
    return transcriber(model).transcribe(to_16k_mono(audio, rate), language=language, word_timestamps=words)


def wer(ref: str, hyp: str, language: str = "en") -> float:
    from polyvox.eval.metrics import wer as _wer

    return _wer(ref, hyp, language)
