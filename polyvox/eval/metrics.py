"""Objective metrics: word/character error rate, SI-SDR, and TTS timing error vs Whisper.

Text normalisation for WER (``normalize_text_for_wer``), pragmatic and documented:

* Unicode NFKC, lowercase (``casefold``); curly quotes and dashes unified.
* ``%`` -> ``percent``, ``&`` -> ``and``; thousands separators (``1,000``) dropped;
  decimals read digit by digit (``3.14`` -> ``three point one four``).
* English only (``language`` "en" or None): integers become words with a small built-in
  speller (cardinal up to 10^12, ordinals ``1st``/``22nd``), so ``42`` and ``forty-two``
  compare equal. Other languages keep digits as they are.
* Hyphens and slashes split words; apostrophes are removed (``don't`` -> ``dont``); every
  other punctuation or symbol character becomes a space; whitespace collapses.

Four-digit numbers are ambiguous ("1455" is said "fourteen fifty-five"). ``wer`` therefore
scores both readings of such numbers (cardinal and year-style) and keeps the lower error;
``normalize_text_for_wer(s, years=True)`` gives the year-style form on its own.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip


def spell_number(n: int) -> str:
    """English cardinal words for ``0 <= n < 10**15`` (no "and", no hyphens)."""
    if n < 0:
        return "minus " + spell_number(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + spell_number(rest))
    for scale, word in _SCALES:
        if n >= scale:
            if n // scale >= 1000 and scale == 10**12:
                break
            high, rest = divmod(n, scale)
            return spell_number(high) + " " + word + ("" if rest == 0 else " " + spell_number(rest))
    return " ".join(_ONES[int(d)] for d in str(n))  # absurdly large: digit by digit


def spell_year(n: int) -> str:
    """Year-style reading of a four-digit number: 1455 -> fourteen fifty five, 1905 ->
    nineteen oh five, 1900 -> nineteen hundred, 2024 -> twenty twenty four; 2000-2009 (and
    the like) and numbers outside 1000-9999 stay cardinal."""
    if not 1000 <= n <= 9999:
        return spell_number(n)
    high, low = divmod(n, 100)
    if high % 10 == 0 and low < 10:  # 2000..2009, 1000..1009 are read as cardinals
        return spell_number(n)
    if low == 0:
        return spell_number(high) + " hundred"
    if low < 10:
        return spell_number(high) + " oh " + _ONES[low]
    return spell_number(high) + " " + spell_number(low)


def spell_ordinal(n: int) -> str:
    words = spell_number(n).split()
    last = words[-1]
    if last in _ORDINAL_WORDS:
        words[-1] = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_NUM_SEP = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DECIMAL = re.compile(r"(\d+)\.(\d+)")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_INTEGER = re.compile(r"\d+")


def _is_english(language: str | None) -> bool:
    return language is None or language.lower().split("-")[0].split("_")[0] == "en"


def _expand_numbers(s: str, years: bool) -> str:
    s = _NUM_SEP.sub("", s)
    s = _DECIMAL.sub(
        lambda m: f" {spell_number(int(m.group(1)))} point {' '.join(_ONES[int(d)] for d in m.group(2))} ", s
    )
    s = _ORDINAL.sub(lambda m: f" {spell_ordinal(int(m.group(1)))} ", s)

    def integer(m: re.Match[str]) -> str:
        digits = m.group(0)
        if len(digits) > 1 and digits.startswith("0"):  # "007", "0800": digit by digit
            return " " + " ".join(_ONES[int(d)] for d in digits) + " "
        n = int(digits)
        return " " + (spell_year(n) if years else spell_number(n)) + " "

    return _INTEGER.sub(integer, s)


def _tokens(s: str) -> str:
    out = []
    for ch in s:
        if ch == "'":
            continue
        cat = unicodedata.category(ch)
        # keep letters, digits and combining marks (Devanagari, Thai...); the rest separates words
        out.append(ch if cat[0] in "LNM" else " ")
    return " ".join("".join(out).split())


def normalize_text_for_wer(s: str, language: str | None = "en", *, years: bool = False) -> str:
    """Lowercase, unpunctuated, space-separated words (see the module docstring)."""
    s = unicodedata.normalize("NFKC", s).casefold().translate(_APOSTROPHES)
    s = s.replace("%", " percent ").replace("&", " and ")
    if _is_english(language):
        s = _expand_numbers(s, years)
    return _tokens(s)


def _has_year_like(s: str) -> bool:
    return any(1000 <= int(m) <= 9999 for m in re.findall(r"(?<![\d.,])\d{4}(?![\d.,]\d)", s))


def wer(ref: str, hyp: str, language: str | None = "en") -> float:
    """Word error rate of ``hyp`` against ``ref`` after ``normalize_text_for_wer``.

    An empty reference gives 0.0 for an empty hypothesis and 1.0 otherwise.
    """
    import jiwer

    readings = [False]
    if _is_english(language) and (_has_year_like(ref) or _has_year_like(hyp)):
        readings.append(True)
    best = math.inf
    for years in readings:
        r = normalize_text_for_wer(ref, language, years=years)
        h = normalize_text_for_wer(hyp, language, years=years)
        if not r:
            score = 0.0 if not h else 1.0
        elif not h:
            score = 1.0
        else:
            score = float(jiwer.wer(r, h))
        best = min(best, score)
    return best


def cer(ref: str, hyp: str, language: str | None = None) -> float:
    """Character error rate on normalised text with spaces removed (for zh/ja/th, which
    write no spaces between words)."""
    import jiwer

    r = normalize_text_for_wer(ref, language).replace(" ", "")
    h = normalize_text_for_wer(hyp, language).replace(" ", "")
    if not r:
        return 0.0 if not h else 1.0
    if not h:
        return 1.0
    return float(jiwer.cer(r, h))


def si_sdr(est: np.ndarray, ref: np.ndarray, eps: float = 1e-12) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al., 2019).

    Both signals are made zero-mean and trimmed to the shorter length; ``est`` identical
    to ``ref`` (up to scale) gives a very large value (~ +120 dB or more, limited by eps).
    """
    est = np.asarray(est, dtype=np.float64).reshape(-1)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    n = min(len(est), len(ref))
    if n == 0:
        raise ValueError("si_sdr needs non-empty signals")
    est = est[:n] - est[:n].mean()
    ref = ref[:n] - ref[:n].mean()
    alpha = np.dot(est, ref) / (np.dot(ref, ref) + eps)
    target = alpha * ref
    noise = est - target
    return float(10.0 * np.log10((np.dot(target, target) + eps) / (np.dot(noise, noise) + eps)))


