"""The voice-conversion (speech-to-speech) engine protocol.

A voice-conversion engine takes source speech and a target voice and returns speech
with the source's words and delivery in the target's voice, on the source's timeline
(same duration, pauses where they were). Two kinds of target exist, declared as data in
``VCEngineInfo.target``:

* ``"tts_voice"`` -- the target is a voice of one of the server's TTS engines (a Kokoro
  style or blend, a Piper voice): the embedded re-synthesis engine (``resynth.py``).
* ``"reference_audio"`` -- the target is given by recordings of the target speaker:
  any-to-any models such as kNN-VC (``knnvc.py``).

``convert`` does the validating, eager part of the work (reading the source, detecting its
language, starting recognition) and may raise ``ValueError`` (bad input) or
``UnsupportedLanguageError`` before the first sample; the returned
:class:`Conversion` then yields float32 mono chunks lazily, so a streaming route can
send the first phrase while later ones are still being made.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from polyvox.engines.tts.base import VoiceSettings


class UnsupportedLanguageError(ValueError):
    """The source is in a language the engine cannot speak; ``language`` is its ISO code."""

    def __init__(self, message: str, language: str) -> None:
        super().__init__(message)
        self.language = language


@dataclass(frozen=True)
class VCEngineInfo:
    name: str
    input_rate: int
    """Rate the engine wants its source at (the service resamples)."""
    target: Literal["tts_voice", "reference_audio"]
    languages: frozenset[str] | None = None
    """ISO 639-1 codes it can convert; ``None``: any language (the model is language-blind)."""
    streams: bool = False
    """``Conversion`` yields several chunks as work progresses (not one at the end)."""
    deterministic: bool = True


@dataclass(frozen=True)
class ConversionRequest:
    source: np.ndarray
    """float32 mono at ``VCEngineInfo.input_rate``."""
    target_voice: str | None = None
    """For ``tts_voice`` engines: the TTS engine's voice spec."""
    tts_engine: str | None = None
    """For ``tts_voice`` engines: the name of the TTS engine that renders ``target_voice``."""
    references: list[np.ndarray] = field(default_factory=list)
    """For ``reference_audio`` engines: recordings of the target, at ``input_rate``."""
    language: str | None = None
    """Source language if known (else detected where the engine needs it)."""
    english_only: bool = False
    """The request's model is English-only (``eleven_english_sts_v2``)."""
    settings: VoiceSettings = field(default_factory=VoiceSettings)
    seed: int | None = None


class Conversion:
    """A conversion under way: iterate for PCM chunks; ``text``/``language`` describe the source.

    The chunks, concatenated, are exactly ``num_samples`` long at ``sample_rate``.
    """

    def __init__(self, chunks: Iterator[np.ndarray], sample_rate: int, num_samples: int,
                 language: str | None = None) -> None:
        self._chunks = chunks
        self.sample_rate = sample_rate
        self.num_samples = num_samples
        self.language = language
        self.words: list[str] = []
        """Recognised words so far (engines that recognise speech fill this as they go)."""

    @property
    def text(self) -> str:
        return " ".join(w.strip() for w in self.words if w.strip())

    def __iter__(self) -> Iterator[np.ndarray]:
        return self._chunks


@runtime_checkable
class VCEngine(Protocol):
    info: VCEngineInfo

    def load(self) -> None:
        """Open model files; idempotent; called by the engine manager."""

    def convert(self, request: ConversionRequest) -> Conversion:
        """Validate and start a conversion (see module docstring)."""


__all__ = ["Conversion", "ConversionRequest", "UnsupportedLanguageError", "VCEngine", "VCEngineInfo"]
