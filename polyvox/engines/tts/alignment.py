"""Turn engine timings (per phoneme or per word) into one start/end per character.

Engines know *when* their phonemes or words are spoken; the API wants a time for every
character of the segment text, spaces and punctuation included. The pieces here are
shared by the engines:

* ``text_words`` finds the words of a segment (core spans, without surrounding punctuation).
* ``label_phonemes`` says which word each character of a phoneme string belongs to, using
  the spaces of the phoneme string when they match the words one to one, and a sequence
  alignment against word-by-word G2P when they do not (eSpeak sometimes joins words).
* ``word_times`` folds per-phoneme times into per-word spans.
* ``spread_over_chars`` spreads word spans over the characters: a word's characters share
  its span evenly, and the characters between two words (spaces, punctuation) share the gap.
* ``trim_silence`` cuts leading/trailing silence to short pads and says how much was cut.
* ``estimate_phoneme_times`` is the fallback when an engine has no durations at all.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

_TOKEN = re.compile(r"\S+")
# Scripts written without spaces between words: every character is its own "word" unless
# the engine passes a segmentation.
_NO_SPACE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u1000-\u109f]")


def is_wordchar(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LNM"


def text_words(text: str, segments: Sequence[str] | None = None) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the words of ``text``.

    Without ``segments`` words are whitespace-separated tokens trimmed of leading and
    trailing punctuation (tokens with no letter or digit are not words); runs of CJK / Thai
    script are split into single characters. With ``segments`` (an engine's own word
    segmentation, e.g. a Japanese tokenizer's surfaces), each segment is found in order.
    """
    spans: list[tuple[int, int]] = []
    if segments is not None:
        pos = 0
        for seg in segments:
            seg = seg.strip()
            if not seg or not any(is_wordchar(c) for c in seg):
                continue
            at = text.find(seg, pos)
            if at < 0:
                continue
            a, b = at, at + len(seg)
            while a < b and not is_wordchar(text[a]):
                a += 1
            while b > a and not is_wordchar(text[b - 1]):
                b -= 1
            spans.append((a, b))
            pos = at + len(seg)
        if spans:
            return spans
    for m in _TOKEN.finditer(text):
        a, b = m.start(), m.end()
        while a < b and not is_wordchar(text[a]):
            a += 1
        while b > a and not is_wordchar(text[b - 1]):
            b -= 1
        if a >= b:
            continue
        run_start = -1  # start of the current run of word characters (not CJK)
        for i in range(a, b):
            ch = text[i]
            if _NO_SPACE.match(ch) or not is_wordchar(ch) and ch not in "'’-.":
                if run_start >= 0:
                    spans.append((run_start, i))
                    run_start = -1
                if _NO_SPACE.match(ch):
                    spans.append((i, i + 1))
            elif run_start < 0:
                run_start = i
        if run_start >= 0:
            spans.append((run_start, b))
    return spans


def _is_sep(ch: str) -> bool:
    """Phoneme-string characters that belong to no word: spaces and punctuation."""
    if ch.isspace():
        return True
    cat = unicodedata.category(ch)
    return cat[0] in "PZS" and ch not in "ˈˌːˑ"


def phoneme_groups(phonemes: str) -> list[list[int]]:
    """Indices of the characters of each space-separated phoneme word (punctuation left out)."""
    groups: list[list[int]] = []
    cur: list[int] = []
    for i, ch in enumerate(phonemes):
        if ch.isspace():
            if cur:
                groups.append(cur)
            cur = []
        elif not _is_sep(ch):
            cur.append(i)
    if cur:
        groups.append(cur)
    return groups


