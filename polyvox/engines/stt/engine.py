"""The speech-to-text engine: faster-whisper with Silero VAD, word timestamps and progress.

:class:`~polyvox.engines.stt.whisper.WhisperTranscriber` resolves and loads a model; this
engine drives the loaded ``WhisperModel`` itself so that it can report progress while the
lazy segment generator decodes (a 10-minute file takes about a minute on two cores), and
pass the decoding options the API exposes.

Models (see :func:`available_models`):

* ``base`` (multilingual) and ``tiny.en`` (English only) ship in pip packages;
* any CTranslate2 Whisper folder a user adds under ``<models_dir>/whisper/<name>/``
  (``model.bin`` + ``config.json`` + ``tokenizer.json`` or ``vocabulary.*``, e.g. from
  ``ct2-transformers-converter`` or the Systran ``faster-whisper-large-v3`` /
  ``faster-whisper-large-v3-turbo`` repositories) is loaded by its folder name; large-v3's
  128 mel bins are read from its ``preprocessor_config.json`` by faster-whisper.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polyvox.engines.stt.whisper import PACKAGED_MODELS, Segment, Transcript, WhisperTranscriber, Word

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
Progress = Callable[[float], None]
_EVENT = re.compile(r"^\s*[\(\[][^\)\]]{1,40}[\)\]][.,!?]?\s*$|^\s*[♪♫]+\s*$")


def is_audio_event(text: str) -> bool:
    """Whisper writes non-speech sounds as ``(laughs)``, ``[Music]`` or ``♪``."""
    return bool(_EVENT.match(text))


def user_models_dir(models_dir: Path) -> Path:
    return Path(models_dir) / "whisper"


def available_models(models_dir: Path) -> dict[str, Path | str]:
    """Model name -> packaged name or folder; user folders override nothing packaged."""
    found: dict[str, Path | str] = {name: name for name in PACKAGED_MODELS}
    root = user_models_dir(models_dir)
    if root.is_dir():
        for sub in sorted(root.iterdir()):
            if sub.is_dir() and (sub / "model.bin").is_file() and sub.name not in found:
                found[sub.name] = sub
    return found


@dataclass(frozen=True)
class SttInfo:
    name: str
    multilingual: bool | None
    """None until loaded for user models (read from the model)."""
    packaged: bool


@dataclass
class DecodeOptions:
    """Per-request decoding options (documented fields instead of loose keyword arguments)."""

    language: str | None = None
    """Whisper language code; None detects it."""
    word_timestamps: bool = True
    vad_filter: bool = True
    """Skip non-speech with Silero VAD (fewer hallucinations on silence and music, faster)."""
    beam_size: int = 5
    temperature: float | None = None
    """None: Whisper's fallback schedule (0.0 .. 1.0 when decoding fails its checks)."""
    initial_prompt: str | None = None
    allow_events: bool = False
    """Let Whisper write bracketed sound tags (it normally suppresses those tokens)."""
    task: str = "transcribe"


@dataclass
class SttResult:
    transcript: Transcript


class WhisperSttEngine:
    def __init__(self, models_dir: Path, model: str | Path = "base", threads: int = 0, workers: int = 1) -> None:
        self.model_spec = model
        name = model if isinstance(model, str) else Path(model).name
        self.info = SttInfo(name=str(name), multilingual=None if name not in PACKAGED_MODELS else name == "base",
                            packaged=name in PACKAGED_MODELS)
        self._transcriber = WhisperTranscriber(models_dir, model=model, threads=threads, workers=workers)
        self._lock = threading.Lock()

    def load(self) -> None:
        self._transcriber.load()

    def unload(self) -> None:
        self._transcriber.unload()

    @property
    def transcriber(self) -> WhisperTranscriber:
        """The model itself, for other services that need words with times (the voice changer)."""
        return self._transcriber

    @property
    def multilingual(self) -> bool:
        return self._transcriber.multilingual

    @property
    def languages(self) -> list[str]:
        return self._transcriber.languages

    def transcribe(self, audio: np.ndarray, options: DecodeOptions, progress: Progress | None = None) -> SttResult:
        """Transcribe 16 kHz mono float32 ``audio``; ``progress(fraction)`` is called as segments finish."""
        model = self._transcriber.load()
        kwargs = {}
        if options.temperature is not None:
            kwargs["temperature"] = options.temperature
        seg_iter, info = model.transcribe(
            audio, language=options.language, task=options.task, beam_size=options.beam_size,
            word_timestamps=options.word_timestamps, vad_filter=options.vad_filter,
            initial_prompt=options.initial_prompt, suppress_tokens=[] if options.allow_events else [-1],
            **kwargs)
        duration = max(float(info.duration), 1e-6)
        segments: list[Segment] = []
        for s in seg_iter:  # decoding happens while iterating
            words = [Word(text=w.word, start=float(w.start), end=float(w.end), probability=float(w.probability))
                     for w in (s.words or [])]
            segments.append(Segment(text=s.text, start=float(s.start), end=float(s.end),
                                    avg_logprob=float(s.avg_logprob), no_speech_prob=float(s.no_speech_prob),
                                    words=words))
            if progress:
                progress(min(1.0, float(s.end) / duration))
        transcript = Transcript(
            text="".join(s.text for s in segments).strip(), language=info.language,
            language_probability=float(info.language_probability),
            words=[w for s in segments for w in s.words], duration=float(info.duration), segments=segments)
        return SttResult(transcript)


__all__ = ["DecodeOptions", "SttInfo", "SttResult", "WhisperSttEngine", "available_models", "is_audio_event",
           "user_models_dir"]
