"""The rewriting machinery under every language normaliser.

A normaliser is an ordered list of :class:`Rule` s (a regular expression and a handler
that returns the spoken form of a match). :class:`Rewriter` joins the patterns into one
alternation, so one left-to-right pass finds, at each position, the first rule (in list
order) that matches there; earlier rules win ties, the leftmost match wins overall. A
handler may decline (return ``None``); the remaining rules are then tried at the same
position. Replacements are recorded in a :class:`~polyvox.text.charmap.MapBuilder`, so
the spoken text maps back to the characters it came from, and ``protected`` stretches
(phoneme overrides, dictionary replacements) are never touched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from polyvox.text.charmap import MapBuilder, MappedText

logger = logging.getLogger(__name__)
_NAMED = re.compile(r"\(\?P<\w+>")


@dataclass
class Match:
    """What a handler sees: the regex match plus the whole text for context."""

    m: re.Match[str]
    text: str

    def group(self, *names: str | int) -> str | None:
        return self.m.group(*names)

    def get(self, name: str) -> str | None:
        """The named group, or None when this rule's pattern has no such group."""
        return self.m.group(name) if name in self.m.re.groupindex else None

    @property
    def start(self) -> int:
        return self.m.start()

    @property
    def end(self) -> int:
        return self.m.end()

    def before(self, n: int = 40) -> str:
        return self.text[max(0, self.start - n): self.start]

    def after(self, n: int = 40) -> str:
        return self.text[self.end: self.end + n]

    def prev_word(self) -> str:
        """The word right before the match (letters, digits, apostrophes, dots), or ''."""
        w = re.search(r"([\w.'’]+)\W*$", self.before(60))
        return w.group(1) if w else ""

    def next_word(self) -> str:
        w = re.match(r"\W*?([\w'’]+)", self.after(60))
        return w.group(1) if w else ""


Handler = Callable[[Match], "str | None"]


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str
    handler: Handler
    flags: int = 0


class Rewriter:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._single = [re.compile(r.pattern, r.flags) for r in self.rules]
        parts = []
        for k, r in enumerate(self.rules):
            body = _NAMED.sub("(?:", r.pattern)
            if r.flags & re.IGNORECASE:
                body = f"(?i:{body})"
            parts.append(f"(?P<_r{k}>{body})")
        self._any = re.compile("|".join(parts))

    def _apply(self, text: str, pos: int, first: int) -> tuple[int, str, int] | None:
        """Try rules ``first..`` at ``pos``: (rule index, replacement, end) of the first that accepts."""
        for k in range(first, len(self.rules)):
            m = self._single[k].match(text, pos)
            if m is None or m.end() == m.start():
                continue
            try:
                out = self.rules[k].handler(Match(m, text))
            except (ValueError, KeyError, IndexError, OverflowError, NotImplementedError, TypeError):
                # a reading this rule cannot produce (odd input): leave it to the next rule
                logger.debug("rule %s declined %r", self.rules[k].name, m.group(0), exc_info=True)
                out = None
            if out is not None:
                return k, out, m.end()
        return None

    def rewrite(self, text: str, protected: Sequence[tuple[int, int]] = ()) -> MappedText:
        """Rewrite ``text``; characters inside ``protected`` spans are copied unchanged."""
        b = MapBuilder(text)
        pos = 0
        for lo, hi in _free_ranges(len(text), protected):
            b.copy(pos, lo)  # a protected stretch
            pos = lo
            while pos < hi:
                m = self._any.search(text, pos, hi)
                if m is None:
                    break
                k = next(int(name[2:]) for name, v in m.groupdict().items() if v is not None and name.startswith("_r"))
                found = self._apply(text, m.start(), k)
                if found is None:
                    b.copy(pos, m.start() + 1)
                    pos = m.start() + 1
                    continue
                _, out, end = found
                end = min(end, hi)
                b.copy(pos, m.start())
                _emit_padded(b, text, out, m.start(), end)
                pos = end
            b.copy(pos, hi)
            pos = hi
        b.copy(pos, len(text))
        return b.build()


def _emit_padded(b: MapBuilder, text: str, out: str, start: int, end: int) -> None:
    """Emit ``out`` for ``text[start:end]``, with a space where it would glue onto a neighbour word."""
    if out and out[0].isalnum() and b.last_char.isalnum():
        b.emit(" ", start, start)
    b.emit(out, start, end)
    if out and out[-1].isalnum() and end < len(text) and text[end].isalnum():
        b.emit(" ", end, end)


def _free_ranges(n: int, protected: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for a, b in sorted(protected):
        if a > pos:
            out.append((pos, a))
        pos = max(pos, b)
    if pos < n:
        out.append((pos, n))
    return out


__all__ = ["Handler", "Match", "Rewriter", "Rule"]
