"""The sound-effects (text to audio) engine protocol.

An engine turns a prompt into stereo audio of an exact duration, or of a duration it
chooses from the prompt when none is given. ``prompt_influence`` (0..1, ElevenLabs'
meaning) trades literalness for variety: at 1 the same prompt always gives the same
sound; lower values let the seed vary more of it. ``loop`` asks for audio whose end runs
into its start without a seam.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

MIN_SECONDS = 0.5
MAX_SECONDS = 22.0


@dataclass(frozen=True)
class SfxEngineInfo:
    name: str
    sample_rate: int
    channels: int = 2
    max_seconds: float = MAX_SECONDS
    loops: bool = True
    """``loop=True`` is honoured (seamless end-to-start)."""
    auto_duration: bool = True
    """A duration is chosen from the prompt when none is given."""
    deterministic: bool = True
    """Same prompt, settings and seed -> identical samples."""


@dataclass(frozen=True)
class SoundRequest:
    text: str
    duration: float | None = None
    """Seconds, exact; ``None``: the engine decides."""
    prompt_influence: float = 0.3
    loop: bool = False
    seed: int | None = None
    """``None``: a fresh random seed (a new take every time, unless prompt_influence is 1)."""


@dataclass
class SoundEffect:
    audio: np.ndarray
    """float32 (samples, channels) in [-1, 1]."""
    sample_rate: int
    description: dict = field(default_factory=dict)
    """What the engine made of the prompt (layers, tempo, key, ...), for logs and debugging."""

    @property
    def duration(self) -> float:
        return self.audio.shape[0] / self.sample_rate


@runtime_checkable
class SfxEngine(Protocol):
    info: SfxEngineInfo

    def load(self) -> None:
        """Open model files; idempotent."""

    def generate(self, request: SoundRequest) -> SoundEffect:
        """Render the prompt; ``ValueError`` for a request it cannot serve."""


__all__ = ["MAX_SECONDS", "MIN_SECONDS", "SfxEngine", "SfxEngineInfo", "SoundEffect", "SoundRequest"]
