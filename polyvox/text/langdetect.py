"""Language of a text, for requests that send no ``language_code`` (lingua, packaged models).

lingua's high-accuracy models cost about 20 MB and 0.5-1 s to load per Latin-script
language (all 75 languages: 900 MB, 28 s), so the detector considers a fixed set of
``DETECT_LANGUAGES`` (the embedded engines' languages plus the most common others, so that
text a model cannot speak is recognised and refused with a clear error rather than read
with the wrong phonology). ``POLYVOX_DETECT_LANGUAGES`` (comma-separated ISO 639-1 codes)
changes the set. Models load in the background when the service starts (``warm``).

Short or ambiguous text is not guessed at: :func:`detect` returns None below
``MIN_LETTERS`` letters or below ``MIN_CONFIDENCE``, and callers fall back to the voice's
language.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

logger = logging.getLogger(__name__)

DETECT_LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl", "pl", "ru", "tr", "sv", "hi", "ja", "zh", "ar",
                    "ko")
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.5

_lock = threading.Lock()
_detector = None
_languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Detection:
    language: str
    """ISO 639-1 code."""
    confidence: float
    """lingua's relative confidence (0-1) among the candidate languages."""
    runner_up: float


def configured_languages() -> tuple[str, ...]:
    raw = os.environ.get("POLYVOX_DETECT_LANGUAGES", "")
    codes = tuple(c.strip().lower() for c in raw.split(",") if c.strip())
    return codes or DETECT_LANGUAGES


def _build():
    global _detector, _languages
    with _lock:
        if _detector is not None:
            return _detector
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        codes = []
        for c in configured_languages():
            iso = getattr(IsoCode639_1, c.upper(), None)
            if iso is None:
                logger.warning("lingua has no language %r; left out of detection", c)
                continue
            codes.append(iso)
        _detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()
        _languages = tuple(c.name.lower() for c in codes)
        logger.info("language detection ready for %s", ", ".join(_languages))
        return _detector


def warm() -> threading.Thread:
    """Load the models in a background thread (first requests then need not wait for them)."""
    t = threading.Thread(target=_safe_build, name="langdetect-warm", daemon=True)
    t.start()
    return t


def _safe_build() -> None:
    try:
        _build()
    except Exception:  # detection is an aid: a failure only means requests fall back to voice languages
        logger.exception("language detection could not be loaded")


def available() -> bool:
    try:
        import lingua  # noqa: F401
    except ImportError:
        return False
    return True


def detect(text: str) -> Detection | None:
    """The most likely language of ``text`` among the configured ones, or None when unsure."""
    letters = sum(1 for ch in text if ch.isalpha())
    if letters < MIN_LETTERS or not available():
        return None
    try:
        det = _build()
        values = det.compute_language_confidence_values(text)
    except Exception:
        logger.exception("language detection failed")
        return None
    if not values:
        return None
    top = values[0]
    second = values[1].value if len(values) > 1 else 0.0
    if top.value < MIN_CONFIDENCE:
        return None
    return Detection(top.language.iso_code_639_1.name.lower(), float(top.value), float(second))


__all__ = ["DETECT_LANGUAGES", "Detection", "configured_languages", "detect", "warm"]
