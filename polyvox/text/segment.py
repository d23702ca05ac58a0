"""Split text into segments an engine renders one at a time.

Segments follow sentence and then clause boundaries, so prosody never resets inside a
clause. The first segment is kept short (a clause, or the first few words), because the
time to first audio is the time to synthesize it. Every segment keeps its offset into
the input, so alignments map back to the original characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"')\]]*\s+|\n\s*\n|(?<=[。！？])")
_CLAUSE_END = re.compile(r"(?<=[,;:、，；：—–])\s+")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr prof vs etc e.g i.e no fig mt ft approx dept est inc ltd co corp gen col lt sgt capt".split()
)


@dataclass(frozen=True)
class Segment:
    text: str
    start: int
    """Offset of ``text`` in the original string."""

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def _spans(text: str, pattern: re.Pattern[str], start: int = 0) -> list[tuple[int, int]]:
    out, pos = [], 0
    for m in pattern.finditer(text):
        if m.end() <= pos:
            continue
        before = text[pos : m.start()].rstrip()
        last_word = before.rsplit(None, 1)[-1].rstrip(".").lower() if before.split() else ""
        if pattern is _SENTENCE_END and last_word in _ABBREVIATIONS and before.endswith("."):
            continue
        if m.start() > pos:
            out.append((start + pos, start + m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((start + pos, start + len(text)))
    return out


def _trimmed(text: str, a: int, b: int) -> Segment | None:
    piece = text[a:b]
    lead = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    return Segment(piece, a + lead) if piece else None


def _split_long(text: str, seg: Segment, max_chars: int) -> list[Segment]:
    """Break a sentence longer than ``max_chars`` at clauses, then at spaces."""
    if len(seg.text) <= max_chars:
        return [seg]
    out: list[Segment] = []
    for a, b in _spans(seg.text, _CLAUSE_END, seg.start):
        s = _trimmed(text, a, b)
        if s is None:
            continue
        while len(s.text) > max_chars:
            cut = s.text.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            head = _trimmed(text, s.start, s.start + cut)
            if head:
                out.append(head)
            rest = _trimmed(text, s.start + cut, s.end)
            if rest is None:
                break
            s = rest
        else:
            out.append(s)
    return out


def _merge_short(segs: list[Segment], text: str, min_chars: int, max_chars: int) -> list[Segment]:
    """Join tiny neighbours ("Hi." "Yes.") so the engine sees enough context."""
    out: list[Segment] = []
    for s in segs:
        if (out and len(out[-1].text) < min_chars and (s.end - out[-1].start) <= max_chars
                and "\n" not in text[out[-1].end: s.start]):
            prev = out.pop()
            s = Segment(text[prev.start : s.end], prev.start)
        out.append(s)
    return out


def split_first(text: str, seg: Segment, first_max: int) -> list[Segment]:
    """Cut a short head off ``seg`` at a clause, else after a few words, for fast first audio."""
    if len(seg.text) <= first_max:
        return [seg]
    clauses = [c for a, b in _spans(seg.text, _CLAUSE_END, seg.start) if (c := _trimmed(text, a, b))]
    if len(clauses) > 1 and len(clauses[0].text) <= first_max:
        head = clauses[0]
    else:
        words = list(re.finditer(r"\S+", seg.text))
        n = min(len(words) - 1, 4)
        if n < 2:
            return [seg]
        head = Segment(seg.text[: words[n - 1].end()], seg.start)
    tail = _trimmed(text, head.end, seg.end)
    return [head, tail] if tail else [head]


def segment_text(text: str, *, max_chars: int = 300, min_chars: int = 12, first_max: int | None = 60) -> list[Segment]:
    """Segments covering every non-space character of ``text`` in order.

    Args:
        max_chars: longest segment handed to an engine.
        min_chars: shorter sentences are merged with the next one.
        first_max: when set, the first segment is cut to at most this many characters
            (at a clause, else after four words) so streaming starts sooner.
    """
    segs: list[Segment] = []
    for a, b in _spans(text, _SENTENCE_END):
        s = _trimmed(text, a, b)
        if s:
            segs.extend(_split_long(text, s, max_chars))
    segs = _merge_short(segs, text, min_chars, max_chars)
    if first_max and segs:
        segs = split_first(text, segs[0], first_max) + segs[1:]
    return segs


__all__ = ["Segment", "segment_text", "split_first"]