def label_phonemes(
    phonemes: str,
    n_words: int,
    word_g2p: Callable[[], Sequence[str]] | None = None,
) -> np.ndarray:
    """Word index of every character of ``phonemes`` (-1 for spaces and punctuation).

    If the phoneme string has exactly ``n_words`` space-separated groups they map one to
    one. Otherwise ``word_g2p()`` (the phonemes of each word on its own) is aligned to the
    string with difflib; without it groups are spread proportionally over the words.
    Labels are non-decreasing over the string.
    """
    labels = np.full(len(phonemes), -1, dtype=np.int64)
    groups = phoneme_groups(phonemes)
    if n_words <= 0 or not groups:
        return labels
    if len(groups) == n_words:
        for j, g in enumerate(groups):
            labels[g] = j
        return labels
    word_phonemes = list(word_g2p()) if word_g2p is not None else None
    if word_phonemes is not None and len(word_phonemes) == n_words:
        ref_chars: list[str] = []
        ref_labels: list[int] = []
        for j, wp in enumerate(word_phonemes):
            for ch in wp:
                if not _is_sep(ch):
                    ref_chars.append(ch)
                    ref_labels.append(j)
        hyp_idx = [i for i, ch in enumerate(phonemes) if not _is_sep(ch)]
        hyp = "".join(phonemes[i] for i in hyp_idx)
        ref = "".join(ref_chars)
        got = np.full(len(hyp_idx), -1, dtype=np.int64)
        sm = difflib.SequenceMatcher(None, hyp, ref, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "equal":
                got[i1:i2] = ref_labels[j1:j2]
            elif tag == "replace" and j2 > j1:
                # spread the replaced stretch over the reference labels it replaces
                for k in range(i1, i2):
                    got[k] = ref_labels[j1 + (k - i1) * (j2 - j1) // (i2 - i1)]
        # fill unmatched from the left, then the right
        last = -1
        for k in range(len(got)):
            if got[k] < 0:
                got[k] = last
            else:
                last = got[k]
        nxt = 0
        for k in range(len(got) - 1, -1, -1):
            if got[k] < 0:
                got[k] = nxt
            else:
                nxt = got[k]
        got = np.maximum.accumulate(np.clip(got, 0, n_words - 1)) if len(got) else got
        labels[hyp_idx] = got
        return labels
    # proportional: group j of G goes to word floor(j * n / G)
    for j, g in enumerate(groups):
        labels[g] = min(n_words - 1, j * n_words // len(groups))
    return labels


def word_times(
    labels: np.ndarray, ph_starts: np.ndarray, ph_ends: np.ndarray, n_words: int
) -> tuple[np.ndarray, np.ndarray]:
    """Start/end of each word from the times of its phoneme characters.

    Words that got no phoneme sit, with zero length, at the end of the word before them.
    """
    ws = np.full(n_words, np.nan)
    we = np.full(n_words, np.nan)
    for i, lab in enumerate(labels):
        if lab < 0:
            continue
        if np.isnan(ws[lab]) or ph_starts[i] < ws[lab]:
            ws[lab] = ph_starts[i]
        if np.isnan(we[lab]) or ph_ends[i] > we[lab]:
            we[lab] = ph_ends[i]
    prev = 0.0
    for j in range(n_words):
        if np.isnan(ws[j]):
            ws[j] = we[j] = prev
        ws[j] = max(ws[j], prev)
        we[j] = max(we[j], ws[j])
        prev = we[j]
    return ws, we


def spread_over_chars(
    text: str,
    word_spans: Sequence[tuple[int, int, float, float]],
    duration: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One (start, end) per character of ``text``, non-decreasing, within the segment.

    ``word_spans`` holds ``(char_start, char_end, t_start, t_end)`` per word in text order.
    Characters of a word share its time evenly; characters between words (spaces,
    punctuation) share the gap between them; characters before the first word share
    ``[0, first start]`` and those after the last word ``[last end, duration]``.
    """
    n = len(text)
    starts = np.zeros(n, dtype=np.float64)
    ends = np.zeros(n, dtype=np.float64)
    if n == 0:
        return starts, ends
    total = float(duration) if duration is not None else (max((s[3] for s in word_spans), default=0.0))
    spans = sorted(word_spans, key=lambda s: s[0])
    # monotone clean-up of the times
    clean: list[tuple[int, int, float, float]] = []
    t_prev = 0.0
    c_prev = 0
    for a, b, ts, te in spans:
        a = max(a, c_prev)
        b = max(b, a)
        ts = min(max(float(ts), t_prev), total)
        te = min(max(float(te), ts), total)
        clean.append((a, b, ts, te))
        t_prev, c_prev = te, b

    def fill(c0: int, c1: int, t0: float, t1: float) -> None:
        k = c1 - c0
        if k <= 0:
            return
        edges = np.linspace(t0, t1, k + 1)
        starts[c0:c1] = edges[:-1]
        ends[c0:c1] = edges[1:]

    cursor_c, cursor_t = 0, 0.0
    for a, b, ts, te in clean:
        fill(cursor_c, a, cursor_t, ts)
        fill(a, b, ts, te)
        cursor_c, cursor_t = b, te
    fill(cursor_c, n, cursor_t, max(cursor_t, total))
    ends = np.maximum(ends, starts)
    return starts, ends


def align_chars(
    text: str,
    words: Sequence[tuple[int, int]],
    ws: np.ndarray,
    we: np.ndarray,
    duration: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``spread_over_chars`` for words given as char spans plus their time arrays."""
    return spread_over_chars(
        text, [(a, b, float(s), float(e)) for (a, b), s, e in zip(words, ws, we)], duration
    )


def silence(text: str, sample_rate: int, seconds: float = 0.06):
    """Audio and per-character times for a segment with nothing to pronounce."""
    n = int(seconds * sample_rate)
    starts, ends = spread_over_chars(text, [], n / sample_rate)
    return np.zeros(n, dtype=np.float32), starts, ends


def active_mask(
    audio: np.ndarray, sample_rate: int, hop: float = 0.01, floor_db: float = -40.0
) -> np.ndarray:
    """Per-hop booleans: RMS within ``floor_db`` of the loudest hop."""
    h = max(1, int(hop * sample_rate))
    n = len(audio) // h
    if n == 0:
        return np.zeros(0, dtype=bool)
    frames = audio[: n * h].astype(np.float64).reshape(n, h)
    rms = np.sqrt((frames**2).mean(axis=1) + 1e-12)
    return 20 * np.log10(rms / (rms.max() + 1e-12)) > floor_db


def trim_silence(
    audio: np.ndarray, sample_rate: int, pad: float = 0.03, threshold_db: float = -45.0
) -> tuple[np.ndarray, int]:
    """Cut leading/trailing silence to ``pad`` seconds; return (audio, samples cut at the head)."""
    if len(audio) == 0:
        return audio, 0
    peak = float(np.max(np.abs(audio)))
    if peak <= 1e-6:
        return audio, 0
    thr = peak * 10 ** (threshold_db / 20)
    idx = np.flatnonzero(np.abs(audio) > thr)
    p = int(pad * sample_rate)
    head = max(0, int(idx[0]) - p)
    tail = min(len(audio), int(idx[-1]) + 1 + p)
    return audio[head:tail], head


def estimate_phoneme_times(
    weights: np.ndarray, audio: np.ndarray, sample_rate: int
) -> tuple[np.ndarray, np.ndarray]:
    """Fallback timing: spread phonemes by weight over the audio's non-silent stretches.

    Time is measured in "speech time" (only hops that are not silent count), each phoneme
    gets speech time proportional to its weight, and the result is mapped back to real
    time, so pauses fall between phonemes instead of inside them.
    """
    weights = np.asarray(weights, dtype=np.float64)
    n = len(weights)
    dur = len(audio) / sample_rate
    if n == 0:
        return np.zeros(0), np.zeros(0)
    hop = 0.01
    act = active_mask(audio, sample_rate, hop)
    if act.size == 0 or not act.any():
        edges = np.linspace(0.0, dur, n + 1)
    else:
        speech = np.concatenate([[0.0], np.cumsum(act.astype(np.float64))]) * hop  # speech time at hop edges
        real = np.arange(len(speech)) * hop
        tot = weights.sum()
        frac = np.concatenate([[0.0], np.cumsum(weights)]) / (tot if tot > 0 else 1.0)
        target = frac * speech[-1]
        # a phoneme starts when the speech clock has left any silence before it and ends
        # when the clock reaches its share (before any silence after it)
        last = len(real) - 1
        s_idx = np.clip(np.searchsorted(speech, target[:-1], side="right") - 1, 0, last)
        e_idx = np.clip(np.searchsorted(speech, target[1:], side="left"), 0, last)
        st = np.minimum(np.maximum.accumulate(real[s_idx]), dur)
        en = np.minimum(np.maximum(real[e_idx], st), dur)
        return st, en
    return edges[:-1].copy(), edges[1:].copy()


__all__ = [
    "active_mask",
    "silence",
    "align_chars",
    "estimate_phoneme_times",
    "is_wordchar",
    "label_phonemes",
    "phoneme_groups",
    "spread_over_chars",
    "text_words",
    "trim_silence",
    "word_times",
]
