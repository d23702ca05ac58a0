"""The shared normaliser: one rule set, filled in by each language's words and conventions.

Rules, in priority order (the first that matches at a position wins, the leftmost match
wins overall): URLs, e-mail addresses, phone numbers, dates, times, money, percentages,
measures with units, decades, ordinals, fractions, ranges, Roman numerals, plain numbers,
abbreviations, acronyms, symbols. Each language module subclasses :class:`Normalizer`
with its words (numbers through ``num2words``, months, currencies, units,
abbreviations) and overrides the few readings that differ (dates, times, ordinals,
gender). Everything returns plain spoken words; punctuation that carries prosody
(sentence ends, commas) is kept.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import ClassVar

from polyvox.text.charmap import MappedText
from polyvox.text.normalize.common import (
    ROMAN_EXCEPTIONS,
    VULGAR,
    VULGAR_CLASS,
    n2w,
    roman_value,
    split_number,
)
from polyvox.text.normalize.rules import Match, Rewriter, Rule
from polyvox.text.normalize.tokens import TokenReadings

_TLDS = ("com|org|net|edu|gov|io|ai|co|dev|app|info|biz|uk|de|fr|es|it|pt|br|eu|us|ca|au|ch|nl|tv|me|ly|"
         "gg|mx|ar|be|at|se|no|dk|fi|pl|ru|jp|cn|in|shop|blog")
_AMBIGUOUS_SCALES = frozenset({"B", "b", "m", "K", "T", "t", "mm", "MM"})
"""Suffixes that mean a scale after a currency ("$2B") but something else after a bare number ("5B")."""


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


class Normalizer(TokenReadings, ABC):
    """English-shaped defaults; language modules override the class data and a few readings."""

    lang: ClassVar[str] = "xx"
    n2w_lang: ClassVar[str] = "en"
    decimal_sep: ClassVar[str] = "."
    group_seps: ClassVar[str] = ","
    date_order: ClassVar[str] = "DMY"
    decimal_digits: ClassVar[bool] = True
    """Read decimals digit by digit ("three point one four"); else short decimals as a number."""

    words: ClassVar[dict[str, str]] = {}
    months: ClassVar[tuple[str, ...]] = ()
    month_aliases: ClassVar[dict[str, int]] = {}
    currencies: ClassVar[dict[str, tuple[str, str, str, str, str]]] = {}
    """code -> (singular, plural, minor singular, minor plural, gender of the major unit 'm'/'f')."""
    currency_symbols: ClassVar[dict[str, str]] = {
        "US$": "USD", "A$": "AUD", "C$": "CAD", "NZ$": "NZD", "HK$": "HKD", "R$": "BRL", "$": "USD", "€": "EUR",
        "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₿": "BTC", "CHF": "CHF"}
    scales: ClassVar[dict[str, int]] = {}
    """Scale words and suffixes after an amount ("million", "M", "bn") -> power of ten."""
    units: ClassVar[dict[str, tuple[str, str, str]]] = {}
    """symbol -> (singular, plural, gender)."""
    abbreviations: ClassVar[dict[str, str]] = {}
    word_acronyms: ClassVar[frozenset[str]] = frozenset()
    acronym_words: ClassVar[dict[str, str]] = {}
    """Acronyms with a spoken form of their own ("OK" -> "okay")."""
    roman_keywords: ClassVar[frozenset[str]] = frozenset()
    regnal_names: ClassVar[frozenset[str]] = frozenset()
    phone_patterns: ClassVar[tuple[str, ...]] = (
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?!\d)",
    )
    extra_rules: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._rewriter = Rewriter(self.rules())

    # ------------------------------------------------------------------ entry point
    def normalize(self, text: str, protected=()) -> MappedText:
        return self._rewriter.rewrite(text, protected)

    def __call__(self, text: str) -> str:
        return self.normalize(text).text

    # ------------------------------------------------------------------ numbers
    def w(self, key: str) -> str:
        return self.words[key]

    def cardinal(self, n: int, gender: str = "m") -> str:
        if n < 0:
            return f"{self.w('minus')} {self.cardinal(-n, gender)}"
        return n2w(n, self.n2w_lang)

    def cardinal_before_noun(self, n: int, gender: str = "m") -> str:
        """A count in front of a noun ("un euro", "ein Euro"); languages with apocope override."""
        return self.cardinal(n, gender)

    def ordinal(self, n: int, gender: str = "m") -> str:
        return n2w(n, self.n2w_lang, "ordinal")

    def year(self, n: int) -> str:
        return self.cardinal(n)

    def digits(self, s: str) -> str:
        return " ".join(self.cardinal(int(c)) for c in s if c.isdigit())

    def integer_words(self, digits: str, gender: str = "m", noun: bool = False) -> str:
        """An integer written in digits: leading zeros and very long runs are read digit by digit."""
        if len(digits) > 1 and digits.startswith("0") or len(digits) > 15:
            return self.digits(digits)
        n = int(digits)
        return self.cardinal_before_noun(n, gender) if noun else self.cardinal(n, gender)

    def decimal_words(self, intpart: str, frac: str, gender: str = "m") -> str:
        head = self.integer_words(intpart or "0", gender)
        if not self.decimal_digits and len(frac) <= 2 and not frac.startswith("0"):
            tail = self.cardinal(int(frac))
        else:
            tail = self.digits(frac)
        return f"{head} {self.w('point')} {tail}"

    def split(self, num: str) -> tuple[str, str | None]:
        return split_number(num, self.decimal_sep, self.group_seps)

    def number(self, num: str, gender: str = "m", noun: bool = False) -> str:
        intpart, frac = self.split(num)
        if frac:
            return self.decimal_words(intpart, frac, gender)
        return self.integer_words(intpart, gender, noun)

    def is_one(self, num: str) -> bool:
        intpart, frac = self.split(num)
        return intpart.lstrip("0") == "1" and not (frac or "").strip("0")

    @property
    def num_re(self) -> str:
        g = re.escape(self.group_seps)
        d = re.escape(self.decimal_sep)
        return rf"(?:\d{{1,3}}(?:[{g}]\d{{3}})+(?:{d}\d+)?|\d+(?:[{d}{g}]\d+)?)"

    # ------------------------------------------------------------------ readings (overridable)
    def plural_noun(self, num: str, singular: str, plural: str) -> str:
        return singular if self.is_one(num) else plural

    def money(self, num: str, code: str, scale: str | None, neg: bool) -> str:
        sing, plur, minor1, minor2, gender = self.currencies.get(code, (code, code, "", "", "m"))
        sign = f"{self.w('minus')} " if neg else ""
        if scale:
            return f"{sign}{self.number(num)} {self.scale_word(scale, num)} {self.w('of_currency')}{plur}".replace(
                "  ", " ")
        intpart, frac = self.split(num)
        if frac is not None and len(frac) <= 2 and minor1:
            cents = int(frac.ljust(2, "0"))
            whole = int(intpart or "0")
            if whole == 0 and cents:
                return f"{sign}{self.cardinal_before_noun(cents)} {minor1 if cents == 1 else minor2}"
            head = f"{self.cardinal_before_noun(whole, gender)} {sing if whole == 1 else plur}"
            if cents == 0:
                return sign + head
            return f"{sign}{head} {self.w('and')} {self.cardinal_before_noun(cents)} {minor1 if cents == 1 else minor2}"
        words = self.number(num, gender, noun=True)
        return f"{sign}{words} {self.plural_noun(num, sing, plur)}"

    def scale_word(self, scale: str, num: str) -> str:
        power = self.scales[scale]
        names = self.scale_names[power]
        return names[0] if self.is_one(num) else names[1]

    scale_names: ClassVar[dict[int, tuple[str, str]]] = {}

    def percent(self, num: str, num2: str | None, sign: str | None) -> str:
        head = f"{self.w('minus')} " if sign in ("-", "−") else (f"{self.w('plus')} " if sign == "+" else "")
        if num2:
            return f"{head}{self.number(num)} {self.w('to')} {self.number(num2)} {self.w('percent')}"
        return f"{head}{self.number(num)} {self.w('percent')}"

    def measure(self, num: str, num2: str | None, unit: str, neg: bool) -> str:
        sing, plur, gender = self.units[unit]
        sign = f"{self.w('minus')} " if neg else ""
        if num2:
            return f"{sign}{self.number(num, gender)} {self.w('to')} {self.number(num2, gender, noun=True)} {plur}"
        return f"{sign}{self.number(num, gender, noun=True)} {self.plural_noun(num, sing, plur)}"

    @abstractmethod
    def time(self, h: int, m: int, s: int | None, ampm: str | None) -> str:
        """How a clock time is read in this language (every language module defines it)."""

    @abstractmethod
    def date(self, y: int | None, mo: int, d: int, m: Match) -> str:
        """How a date is read in this language (every language module defines it)."""

    def fraction(self, a: int, b: int) -> str:
        return f"{self.cardinal(a)} {self.w('over')} {self.cardinal(b)}"

    def mixed_fraction(self, whole: int, a: int, b: int) -> str:
        return f"{self.cardinal(whole)} {self.w('and')} {self.fraction(a, b)}"

    def ordinal_match(self, m: Match) -> str | None:
        return None

    def decade(self, m: Match) -> str | None:
        return None

    # ------------------------------------------------------------------ rules
    def rules(self) -> list[Rule]:
        num = self.num_re
        mon = _alt(list(self.month_aliases))
        cur_sym = _alt(self.currency_symbols)
        codes = _alt(self.currencies)
        scales = _alt(self.scales)
        bare_scales = _alt([k for k in self.scales if k not in _AMBIGUOUS_SCALES])
        units = _alt(self.units)
        abbr = _alt(self.abbreviations)
        rules = [
            Rule("email", r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", self._email),
            Rule("url", r"\b(?:https?://|ftp://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]]"
                        rf"|\b[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.(?:{_TLDS})\b"
                        r"(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?", self._url),
            *[Rule(f"phone{i}", p, self._phone) for i, p in enumerate(self.phone_patterns)],
            Rule("date_iso", r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b", self._date_iso),
            Rule("date_num", r"\b(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P<sep2>[/.])(?P<y>\d{4}|\d{2})\b",
                 self._date_num),
            *[Rule(f"date_words{i}", p.replace("{MON}", mon), self._date_words, re.IGNORECASE)
              for i, p in enumerate(self.date_word_patterns()) if mon],
            *[Rule(f"time{i}", p, self._time) for i, p in enumerate(self.time_patterns())],
            Rule("money_pre", rf"(?P<neg>[-−])?(?P<cur>{cur_sym})\s?(?P<num>{num})"
                              rf"(?:(?P<scale>{scales})(?![\w])|\s(?P<scale2>{self.scale_words_re()})(?![\w]))?",
                 self._money),
            Rule("money_code", rf"\b(?P<code>{codes})\s?(?P<num>{num})"
                               rf"(?:\s(?P<scale2>{self.scale_words_re()})(?![\w]))?(?![\w])", self._money),
            Rule("money_post", rf"(?P<neg>(?<![\w.,])[-−])?(?P<num>{num})"
                               rf"(?:\s?(?P<scale>{scales})|\s(?P<scale2>{self.scale_words_re()}))?"
                               rf"\s?(?:(?P<cur>[€$£¥₹₩₽])|(?P<code>{codes})\b)", self._money),
            Rule("cents", r"(?P<num>\d+)\s?¢", lambda m: self.money("0." + m.group("num").zfill(2), "USD", None,
                                                                      False) if len(m.group("num")) <= 2 else None),
            Rule("percent", rf"(?P<sign>(?<![\w.,])[-−+])?(?P<num>{num})(?:\s?(?:-|–|{self.w('to')})\s?"
                            rf"(?P<num2>{num}))?\s?(?:%|{self.w('percent_re')}\b)", self._percent),
            Rule("measure", rf"(?P<neg>(?<![\w.,])[-−])?(?P<num>{num})(?:\s?[-–]\s?(?P<num2>{num}))?\s?"
                            rf"(?P<unit>{units})(?![\w²³/])", self._measure),
            Rule("dimensions", r"\b(?P<a>\d+)\s?[x×]\s?(?P<b>\d+)(?:\s?[x×]\s?(?P<c>\d+))?\b", self._dimensions),
            *[Rule(f"special{i}", p, h) for i, (p, h) in enumerate(self.special_rules())],
            Rule("decade", r"\b(?:(?P<c>1\d|20)(?P<d>\d)0|(?P<d3>[1-9])0)'?s\b|'(?P<d2>\d)0'?s\b", self.decade),
            *[Rule(f"ordinal{i}", p, self.ordinal_match) for i, p in enumerate(self.ordinal_patterns())],
            Rule("half_noun", r"(?<![\d/])(?:(?P<w>\d+)\s+)?1/2\s+(?P<noun>[^\W\d_]+)", self._half_noun),
            Rule("fraction_mixed", r"\b(?P<w>\d+)\s+(?P<a>\d{1,2})/(?P<b>\d{1,3})\b", self._mixed),
            Rule("fraction_vulgar", rf"(?P<w>\d+)?\s?(?P<v>{VULGAR_CLASS})", self._vulgar),
            Rule("fraction", r"(?<![\d/.,])(?P<a>\d{1,3})/(?P<b>\d{1,3})(?![\d/])", self._fraction),
            Rule("range", rf"(?<![\w.,/-])(?P<a>{num})\s?[–-]\s?(?P<b>{num})(?![\w.,]*\d)", self._range),
            Rule("roman", r"\b(?P<r>[IVXLCDM]{2,8}|[VX])\b", self._roman),
            Rule("number", rf"(?P<sign>(?<![\w.,])[-−+])?(?P<num>{num}|[{re.escape(self.decimal_sep)}]\d+)"
                           rf"(?:(?P<scale>{bare_scales})(?![\w]))?", self._number),
            Rule("abbrev", rf"(?<![\w.])(?:{abbr})(?![\w])", self._abbrev),
            Rule("acronym", r"(?<![\w.])(?:[A-Za-z]\.){2,}(?![\w])|\b[A-Z][A-Za-z0-9&]*[A-Z0-9](?:'?s)?\b",
                 self._acronym),
            Rule("hashtag", r"(?<![\w])#(?P<tag>[A-Za-z]\w*)", lambda m: f"{self.w('hashtag')} {m.group('tag')}"),
            Rule("mention", r"(?<![\w])@(?P<user>[A-Za-z]\w*)", lambda m: f"{self.w('at')} {m.group('user')}"),
            Rule("symbol", r"[&@#+=×÷±°~§©®™→←<>|*_^\\/%$€£¥]", self._symbol),
        ]
        return [r for r in rules if r.pattern]

    # language hooks for patterns
    def scale_words_re(self) -> str:
        return _alt([k for k in self.scales if len(k) > 3]) or "(?!)"

    def date_word_patterns(self) -> list[str]:
        return []

    def time_patterns(self) -> list[str]:
        return [r"\b(?P<h>[01]?\d|2[0-4]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?\b"]

    def ordinal_patterns(self) -> list[str]:
        return []

    def special_rules(self) -> list[tuple[str, object]]:
        return []

    # ------------------------------------------------------------------ handlers
    def _date_iso(self, m: Match) -> str | None:
        y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return None
        return self.date(y, mo, d, m)

    def _date_num(self, m: Match) -> str | None:
        if m.group("sep") != m.group("sep2"):
            return None
        a, b = int(m.group("a")), int(m.group("b"))
        ys = m.group("y")
        y = int(ys) if len(ys) == 4 else 2000 + int(ys) if int(ys) < 50 else 1900 + int(ys)
        order = self.date_order if m.group("sep") == "/" else "DMY"
        d, mo = (b, a) if order == "MDY" else (a, b)
        if mo > 12 and d <= 12:
            d, mo = mo, d
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return None
        return self.date(y, mo, d, m)

    def _date_words(self, m: Match) -> str | None:
        mon_word = m.group("mon")
        mo = self.month_aliases.get(mon_word.lower().rstrip("."))
        if mo is None:
            return None
        d = m.get("d")
        y = m.get("y")
        day = int(re.sub(r"\D", "", d)) if d else 0
        if d and not 1 <= day <= 31:
            return None
        return self.date(int(y) if y else None, mo, day, m)

    def _time(self, m: Match) -> str | None:
        h = int(m.group("h"))
        mm = m.get("m")
        s = m.get("s")
        ap = m.get("ap")
        if h > 24 or (ap and h > 12):
            return None
        out = self.time(h, int(mm) if mm else 0, int(s) if s else None,
                        ap.replace(".", "").replace(" ", "").lower() if ap else None)
        return out + self._kept_period(m)


    def _money(self, m: Match) -> str | None:
        cur = m.get("cur")
        code = m.get("code") or (self.currency_symbols.get(cur) if cur else None)
        if not code:
            return None
        scale = m.get("scale") or m.get("scale2")
        neg = bool(m.get("neg"))
        return self.money(m.group("num"), code, scale, neg)

    def _percent(self, m: Match) -> str:
        return self.percent(m.group("num"), m.group("num2"), m.group("sign"))

    def _measure(self, m: Match) -> str | None:
        return self.measure(m.group("num"), m.group("num2"), m.group("unit"), bool(m.group("neg")))

    def _dimensions(self, m: Match) -> str:
        parts = [m.group("a"), m.group("b"), m.group("c")]
        return f" {self.w('by')} ".join(self.integer_words(p) for p in parts if p)

    def _half_noun(self, m: Match) -> str | None:
        w = m.group("w")
        return self.half_with_noun(int(w) if w else None, m.group("noun"))

    def half_with_noun(self, whole: int | None, noun: str) -> str | None:
        """"1/2 cup", "2 1/2 hours" where the language reorders them ("dos horas y media"); None: as usual."""
        return None

    def _mixed(self, m: Match) -> str | None:
        a, b = int(m.group("a")), int(m.group("b"))
        if not 0 < a < b:
            return None
        return self.mixed_fraction(int(m.group("w")), a, b)

    def _vulgar(self, m: Match) -> str:
        a, b = VULGAR[m.group("v")]
        w = m.group("w")
        return self.mixed_fraction(int(w), a, b) if w else self.fraction(a, b)

    def _fraction(self, m: Match) -> str | None:
        a, b = int(m.group("a")), int(m.group("b"))
        if b == 0 or b == 1:
            return None
        if (a, b) == (24, 7):
            return f"{self.cardinal(24)} {self.cardinal(7)}"
        return self.fraction(a, b)

    def _range(self, m: Match) -> str:
        a, b = m.group("a"), m.group("b")
        return f"{self.range_number(a, m)} {self.w('to')} {self.range_number(b, m)}"

    def range_number(self, num: str, m: Match) -> str:
        return self.number(num)

    def _roman(self, m: Match) -> str | None:
        r = m.group("r")
        if r in ROMAN_EXCEPTIONS:
            return None
        value = roman_value(r)
        if value is None:
            return None
        prev = m.prev_word()
        between = m.text[max(0, m.start - len(prev) - 2): m.start]
        if prev and not re.search(r"[.!?;:,]\s*$", between):
            if prev in self.regnal_names:
                return self.regnal(value)
            if prev.lower().rstrip(".") in self.roman_keywords:
                return self.cardinal(value)
            if len(r) >= 2 and prev[:1].isupper() and prev.isalpha() and not prev.isupper():
                return self.cardinal(value)
        nxt = m.next_word()
        if nxt and nxt.lower() in self.roman_keywords and len(r) >= 2:
            return self.roman_before_keyword(value, nxt)
        return None

    def regnal(self, value: int) -> str:
        return self.ordinal(value)

    def roman_before_keyword(self, value: int, keyword: str) -> str:
        return self.ordinal(value)

    def _number(self, m: Match) -> str | None:
        num = m.group("num")
        sign = m.group("sign")
        scale = m.group("scale")
        if num.startswith(self.decimal_sep):
            words = f"{self.w('point')} {self.digits(num[1:])}" if self.decimal_digits else \
                self.decimal_words("0", num[1:])
        elif scale:
            words = f"{self.number(num)} {self.scale_word(scale, num)}"
        else:
            intpart, frac = self.split(num)
            nxt = re.match(r" (\w+)", m.after(30))
            gender = self.noun_gender(nxt.group(1)) if nxt and frac is None else None
            if frac is None and len(intpart) == 4 and not sign and self.looks_like_year(int(intpart), m):
                words = self.year(int(intpart))
            elif gender:
                words = self.integer_words(intpart, gender, noun=True)
            else:
                words = self.number(num)
        if sign in ("-", "−"):
            words = f"{self.w('minus')} {words}"
        elif sign == "+":
            words = f"{self.w('plus')} {words}"
        return words

    def looks_like_year(self, n: int, m: Match) -> bool:
        return False

    def noun_gender(self, word: str) -> str | None:
        """Grammatical gender of the noun after a number ('m'/'f'), where the count agrees with it."""
        return None

__all__ = ["Normalizer"]
