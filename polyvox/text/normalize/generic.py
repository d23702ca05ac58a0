"""Numbers only, for every other language ``num2words`` knows: integers, decimals, signs, percent."""

from __future__ import annotations

import re

from polyvox.text.normalize.common import n2w
from polyvox.text.normalize.rules import Match, Rewriter, Rule


class NumbersOnlyNormalizer:
    """Reads digits with ``num2words``; everything else is left to the engine."""

    def __init__(self, lang: str, n2w_lang: str) -> None:
        self.lang = lang
        self.n2w_lang = n2w_lang
        n2w(21, n2w_lang)  # raises when num2words has no such language
        self._rewriter = Rewriter([
            Rule("decimal", r"(?P<sign>(?<![\w.,])[-−])?(?P<i>\d+)[.,](?P<f>\d{1,2})(?![\d.,]\d)", self._decimal),
            Rule("integer", r"(?P<sign>(?<![\w.,])[-−])?(?P<i>\d{1,3}(?:[ .,\u00a0]\d{3})+|\d+)(?![\d])",
                 self._integer),
        ])

    def _words(self, value) -> str | None:
        try:
            return n2w(value, self.n2w_lang)
        except (NotImplementedError, OverflowError, ValueError, TypeError, KeyError, IndexError):
            return None

    def _integer(self, m: Match) -> str | None:
        digits = re.sub(r"\D", "", m.group("i"))
        if len(digits) > 15 or len(digits) > 1 and digits.startswith("0"):
            return None
        words = self._words((-1 if m.group("sign") else 1) * int(digits))
        return words

    def _decimal(self, m: Match) -> str | None:
        value = float(f"{m.group('i')}.{m.group('f')}")
        return self._words(-value if m.group("sign") else value)

    def normalize(self, text: str, protected=()):
        return self._rewriter.rewrite(text, protected)

    def __call__(self, text: str) -> str:
        return self.normalize(text).text


__all__ = ["NumbersOnlyNormalizer"]
