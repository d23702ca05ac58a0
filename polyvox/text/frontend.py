"""The text front-end: request text -> what each engine call speaks, mapped back to the request.

``prepare`` runs the stages in order, each a :class:`~polyvox.text.charmap.MappedText`
over the previous one, so the final spoken text maps back to the original characters:

1. SSML (``ssml.parse``): markup removed, entities decoded, ``<sub>`` aliases and
   ``<say-as>`` readings substituted; breaks, phoneme spans and ``<lang>`` spans recorded.
2. Pronunciation dictionaries (``lexicon.apply_lexicons``): aliases substituted, phoneme
   rules recorded as phoneme spans.
3. Normalisation (``normalize.normalize``) per language, where asked for; phoneme spans,
   aliases and ``say-as`` readings are left alone.

The spoken text is then cut into :class:`SpokenSegment` s: explicit breaks and language
changes always cut; inside a stretch, sentences and then clauses (``segment.segment_text``),
never inside a phoneme span or a single normalised expression. A segment that ends
mid-sentence is marked ``continues`` so the service renders it with a little of the next
text as lookahead and cuts that away (prosody does not fall as if the sentence ended).
Phoneme spans travel with their segment; engines that declare ``inline_phonemes`` splice
them into their own G2P output (``SynthesisRequest.phoneme_spans``).

The same function serves any length (the service limits a request to the model's maximum;
a Studio-scale job calls it per chapter or paragraph and streams the segments).

:class:`~polyvox.text.charmap.SourceTimes` turns the times of the spoken characters
(the ``normalized_alignment``) into times of the original characters (the ``alignment``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from polyvox.text import ssml as ssml_mod
from polyvox.text.charmap import MapBuilder, MappedText, SourceTimes
from polyvox.text.lexicon import CompiledRules, apply_lexicons, to_ipa
from polyvox.text.normalize import get_normalizer, normalize
from polyvox.text.segment import segment_text

_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*\s*$")

# apply_text_normalization=auto: where each engine benefits. All three embedded engines read
# text through eSpeak NG's rules (Kokoro and Piper phonemize with it): plain integers come out
# right, but currencies ("$1.5M" -> "dollar one point five M"), dates ("3/14" -> "three slash
# fourteen"), times, units, phone numbers, years ("1984" -> "nineteen hundred eighty four"),
# URLs and most abbreviations do not, so auto means on wherever a full normaliser exists.
# Languages with numbers-only coverage are left to eSpeak's own number reading. Kokoro's
# Japanese G2P (pyopenjtalk) reads digits itself.
AUTO_NORMALIZE: dict[str, frozenset[str]] = {
    "kokoro": frozenset({"en", "es", "fr", "it", "pt"}),
    "piper": frozenset({"en", "es", "fr", "de", "it", "pt"}),
    "espeak": frozenset({"en", "es", "fr", "de", "it", "pt"}),
}
_AUTO_DEFAULT = frozenset({"en", "es", "fr", "de", "it", "pt"})


def auto_normalize(engine: str, language: str) -> bool:
    """Whether ``apply_text_normalization=auto`` normalises ``language`` text for ``engine``."""
    return language in AUTO_NORMALIZE.get(engine, _AUTO_DEFAULT)


@dataclass(frozen=True)
class SpokenSegment:
    text: str
    """Spoken text of the segment (what the engine says)."""
    start: int
    """Offset of ``text`` in the spoken text."""
    language: str
    pause_before: float | None = None
    """Seconds of exact silence before this segment (an SSML break), else None."""
    break_after: bool = False
    """An explicit break follows: the segment's trailing silence is cut to nothing."""
    phonemes: tuple[tuple[int, int, str], ...] = ()
    """(start, end, IPA) spans relative to ``text``."""
    continues: bool = False
    """The sentence goes on in the next segment (render with lookahead)."""

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class Prepared:
    original: str
    spoken: MappedText
    segments: list[SpokenSegment]
    trailing_break: float = 0.0
    languages: set[str] = field(default_factory=set)
    _times: SourceTimes | None = None

    @property
    def times(self) -> SourceTimes:
        if self._times is None:
            self._times = SourceTimes(self.spoken)
        return self._times

    def __len__(self) -> int:
        return len(self.segments)


