"""Text normalisation: written forms (numbers, dates, money, symbols ...) to spoken words.

``normalize(text, language)`` returns a :class:`~polyvox.text.charmap.MappedText`: the
spoken text plus a map back to the input characters. Coverage per language:

* **full** (``FULL_LANGUAGES``: en, es, fr, de, it, pt): cardinal/ordinal/decimal/negative
  numbers, fractions, years, dates, times, currencies (symbols and codes, scales such as
  "$1.5M"), percentages, units, phone numbers, abbreviations by context, acronyms (letters
  or a word), URLs and e-mail addresses, Roman numerals in context, symbols.
* **numbers** (every other language ``num2words`` knows, ``NUMBER_LANGUAGES``): integers,
  decimals, negative numbers and percentages only.
* anything else: returned unchanged (the engine's own text processing reads it).
"""

from __future__ import annotations

import functools
import logging

from polyvox.text.charmap import MappedText
from polyvox.text.normalize.base import Normalizer

logger = logging.getLogger(__name__)

FULL_LANGUAGES = ("en", "es", "fr", "de", "it", "pt")
# num2words language codes for the numbers-only normaliser (ISO 639-1 -> num2words)
NUMBER_LANGUAGES = {
    "am": "am", "ar": "ar", "az": "az", "be": "be", "bn": "bn", "ca": "ca", "cs": "cs", "cy": "cy", "da": "da",
    "eo": "eo", "fa": "fa", "fi": "fi", "he": "he", "hu": "hu", "id": "id", "is": "is", "ja": "ja", "kk": "kz",
    "kn": "kn", "ko": "ko", "lt": "lt", "lv": "lv", "nb": "no", "nl": "nl", "no": "no", "pl": "pl", "ro": "ro",
    "ru": "ru", "sk": "sk", "sl": "sl", "sr": "sr", "sv": "sv", "te": "te", "tg": "tg", "th": "th", "tr": "tr",
    "uk": "uk", "vi": "vi",
}


@functools.lru_cache(maxsize=None)
def get_normalizer(language: str) -> Normalizer | None:
    """The normaliser for an ISO 639-1 code, or None when there is none."""
    lang = language.lower().replace("_", "-").split("-")[0]
    if lang == "en":
        from polyvox.text.normalize.en import EnglishNormalizer
        return EnglishNormalizer()
    if lang == "es":
        from polyvox.text.normalize.es import SpanishNormalizer
        return SpanishNormalizer()
    if lang == "fr":
        from polyvox.text.normalize.fr import FrenchNormalizer
        return FrenchNormalizer()
    if lang == "de":
        from polyvox.text.normalize.de import GermanNormalizer
        return GermanNormalizer()
    if lang == "it":
        from polyvox.text.normalize.it import ItalianNormalizer
        return ItalianNormalizer()
    if lang == "pt":
        from polyvox.text.normalize.pt import PortugueseNormalizer
        return PortugueseNormalizer()
    if lang in NUMBER_LANGUAGES:
        from polyvox.text.normalize.generic import NumbersOnlyNormalizer
        try:
            return NumbersOnlyNormalizer(lang, NUMBER_LANGUAGES[lang])
        except Exception as e:  # num2words lacks this language after all
            logger.info("no number normaliser for %s: %s", lang, e)
            return None
    return None


def coverage(language: str) -> str:
    """``"full"``, ``"numbers"`` or ``"none"``."""
    n = get_normalizer(language)
    if n is None:
        return "none"
    return "full" if n.lang in FULL_LANGUAGES else "numbers"


def normalize(text: str, language: str, protected=()) -> MappedText:
    """Spoken form of ``text`` in ``language``; ``protected`` spans are left untouched."""
    n = get_normalizer(language)
    if n is None:
        return MappedText.identity(text)
    return n.normalize(text, protected)


__all__ = ["FULL_LANGUAGES", "NUMBER_LANGUAGES", "coverage", "get_normalizer", "normalize"]
