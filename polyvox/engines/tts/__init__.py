"""Text-to-speech engines: Kokoro (quality), Piper (latency), eSpeak NG (languages).

Each engine takes ``(models_dir, threads=0, ...)``, does nothing heavy until ``load()``,
and implements the protocol in ``base``. Heavy packages are imported inside ``load``.
The engine classes are imported lazily (PEP 562), so ``python -m
polyvox.engines.tts.kokoro_voices`` does not import the engines first.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from .base import EngineInfo, EngineVoice, Synthesis, SynthesisRequest, TTSEngine, VoiceSettings

if TYPE_CHECKING:  # pragma: no cover
    from .espeak import EspeakEngine
    from .kokoro import KokoroEngine
    from .piper import PiperEngine

_LAZY = {"EspeakEngine": ".espeak", "KokoroEngine": ".kokoro", "PiperEngine": ".piper"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


def builtin_engines(models_dir: Path, threads: int = 0) -> dict[str, TTSEngine]:
    """The three embedded engines, unloaded, keyed by ``EngineInfo.name``."""
    from .espeak import EspeakEngine
    from .kokoro import KokoroEngine
    from .piper import PiperEngine

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
