"""Language-neutral pieces of normalisation: number parsing, Roman numerals, num2words access."""

from __future__ import annotations

import functools
import re

ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_ROMAN_OK = re.compile(r"^M{0,4}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
# Roman-looking words that are far more often something else
ROMAN_EXCEPTIONS = frozenset({"CD", "DC", "MD", "CV", "MC", "DM", "CC", "CL", "LCD", "MIX", "DI", "MI", "LI", "ML",
                              "CM", "DL", "MM", "XL", "XXL", "XXX", "VIC", "DIV", "MCM"})

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
VULGAR = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5),
          "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8),
          "⅞": (7, 8), "⅐": (1, 7), "⅑": (1, 9), "⅒": (1, 10)}
VULGAR_CLASS = "[" + "".join(VULGAR) + "]"


def roman_value(s: str) -> int | None:
    """Value of a well-formed upper-case Roman numeral, else None."""
    if not s or not _ROMAN_OK.match(s):
        return None
    total, prev = 0, 0
    for ch in reversed(s):
        v = ROMAN_VALUES[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total or None


@functools.lru_cache(maxsize=8192)
def n2w(value: int | float | str, lang: str, to: str = "cardinal") -> str:
    """num2words, cached; commas (thousands pauses in some languages) removed."""
    from num2words import num2words

    out = num2words(value, lang=lang, to=to)
    return " ".join(out.replace(",", " ").split())


def split_number(s: str, decimal: str, group: str) -> tuple[str, str | None]:
    """``"1,234.50"`` -> ``("1234", "50")`` for the given separators (group may be several chars).

    A separator that is the group separator but is followed by other than exactly three
    digits (``"1.5"`` in Spanish) is read as a decimal separator.
    """
    s = s.replace("\u00a0", " ").replace("\u202f", " ")
    # find the decimal point: the decimal separator, else a lone group separator not followed by 3 digits
    if decimal in s:
        head, _, frac = s.rpartition(decimal)
        intpart = re.sub("[" + re.escape(group) + "]", "", head)
        return intpart or "0", frac
    parts = re.split("[" + re.escape(group) + "]", s)
    if len(parts) == 2 and len(parts[1]) != 3:
        return parts[0] or "0", parts[1]
    return "".join(parts), None


def digits_of(s: str) -> list[int]:
    return [int(c) for c in s if c.isdigit()]


__all__ = ["ROMAN_EXCEPTIONS", "SUPERSCRIPTS", "VULGAR", "VULGAR_CLASS", "digits_of", "n2w", "roman_value",
           "split_number"]
