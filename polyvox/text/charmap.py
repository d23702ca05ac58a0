"""Text that remembers which characters of its source each of its characters came from.

Every stage of the text front-end (SSML parsing, pronunciation dictionaries,
normalisation) rewrites text. The timestamp routes must still report times for the
ORIGINAL characters of the request (ElevenLabs' ``alignment``) as well as for the text
that was actually spoken (``normalized_alignment``), so each stage returns a
:class:`MappedText`: the new text plus, for every new character, the half-open span of
source characters it stands for. A copied character maps to itself (``[i, i+1)``); all
characters of a replacement ("$5" -> "five dollars") map to the whole replaced span; an
inserted character maps to an empty span at its position. Stages compose with
:meth:`MappedText.compose`, so the last text always maps straight back to the request.

:class:`SourceTimes` turns times measured on the spoken text back into times for the
source characters, one stretch at a time (the TTS service streams segment by segment).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MappedText:
    text: str
    starts: np.ndarray
    """``starts[i]``: first source character behind ``text[i]``."""
    ends: np.ndarray
    """``ends[i]``: one past the last source character behind ``text[i]`` (== start for an insertion)."""
    source_len: int

    def __post_init__(self) -> None:
        if not (len(self.text) == len(self.starts) == len(self.ends)):
            raise ValueError("MappedText: text and spans differ in length")

    @classmethod
    def identity(cls, text: str) -> MappedText:
        idx = np.arange(len(text), dtype=np.int64)
        return cls(text, idx, idx + 1, len(text))

    def __len__(self) -> int:
        return len(self.text)

    def compose(self, inner: MappedText) -> MappedText:
        """``self`` maps onto ``inner.text``; the result maps onto ``inner``'s source."""
        if self.source_len != len(inner.text):
            raise ValueError("MappedText.compose: lengths do not chain")
        n = len(inner.text)
        starts = np.empty(len(self.text), dtype=np.int64)
        ends = np.empty(len(self.text), dtype=np.int64)
        for i, (a, b) in enumerate(zip(self.starts.tolist(), self.ends.tolist())):
            if b > a:
                starts[i] = int(inner.starts[a:b].min())
                ends[i] = int(inner.ends[a:b].max())
            else:
                p = inner.starts[a] if a < n else inner.source_len
                starts[i] = ends[i] = int(p)
        return MappedText(self.text, starts, ends, inner.source_len)

    def project(self, start: int, end: int) -> tuple[int, int]:
        """The stretch of this text made from source characters ``[start, end)`` (for annotations)."""
        lo = int(np.searchsorted(self.starts, start, side="left"))
        hi = int(np.searchsorted(self.starts, end, side="left"))
        return lo, max(lo, hi)

    def position(self, source_pos: int) -> int:
        """The index in this text where source position ``source_pos`` lies (for zero-width marks)."""
        return int(np.searchsorted(self.starts, source_pos, side="left"))


