"""Kokoro voices that are not stock packs: a style table plus delivery and post-processing.

Cloned and designed voices are stored as one small ``.npz`` (about 520 kB): the [510, 256]
style table Kokoro reads (one row per input length, like a stock pack), a speed factor
multiplied into the request's ``speed``, and the :class:`~.voice_fx.VoiceFX` applied to the
rendered audio. The engine resolves voice specs ``custom:<key>`` through a loader the
service layer supplies (it reads the blob store), so every TTS route and the WebSocket
can use them like stock voices.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

from .voice_fx import VoiceFX

PREFIX = "custom:"
ROWS, DIM = 510, 256
FORMAT_VERSION = 1


@dataclass(frozen=True)
class KokoroVoiceAsset:
    style: np.ndarray
    """[510, 256] float32 style table."""
    speed: float = 1.0
    fx: VoiceFX = field(default_factory=VoiceFX)
    english: str = "en-us"
    """eSpeak dialect for English text (``en-us`` or ``en-gb``), the accent of the voice."""

    def __post_init__(self) -> None:
        if self.english not in ("en-us", "en-gb"):
            raise ValueError("english must be en-us or en-gb")
        style = np.asarray(self.style, dtype=np.float32).reshape(-1)
        if style.size != ROWS * DIM or not np.all(np.isfinite(style)):
            raise ValueError(f"a Kokoro style table is {ROWS}x{DIM} finite floats")
        object.__setattr__(self, "style", style.reshape(ROWS, DIM))

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, version=np.int32(FORMAT_VERSION), style=self.style, speed=np.float32(self.speed),
                 pitch_semitones=np.float32(self.fx.pitch_semitones), formant_ratio=np.float32(self.fx.formant_ratio),
                 english=np.array(self.english))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> KokoroVoiceAsset:
        with np.load(io.BytesIO(data)) as z:
            if int(z["version"]) != FORMAT_VERSION:
                raise ValueError(f"unsupported Kokoro voice asset version {int(z['version'])}")
            return cls(style=z["style"], speed=float(z["speed"]),
                       fx=VoiceFX(float(z["pitch_semitones"]), float(z["formant_ratio"])),
                       english=str(z["english"]))


def spec(key: str) -> str:
    """The engine voice spec of a stored custom voice."""
    return PREFIX + key


def key_of(voice: str) -> str | None:
    return voice[len(PREFIX):] if voice.startswith(PREFIX) else None


__all__ = ["PREFIX", "KokoroVoiceAsset", "key_of", "spec"]
