"""Sound-effect (text to audio) engines: the procedural sound designer and Stable Audio Open."""

from polyvox.engines.sfx.base import (
    MAX_SECONDS,
    MIN_SECONDS,
    SfxEngine,
    SfxEngineInfo,
    SoundEffect,
    SoundRequest,
)
from polyvox.engines.sfx.procedural import ProceduralSfx

__all__ = ["MAX_SECONDS", "MIN_SECONDS", "ProceduralSfx", "SfxEngine", "SfxEngineInfo", "SoundEffect", "SoundRequest"]
