"""Voice-conversion (speech to speech) engines: embedded re-synthesis and kNN-VC."""

from polyvox.engines.vc.base import (
    Conversion,
    ConversionRequest,
    UnsupportedLanguageError,
    VCEngine,
    VCEngineInfo,
)

__all__ = ["Conversion", "ConversionRequest", "UnsupportedLanguageError", "VCEngine", "VCEngineInfo"]