class MapBuilder:
    """Build a :class:`MappedText` over ``source`` by copying and replacing stretches in order."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._parts: list[str] = []
        self._starts: list[int] = []
        self._ends: list[int] = []
        self.length = 0
        """Characters emitted so far."""

    def copy(self, start: int, end: int) -> None:
        if end <= start:
            return
        self._parts.append(self.source[start:end])
        self.length += end - start
        self._starts.extend(range(start, end))
        self._ends.extend(range(start + 1, end + 1))

    def emit(self, text: str, start: int, end: int) -> None:
        """``text`` stands for source ``[start, end)`` (``start == end``: an insertion)."""
        if not text:
            return
        self._parts.append(text)
        self.length += len(text)
        self._starts.extend([start] * len(text))
        self._ends.extend([end] * len(text))

    @property
    def last_char(self) -> str:
        for p in reversed(self._parts):
            if p:
                return p[-1]
        return ""

    def build(self) -> MappedText:
        return MappedText("".join(self._parts), np.asarray(self._starts, dtype=np.int64),
                          np.asarray(self._ends, dtype=np.int64), len(self.source))


class SourceTimes:
    """Times of source characters from times of the spoken characters, stretch by stretch.

    Each source character is *owned* by the first spoken character whose span covers it;
    characters no spoken character stands for (markup, deleted symbols) are owned by the
    next owned character, and get the time between the previous character's end and the
    next one's start (so a ``<break/>`` tag spans the silence it made). ``stretch(p, q)``
    says which source characters belong to spoken characters ``[p, q)``.
    """

    def __init__(self, mapped: MappedText) -> None:
        self.mapped = mapped
        n = mapped.source_len
        owner = np.full(n, -1, dtype=np.int64)
        for i, (a, b) in enumerate(zip(mapped.starts.tolist(), mapped.ends.tolist())):
            for j in range(a, min(b, n)):
                if owner[j] < 0:
                    owner[j] = i
        self.owned = owner >= 0
        # unowned characters go with the next owned one (or past the end)
        nxt = len(mapped.text)
        for j in range(n - 1, -1, -1):
            if owner[j] < 0:
                owner[j] = nxt
            else:
                nxt = owner[j]
        self.owner = np.maximum.accumulate(owner) if n else owner

    def stretch(self, p: int, q: int, *, last: bool = False) -> tuple[int, int]:
        """Source characters ``[j0, j1)`` owned by spoken characters ``[p, q)`` (``last``: up to the end)."""
        j0 = int(np.searchsorted(self.owner, p, side="left"))
        j1 = self.mapped.source_len if last else int(np.searchsorted(self.owner, q, side="left"))
        return j0, max(j0, j1)

    def times(self, p: int, q: int, starts: np.ndarray, ends: np.ndarray, t0: float = 0.0,
              *, last: bool = False, t_end: float | None = None) -> tuple[int, int, np.ndarray, np.ndarray]:
        """Times for the source characters of spoken ``[p, q)``.

        ``starts``/``ends`` hold the times of spoken characters ``p..q-1``; ``t0`` is the
        time the stretch begins (before any leading silence), ``t_end`` the time it ends
        (after any trailing silence; source characters after the last spoken one, such as
        a closing tag, span up to it). Returns ``(j0, j1, s, e)``.
        """
        j0, j1 = self.stretch(p, q, last=last)
        m = self.mapped
        s_out = np.zeros(j1 - j0)
        e_out = np.zeros(j1 - j0)
        # group the owned characters by the run of spoken characters sharing one span
        j = j0
        prev_end = t0
        while j < j1:
            if not self.owned[j]:
                k = j
                while k < j1 and not self.owned[k]:
                    k += 1
                nxt = self.owner[k] if k < j1 else q
                if p <= nxt < q:
                    t_next = float(starts[nxt - p])
                elif t_end is not None:
                    t_next = t_end
                else:
                    t_next = float(ends[-1]) if len(ends) else prev_end
                t_next = max(t_next, prev_end)
                edges = np.linspace(prev_end, t_next, k - j + 1)
                s_out[j - j0:k - j0] = edges[:-1]
                e_out[j - j0:k - j0] = edges[1:]
                prev_end = t_next
                j = k
                continue
            i = int(self.owner[j])
            a, b = int(m.starts[i]), int(m.ends[i])
            i_end = i
            while i_end + 1 < q and m.starts[i_end + 1] == a and m.ends[i_end + 1] == b:
                i_end += 1
            k = j
            while k < j1 and self.owned[k] and self.owner[k] >= i and self.owner[k] <= i_end:
                k += 1
            if p <= i < q:
                ts = float(starts[i - p])
                te = float(ends[min(i_end, q - 1) - p])
            else:
                ts = te = prev_end
            ts = max(ts, prev_end)
            te = max(te, ts)
            edges = np.linspace(ts, te, k - j + 1)
            s_out[j - j0:k - j0] = edges[:-1]
            e_out[j - j0:k - j0] = edges[1:]
            prev_end = te
            j = k
        return j0, j1, s_out, e_out


def fold_times(mapped: MappedText, starts, ends) -> tuple[np.ndarray, np.ndarray]:
    """Times of the source characters from times of the mapped text's characters.

    A stretch of mapped characters that stands for several source characters (a
    ``[[phonemes]]`` block for a word) spreads its time evenly over them; a source
    character nothing stands for sits, with no length, where the previous one ended. For
    an engine that was handed a rewritten text.
    """
    n = mapped.source_len
    s_out = np.full(n, np.nan)
    e_out = np.full(n, np.nan)
    a_arr, b_arr = mapped.starts.tolist(), mapped.ends.tolist()
    i, m = 0, len(a_arr)
    while i < m:
        a, b = a_arr[i], b_arr[i]
        j = i
        while j + 1 < m and a_arr[j + 1] == a and b_arr[j + 1] == b:
            j += 1
        t0 = float(np.min(starts[i:j + 1]))
        t1 = float(np.max(ends[i:j + 1]))
        if b > a:
            edges = np.linspace(t0, max(t0, t1), b - a + 1)
            for k, src in enumerate(range(a, min(b, n))):
                s_out[src] = edges[k] if np.isnan(s_out[src]) else min(s_out[src], edges[k])
                e_out[src] = edges[k + 1] if np.isnan(e_out[src]) else max(e_out[src], edges[k + 1])
        i = j + 1
    last = 0.0
    for j in range(n):
        if np.isnan(s_out[j]):
            s_out[j] = e_out[j] = last
        last = max(last, e_out[j])
    return s_out, np.maximum(e_out, s_out)


__all__ = ["MapBuilder", "MappedText", "SourceTimes", "fold_times"]
