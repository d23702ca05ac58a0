"""The text-to-speech engine protocol.

An engine turns one *segment* of text (a sentence or clause, already normalised by the
text front-end) plus an engine voice and settings into PCM with a start and end time for
every character of that segment. The service layer splits long text into segments,
streams them through one encoder, and joins their alignments; engines stay simple.

Engines are synchronous and thread-safe for concurrent ``synthesize`` calls (the service
runs them in a worker pool, off the event loop). ``load`` does the heavy work once; it is
called by the engine manager, never at import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class VoiceSettings:
    """ElevenLabs voice settings; each engine documents what it does with each field."""

    stability: float = 0.5
    similarity_boost: float = 0.75
    style: float = 0.0
    use_speaker_boost: bool = True
    speed: float = 1.0


@dataclass(frozen=True)
class EngineInfo:
    """What an engine can do, as data (``/v1/models`` and request validation read it)."""

    name: str
    languages: frozenset[str]
    """ISO 639-1 codes the engine speaks acceptably."""
    sample_rate: int
    accepts_phonemes: bool = False
    """``SynthesisRequest.phonemes`` (IPA) is honoured."""
    inline_phonemes: bool = False
    """``SynthesisRequest.phoneme_spans`` (IPA for stretches of the text) is honoured."""
    can_clone: bool = False
    settings: frozenset[str] = frozenset()
    """Voice-setting fields that change this engine's audio (others are accepted and ignored)."""
    deterministic: bool = True
    """Same request and seed -> identical samples."""


@dataclass(frozen=True)
class EngineVoice:
    """A voice the engine ships or was given: ``voice`` is what requests pass back."""

    voice: str
    name: str
    language: str
    """Primary language, ISO 639-1 (``en``)."""
    accent: str | None = None
    """``american``, ``british``, ... where known."""
    gender: str | None = None
    """``female`` / ``male`` where known."""


@dataclass(frozen=True)
class SynthesisRequest:
    text: str
    """One segment, as it is to be spoken (normalised text)."""
    voice: str
    """An ``EngineVoice.voice`` of this engine (Kokoro also accepts blends, see its module)."""
    language: str
    """ISO 639-1 code the text is in."""
    settings: VoiceSettings = field(default_factory=VoiceSettings)
    seed: int | None = None
    phonemes: str | None = None
    """IPA for the whole segment; overrides the engine's own G2P where ``accepts_phonemes``."""
    phoneme_spans: tuple[tuple[int, int, str], ...] = ()
    """``(start, end, ipa)`` over ``text``: those characters are spoken as the (standard) IPA
    given, where ``inline_phonemes`` (SSML ``<phoneme>``, pronunciation-dictionary rules);
    the rest of the text goes through the engine's own G2P. Times stay per ``text`` character."""
    latency: int = 0
    """``optimize_streaming_latency`` 0-4: how much quality a streaming engine may trade for an
    earlier first piece (Kokoro: a shorter first decoding window)."""


@dataclass
class Synthesis:
    audio: np.ndarray
    """float32 mono samples in [-1, 1] at ``sample_rate``."""
    sample_rate: int
    char_starts: np.ndarray
    """Seconds from the start of ``audio``, one per character of ``SynthesisRequest.text``."""
    char_ends: np.ndarray
    """Seconds, one per character; ``char_ends[i] >= char_starts[i]``, non-decreasing."""

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass
class SynthesisStream:
    """One segment as audio pieces to play as they come, with its character times known up front.

    The pieces are decoded lazily, one window per ``next()``; together they are exactly
    ``samples`` long, and ``char_starts``/``char_ends`` (seconds from the first sample) are
    final before the first piece exists.
    """

    sample_rate: int
    char_starts: np.ndarray
    char_ends: np.ndarray
    samples: int
    pieces: Iterable[np.ndarray]

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.pieces)

    @property
    def duration(self) -> float:
        return self.samples / self.sample_rate

    def collect(self) -> Synthesis:
        """Decode everything: the same audio and times as one ``synthesize`` call."""
        audio = np.concatenate([np.zeros(0, np.float32), *self.pieces]).astype(np.float32, copy=False)
        return Synthesis(audio=audio, sample_rate=self.sample_rate, char_starts=self.char_starts,
                         char_ends=self.char_ends)

    @classmethod
    def whole(cls, synthesis: Synthesis) -> SynthesisStream:
        return cls(synthesis.sample_rate, synthesis.char_starts, synthesis.char_ends, len(synthesis.audio),
                   [synthesis.audio])


@runtime_checkable
class TTSEngine(Protocol):
    info: EngineInfo

    def load(self) -> None:
        """Assemble and open model files; idempotent."""

    def voices(self) -> list[EngineVoice]:
        """The voices this engine ships (after ``load``)."""

    def synthesize(self, request: SynthesisRequest) -> Synthesis:
        """Render one segment. Raises ``ValueError`` for a voice or language it cannot serve."""


__all__ = ["EngineInfo", "EngineVoice", "Synthesis", "SynthesisRequest", "SynthesisStream", "TTSEngine",
           "VoiceSettings"]
