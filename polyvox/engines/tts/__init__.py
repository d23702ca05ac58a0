"""Text-to-speech engines: Kokoro (quality), Piper (latency), eSpeak NG (languages).

Each engine takes ``(models_dir, threads=0, ...)``, does nothing heavy until ``load()``,
and implements the protocol in ``base``. Heavy packages are imported inside ``load``.
"""

from __future__ import annotations

from pathlib import Path

from .base import EngineInfo, EngineVoice, Synthesis, SynthesisRequest, TTSEngine, VoiceSettings
from .espeak import EspeakEngine
from .kokoro import KokoroEngine
from .piper import PiperEngine


def builtin_engines(models_dir: Path, threads: int = 0) -> dict[str, TTSEngine]:
    """The three embedded engines, unloaded, keyed by ``EngineInfo.name``."""
    models_dir = Path(models_dir)
    return {
        "kokoro": KokoroEngine(models_dir, threads=threads),
        "piper": PiperEngine(models_dir, threads=threads),
        "espeak": EspeakEngine(models_dir, threads=threads),
    }


__all__ = [
    "EngineInfo",
    "EngineVoice",
    "EspeakEngine",
    "KokoroEngine",
    "PiperEngine",
    "Synthesis",
    "SynthesisRequest",
    "TTSEngine",
    "VoiceSettings",
    "builtin_engines",
]