@dataclass
class _Doc:
    """The text between stages, with its annotations in its own coordinates."""

    mapped: MappedText
    breaks: list[tuple[int, float]] = field(default_factory=list)
    phonemes: list[tuple[int, int, str]] = field(default_factory=list)
    langs: list[tuple[int, int, str]] = field(default_factory=list)
    frozen: list[tuple[int, int]] = field(default_factory=list)
    """Spans no later stage may rewrite (phoneme spans, aliases, say-as readings)."""

    def advance(self, stage: MappedText) -> None:
        """Move the annotations through ``stage`` (which maps onto the current text)."""
        self.breaks = [(stage.position(p), s) for p, s in self.breaks]
        self.phonemes = [(*stage.project(a, b), ipa) for a, b, ipa in self.phonemes]
        self.langs = [(*stage.project(a, b), lang) for a, b, lang in self.langs]
        self.frozen = [stage.project(a, b) for a, b in self.frozen]
        self.mapped = stage.compose(self.mapped)


def prepare(text: str, language: str, *, normalize_for: Callable[[str], bool] | bool = True, ssml: bool = True,
            lexicons: Sequence[CompiledRules] = (), first_max: int | None = 60, max_chars: int = 300) -> Prepared:
    """Run the front-end on ``text`` (see the module docstring).

    Args:
        language: the request's language (ISO 639-1); ``<lang>`` spans may change it locally.
        normalize_for: whether to normalise text of a given language (or one answer for all).
        ssml: parse markup (raises :class:`~polyvox.text.ssml.SsmlError` on malformed tags).
        lexicons: compiled pronunciation rules, in the order they apply.
    Raises:
        SsmlError: malformed or unsupported markup.
    """
    norm_for = (lambda _lang: normalize_for) if isinstance(normalize_for, bool) else normalize_for
    doc = _Doc(MappedText.identity(text))
    if ssml and ssml_mod.has_markup(text):
        parsed = ssml_mod.parse(text)
        doc.mapped = parsed.plain
        doc.breaks = [(b.position, b.seconds) for b in parsed.breaks]
        doc.phonemes = [(p.start, p.end, to_ipa(p.ph, p.alphabet)) for p in parsed.phonemes]
        doc.langs = [(s.start, s.end, s.value) for s in parsed.langs]
        doc.frozen = [(p.start, p.end) for p in parsed.phonemes] + [(s.start, s.end) for s in parsed.subs]
        if parsed.say_as:
            _say_as(doc, parsed.say_as, language)
    for rules in lexicons:
        if rules.regex is None:
            continue
        res = apply_lexicons(doc.mapped.text, rules, doc.frozen)
        doc.advance(res.mapped)
        doc.phonemes += [(p.start, p.end, p.ipa) for p in res.phonemes]
        doc.frozen += res.replaced
    for lang in _languages_in(doc, language):
        if not norm_for(lang) or get_normalizer(lang) is None:
            continue
        outside = _outside(doc, lang, language)
        stage = normalize(doc.mapped.text, lang, protected=sorted(doc.frozen + outside))
        if stage.text != doc.mapped.text:
            doc.advance(stage)
    return _segment(text, doc, language, first_max, max_chars)


def _languages_in(doc: _Doc, default: str) -> list[str]:
    out = [default]
    for _, _, lang in doc.langs:
        if lang not in out:
            out.append(lang)
    return out


def _lang_at(doc: _Doc, pos: int, default: str) -> str:
    lang = default
    for a, b, code in doc.langs:  # innermost (latest opened) span wins: spans are in closing order
        if a <= pos < b:
            lang = code
            break
    return lang


def _outside(doc: _Doc, lang: str, default: str) -> list[tuple[int, int]]:
    """Spans of the text NOT in ``lang`` (to protect while normalising ``lang``)."""
    n = len(doc.mapped.text)
    out, start = [], None
    for i in range(n + 1):
        inside = i < n and _lang_at(doc, i, default) == lang
        if not inside and start is None and i < n:
            start = i
        elif inside and start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, n))
    return out


def _say_as(doc: _Doc, spans, language: str) -> None:
    norm = get_normalizer(language)
    text = doc.mapped.text
    b = MapBuilder(text)
    pos = 0
    new_frozen: list[tuple[int, int]] = []
    for s in sorted(spans, key=lambda s: s.start):
        if s.start < pos:
            continue
        b.copy(pos, s.start)
        content = text[s.start: s.end]
        at = b.length
        b.emit(say_as_text(content, s.value, s.extra, norm) if content.strip() else content, s.start, s.end)
        new_frozen.append((at, b.length))
        pos = s.end
    b.copy(pos, len(text))
    stage = b.build()
    doc.advance(stage)
    doc.frozen += new_frozen