_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def _word_spans(text: str) -> list[tuple[int, str]]:
    """(char offset, normalised token) for each word of ``text``; hyphens split words."""
    out = []
    for m in _WORD.finditer(text):
        tok = unicodedata.normalize("NFKC", m.group(0)).casefold().replace("'", "").replace("\u2019", "")
        if tok:
            out.append((m.start(), tok))
    return out


def _word_fields(w: Any) -> tuple[str, float]:
    if isinstance(w, dict):
        text = w.get("text", w.get("word", ""))
        return str(text), float(w["start"])
    text = getattr(w, "text", None)
    if text is None:
        text = getattr(w, "word", "")
    return str(text), float(w.start)


def alignment_error(
    char_starts: Sequence[float | None],
    text: str,
    whisper_words: Iterable[Any],
) -> float:
    """Mean absolute difference (seconds) between TTS word starts and Whisper word starts.

    ``char_starts[i]`` is the start time of ``text[i]`` (as engines report alignments).
    Words of ``text`` and of the Whisper words (objects with ``text``/``word`` and
    ``start``, or dicts) are normalised (casefold, no punctuation, hyphens split) and
    aligned in order with ``difflib.SequenceMatcher``; for every matched word that begins a
    Whisper word, the start of its first character is compared with Whisper's start.
    Returns ``nan`` when no word matches (or no timed character is found).
    """
    if len(char_starts) < len(text):
        raise ValueError(f"char_starts has {len(char_starts)} entries for {len(text)} characters")
    ours = _word_spans(text)
    theirs: list[tuple[str, float | None]] = []
    for w in whisper_words:
        wtext, start = _word_fields(w)
        for i, (_, tok) in enumerate(_word_spans(wtext)):
            theirs.append((tok, start if i == 0 else None))
    matcher = difflib.SequenceMatcher(None, [t for _, t in ours], [t for t, _ in theirs], autojunk=False)
    errors = []
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            offset, _ = ours[block.a + k]
            _, w_start = theirs[block.b + k]
            t = char_starts[offset]
            if w_start is None or t is None or not math.isfinite(float(t)):
                continue
            errors.append(abs(float(t) - w_start))
    return float(np.mean(errors)) if errors else math.nan


__all__ = [
    "alignment_error",
    "cer",
    "normalize_text_for_wer",
    "si_sdr",
    "spell_number",
    "spell_ordinal",
    "spell_year",
    "wer",
]
