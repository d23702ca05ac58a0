"""The SSML subset polyvox reads, parsed into plain text plus annotations.

Supported (ElevenLabs supports the first two, on two models; every engine here takes all):

* ``<break time="1.5s"/>``, ``time="500ms"`` or ``strength="none|x-weak|weak|medium|strong|x-strong"``:
  exact silence, at most 3 s per break (longer values are cut to 3 s, as ElevenLabs does).
* ``<phoneme alphabet="ipa|cmu-arpabet" ph="...">word</phoneme>``: the word is spoken as given.
* ``<sub alias="World Wide Web">WWW</sub>``: the alias is spoken for the content.
* ``<say-as interpret-as="characters|spell-out|digits|cardinal|number|ordinal|telephone|date|time|verbatim">``.
* ``<lang xml:lang="fr-FR">``: the content is spoken in that language.
* ``<speak>``, ``<p>``, ``<s>`` (structure; ``</p>`` starts a new paragraph), and ``<emphasis>``,
  ``<prosody>``, ``<voice>``, ``<mark>``, ``<w>`` (accepted, content spoken as plain text).

Anything that looks like a tag (``<`` followed by a letter or ``/``) must be one of these,
well formed and properly nested, or :class:`SsmlError` says what is wrong and where: markup
is never spoken. A ``<`` followed by anything else ("3 < 5") is plain text. XML entities
(``&amp;`` ``&lt;`` ``&gt;`` ``&quot;`` ``&apos;`` ``&#...;``) are decoded.

``parse`` returns a :class:`~polyvox.text.charmap.MappedText` of the plain text (mapped back
to the markup) and the annotations in plain-text positions.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from polyvox.text.charmap import MapBuilder, MappedText

MAX_BREAK_SECONDS = 3.0
STRENGTHS = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.4, "strong": 0.75, "x-strong": 1.2}
PHONEME_ALPHABETS = {"ipa": "ipa", "cmu-arpabet": "cmu-arpabet", "x-cmu": "cmu-arpabet", "cmu": "cmu-arpabet",
                     "arpabet": "cmu-arpabet", "x-arpabet": "cmu-arpabet"}
SAY_AS = frozenset("characters spell-out letters digits cardinal number ordinal telephone date time verbatim "
                   "currency unit fraction expletive".split())
_CONTAINERS = frozenset("speak p s emphasis prosody voice w paragraph sentence".split())
_VOID = frozenset({"break", "mark"})
_KNOWN = _CONTAINERS | _VOID | {"phoneme", "sub", "say-as", "lang", "audio"}

_TAG = re.compile(r"<(?P<close>/)?(?P<name>[A-Za-z][\w:.-]*)(?P<attrs>(?:\s+[A-Za-z_:][\w:.-]*\s*=\s*"
                  r"(?:\"[^\"<>]*\"|'[^'<>]*'))*)\s*(?P<self>/)?>")
_ATTR = re.compile(r"([A-Za-z_:][\w:.-]*)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TAGLIKE = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|nbsp|#\d{1,7}|#x[0-9A-Fa-f]{1,6});")
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)\s*$", re.IGNORECASE)


class SsmlError(ValueError):
    """Malformed or unsupported markup; the message names the problem and its position."""


@dataclass(frozen=True)
class Break:
    position: int
    """Index in the plain text before which the silence goes."""
    seconds: float


@dataclass(frozen=True)
class PhonemeSpan:
    start: int
    end: int
    alphabet: str
    """``ipa`` or ``cmu-arpabet``."""
    ph: str


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    value: str
    extra: str = ""


@dataclass
class SsmlDocument:
    plain: MappedText
    breaks: list[Break] = field(default_factory=list)
    phonemes: list[PhonemeSpan] = field(default_factory=list)
    langs: list[Span] = field(default_factory=list)
    say_as: list[Span] = field(default_factory=list)
    subs: list[Span] = field(default_factory=list)
    """Spans of the plain text that came from ``<sub alias>`` (spoken as given)."""


def has_markup(text: str) -> bool:
    return bool(_TAGLIKE.search(text) or _ENTITY.search(text))


def strip_markup(text: str) -> str:
    """The text without anything tag-like and with entities decoded (for language detection)."""
    return html.unescape(re.sub(r"<[^<>]*>", " ", text))


def parse_break_time(value: str) -> float:
    m = _TIME.match(value)
    if not m:
        raise SsmlError(f'<break time="{value}"/>: time must be like "1.5s" or "500ms".')
    seconds = float(m.group(1)) / (1000.0 if m.group(2).lower() == "ms" else 1.0)
    return min(seconds, MAX_BREAK_SECONDS)


def _attrs(raw: str) -> dict[str, str]:
    return {k.lower(): a or b for k, a, b in _ATTR.findall(raw)}


def _where(text: str, pos: int) -> str:
    snippet = text[max(0, pos - 15): pos + 25].replace("\n", " ")
    return f"at character {pos} (near {snippet!r})"


def _copy_text(b: MapBuilder, text: str, start: int, end: int) -> None:
    """Copy ``text[start:end]``, decoding XML entities (each maps to its whole ``&...;``)."""
    pos = start
    for m in _ENTITY.finditer(text, start, end):
        b.copy(pos, m.start())
        ent = m.group(0)
        ch = "\u00a0" if ent == "&nbsp;" else html.unescape(ent)
        b.emit(ch, m.start(), m.end())
        pos = m.end()
    b.copy(pos, end)


def parse(text: str) -> SsmlDocument:
    """Parse ``text`` (SSML or plain text with some tags); raises :class:`SsmlError`."""
    if not has_markup(text):
        return SsmlDocument(MappedText.identity(text))
    b = MapBuilder(text)
    doc = SsmlDocument(MappedText.identity(""))
    stack: list[tuple[str, int, int, dict[str, str]]] = []  # name, tag start, plain start, attrs
    pos = 0

    def plain_pos() -> int:
        return b.length

    while True:
        m = _TAGLIKE.search(text, pos)
        if m is None:
            break
        at = m.start()
        if text.startswith("<!--", at):
            end = text.find("-->", at + 4)
            if end < 0:
                raise SsmlError(f"Unclosed comment <!-- {_where(text, at)}.")
            _copy_text(b, text, pos, at)
            pos = end + 3
            continue
        if text.startswith("<?", at):
            end = text.find("?>", at + 2)
            if end < 0:
                raise SsmlError(f"Unclosed processing instruction <? {_where(text, at)}.")
            _copy_text(b, text, pos, at)
            pos = end + 2
            continue
        if text.startswith("<!", at):
            raise SsmlError(f"Unsupported markup declaration {_where(text, at)}.")
        tag = _TAG.match(text, at)
        if tag is None:
            raise SsmlError(f"Malformed tag {_where(text, at)}: expected <name attribute=\"value\" ...> "
                            "with quoted attribute values.")
        name = tag.group("name").lower()
        if name not in _KNOWN:
            raise SsmlError(f"Unsupported SSML tag <{tag.group('name')}> {_where(text, at)}. Supported: break, "
                            "phoneme, sub, say-as, lang, speak, p, s, emphasis, prosody, voice, mark, w.")
        _copy_text(b, text, pos, at)
        pos = tag.end()
        attrs = _attrs(tag.group("attrs"))
        closing = bool(tag.group("close"))
        selfclosing = bool(tag.group("self"))
        here = plain_pos()
        if closing:
            if name in _VOID:
                continue  # "<break ...></break>"
            if not stack or stack[-1][0] != name:
                want = f"</{stack[-1][0]}>" if stack else "no closing tag"
                raise SsmlError(f"Unexpected </{name}> {_where(text, at)}; expected {want}.")
            _, tag_start, p_start, a = stack.pop()
            _close(doc, name, a, p_start, here, text, tag_start)
            if name in ("p", "paragraph") and text[pos: pos + 1] not in ("\n",):
                b.emit("\n", pos, pos)
            continue
        if name == "break":
            doc.breaks.append(Break(here, _break_seconds(attrs, text, at)))
            continue
        if name == "mark":
            if not selfclosing:
                stack.append((name, at, here, attrs))
            continue
        if selfclosing:
            if name in ("phoneme", "sub", "say-as"):
                raise SsmlError(f"<{name}/> must wrap the text it applies to {_where(text, at)}.")
            continue
        if name == "sub":
            close = text.find("</sub>", pos)
            if close < 0:
                raise SsmlError(f"<sub> without </sub> {_where(text, at)}.")
            if _TAGLIKE.search(text, pos, close):
                raise SsmlError(f"<sub> may only contain text {_where(text, at)}.")
            alias = attrs.get("alias")
            if alias is None:
                raise SsmlError(f'<sub> needs an alias="..." attribute {_where(text, at)}.')
            start = plain_pos()
            b.emit(alias, at, close + 6)
            doc.subs.append(Span(start, start + len(alias), alias))
            pos = close + 6
            continue
        _check_open(name, attrs, text, at)
        stack.append((name, at, here, attrs))
    _copy_text(b, text, pos, len(text))
    if stack:
        name, tag_start, _, _ = stack[-1]
        raise SsmlError(f"<{name}> is never closed {_where(text, tag_start)}.")
    doc.plain = b.build()
    return doc


def _break_seconds(attrs: dict[str, str], text: str, at: int) -> float:
    if "time" in attrs:
        try:
            return parse_break_time(attrs["time"])
        except SsmlError as e:
            raise SsmlError(f"{e} ({_where(text, at)})") from None
    strength = attrs.get("strength", "medium").lower()
    if strength not in STRENGTHS:
        raise SsmlError(f'<break strength="{strength}"/> {_where(text, at)}: use one of {", ".join(STRENGTHS)}.')
    return STRENGTHS[strength]


def _check_open(name: str, attrs: dict[str, str], text: str, at: int) -> None:
    if name == "phoneme":
        alphabet = attrs.get("alphabet", "ipa").lower()
        if alphabet not in PHONEME_ALPHABETS:
            raise SsmlError(f'<phoneme alphabet="{alphabet}"> {_where(text, at)}: use "ipa" or "cmu-arpabet".')
        if not attrs.get("ph", "").strip():
            raise SsmlError(f'<phoneme> needs a non-empty ph="..." attribute {_where(text, at)}.')
        from polyvox.text.lexicon import LexiconError, to_ipa
        try:
            to_ipa(attrs["ph"], PHONEME_ALPHABETS[alphabet])
        except LexiconError as e:
            raise SsmlError(f"<phoneme ph=\"{attrs['ph']}\"> {_where(text, at)}: {e}") from None
    elif name == "say-as":
        kind = attrs.get("interpret-as", "").lower()
        if kind not in SAY_AS:
            raise SsmlError(f'<say-as interpret-as="{kind}"> {_where(text, at)}: use one of {", ".join(sorted(SAY_AS))}.')
    elif name == "lang":
        lang = attrs.get("xml:lang") or attrs.get("lang")
        if not lang or not re.match(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$", lang):
            raise SsmlError(f'<lang> needs xml:lang="xx" (a language tag) {_where(text, at)}.')


def _close(doc: SsmlDocument, name: str, attrs: dict[str, str], start: int, end: int, text: str, at: int) -> None:
    if name == "phoneme":
        if end <= start:
            raise SsmlError(f"<phoneme> wraps no text {_where(text, at)}.")
        doc.phonemes.append(PhonemeSpan(start, end, PHONEME_ALPHABETS[attrs.get("alphabet", "ipa").lower()],
                                        attrs["ph"].strip()))
    elif name == "say-as":
        doc.say_as.append(Span(start, end, attrs["interpret-as"].lower(), attrs.get("format", "")))
    elif name == "lang":
        lang = (attrs.get("xml:lang") or attrs.get("lang") or "").replace("_", "-").split("-")[0].lower()
        doc.langs.append(Span(start, end, lang))


_SAFE_CUT_TAG = re.compile(r"<(?P<close>/)?(?P<name>[A-Za-z][\w:.-]*)[^<>]*?(?P<self>/)?>")
_ELEMENTS = ("phoneme", "sub", "say-as", "lang")


def safe_cut(text: str, end: int) -> int | None:
    """Move a cut of streamed SSML text back so that no tag and no element is split.

    A WebSocket client sends text in pieces and the server generates audio for a prefix
    of the buffer; with SSML parsing on, that prefix must not end inside a tag
    (``<break time="1s"/>`` contains a space) or inside a ``phoneme``/``sub``/``say-as``/
    ``lang`` element. Returns the largest such cut ``<= end``, or None when there is none.
    """
    lt = text.rfind("<", 0, end)
    if lt >= 0 and _TAGLIKE.match(text, lt):
        gt = text.find(">", lt)
        if gt < 0 or gt >= end:
            end = lt
    stack: list[tuple[str, int]] = []
    for m in _SAFE_CUT_TAG.finditer(text, 0, end):
        name = m.group("name").lower()
        if m.group("self") or name in _VOID:
            continue
        if m.group("close"):
            if stack and stack[-1][0] == name:
                stack.pop()
        elif name in _ELEMENTS:
            stack.append((name, m.start()))
    if stack:
        end = stack[0][1]
    return end if end > 0 else None


__all__ = ["Break", "MAX_BREAK_SECONDS", "PhonemeSpan", "Span", "SsmlDocument", "SsmlError", "has_markup", "parse",
           "parse_break_time", "safe_cut", "strip_markup"]