def say_as_text(content: str, kind: str, fmt: str, norm) -> str:
    """The reading of a ``<say-as>`` element."""
    if norm is None or kind == "verbatim":
        return " ".join(content) if kind in ("characters", "spell-out", "letters", "verbatim") else content
    if kind in ("characters", "spell-out", "letters"):
        return " ".join(norm.letters(ch) if ch.isalnum() else "" for ch in content if not ch.isspace()).strip()
    if kind == "digits":
        return norm.digits(content)
    digits = re.sub(r"[^\d]", "", content)
    if kind in ("cardinal", "number") and re.fullmatch(r"[-−]?[\d.,\s]+", content.strip()):
        return norm.normalize(content.strip()).text
    if kind == "ordinal" and digits:
        return norm.ordinal(int(digits))
    if kind == "telephone" and digits:
        return ", ".join(norm.phone_group(g) for g in re.findall(r"\d+", content))
    if kind == "date" and fmt:
        parts = [int(p) for p in re.findall(r"\d+", content)]
        order = fmt.lower()
        vals = dict(zip(order, parts))
        if "m" in vals and "d" in vals and 1 <= vals["m"] <= 12:
            from polyvox.text.normalize.rules import Match
            m = re.match(r"(?P<x>.*)", content)
            return norm.date(vals.get("y"), vals["m"], vals["d"], Match(m, content))
    return norm.normalize(content).text


def _segment(original: str, doc: _Doc, language: str, first_max: int | None, max_chars: int) -> Prepared:
    spoken = doc.mapped
    text = spoken.text
    n = len(text)
    pauses: dict[int, float] = {}
    for p, secs in doc.breaks:
        pauses[p] = pauses.get(p, 0.0) + secs
    cuts = {0, n, *pauses}
    for a, b, _ in doc.langs:
        cuts.update((a, b))
    bounds = sorted(c for c in cuts if 0 <= c <= n)
    units = _units(spoken, doc.phonemes)
    segments: list[SpokenSegment] = []
    pending: float | None = None
    for lo, hi in zip(bounds, bounds[1:]):
        if lo in pauses:
            pending = (pending or 0.0) + pauses[lo]
        block = text[lo:hi]
        if not block.strip():
            continue
        pieces = segment_text(block, max_chars=max_chars, first_max=first_max if not segments else None)
        spans = _merge_units([(lo + p.start, lo + p.end) for p in pieces], units)
        lang = _lang_at(doc, lo + len(block) - len(block.lstrip()), language)
        for a, b in spans:
            ph = tuple((max(a, s) - a, min(b, e) - a, ipa) for s, e, ipa in doc.phonemes if s < b and e > a)
            segments.append(SpokenSegment(text[a:b], a, lang, pause_before=pending, phonemes=ph))
            pending = None
    if n in pauses and n > 0:
        pending = (pending or 0.0) + pauses[n]
    elif n == 0 and 0 in pauses:
        pending = pauses[0]
    trailing = pending or 0.0
    out: list[SpokenSegment] = []
    for i, seg in enumerate(segments):
        nxt = segments[i + 1] if i + 1 < len(segments) else None
        brk = nxt.pause_before is not None if nxt is not None else trailing > 0
        cont = (nxt is not None and nxt.pause_before is None and nxt.language == seg.language
                and not _SENTENCE_END.search(seg.text) and "\n" not in text[seg.end: nxt.start])
        out.append(SpokenSegment(seg.text, seg.start, seg.language, seg.pause_before, brk, seg.phonemes, cont))
    langs = {s.language for s in out} or {language}
    return Prepared(original, spoken, out, trailing, langs)


def _units(spoken: MappedText, phonemes) -> list[tuple[int, int]]:
    """Stretches a segment boundary must not cut: phoneme spans and multi-word replacements."""
    units = [(a, b) for a, b, _ in phonemes]
    starts, ends = spoken.starts, spoken.ends
    i, n = 0, len(spoken.text)
    while i < n:
        j = i
        while j + 1 < n and starts[j + 1] == starts[i] and ends[j + 1] == ends[i] and ends[i] - starts[i] > 1:
            j += 1
        if j > i:
            units.append((i, j + 1))
        i = j + 1
    return sorted(units)


def _merge_units(pieces: list[tuple[int, int]], units: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        if out and any(u0 < out[-1][1] and u1 > a and u0 < a for u0, u1 in units):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


__all__ = ["AUTO_NORMALIZE", "Prepared", "SpokenSegment", "auto_normalize", "prepare", "say_as_text"]
