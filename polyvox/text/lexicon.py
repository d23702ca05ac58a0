"""Pronunciation lexicons: PLS and plain-text files, rules, and applying them to text.

A lexicon is an ordered list of :class:`LexRule` s. A rule replaces a grapheme (a word or
several words) by an *alias* (other text to speak) or by *phonemes* (IPA, or CMU ARPAbet
with stress digits). Applying lexicons (:func:`apply_lexicons`) follows the ElevenLabs
rules: case-sensitive by default, whole words only by default, rules checked in order and
the first that matches at a position wins; the text a rule produced is not matched again.
Up to three lexicons are applied together, the rules of the first before those of the next.

Formats
    PLS (W3C Pronunciation Lexicon Specification 1.0): ``<lexicon alphabet="ipa"
    xml:lang="en-US">`` with ``<lexeme>`` s holding one or more ``<grapheme>`` and an
    ``<alias>`` or ``<phoneme>`` (a ``<phoneme alphabet="...">`` may override the lexicon's).
    Alphabets: ``ipa`` and ``cmu-arpabet`` (also ``x-cmu``, ``arpabet``).
    TXT: one ``grapheme<TAB>replacement`` per line; the replacement is an alias, or IPA
    between slashes (``/ˈzɪksɔɹ/``), or ARPAbet after ``cmu:`` (``cmu:Z IH1 K S AO0 R``).
    Blank lines and lines starting with ``#`` are ignored.

Phonemes for the engines
    :func:`to_ipa` turns a rule's phonemes into IPA; :func:`engine_ipa` adapts IPA to the
    eSpeak-style IPA that Kokoro and Piper were trained on (stress marks right before the
    vowel, ``ɡ``, ``ɹ``); :func:`ipa_to_espeak` converts IPA to eSpeak NG's own phoneme
    mnemonics for its ``[[...]]`` phoneme input (English phoneme set; other languages are
    approximated with the same symbols).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from polyvox.text.charmap import MapBuilder, MappedText

PLS_NS = "http://www.w3.org/2005/01/pronunciation-lexicon"
ALPHABETS = {"ipa": "ipa", "cmu-arpabet": "cmu-arpabet", "x-cmu": "cmu-arpabet", "cmu": "cmu-arpabet",
             "arpabet": "cmu-arpabet", "x-arpabet": "cmu-arpabet"}
MAX_RULES = 10_000


class LexiconError(ValueError):
    """An invalid lexicon file or rule; the message says what and where."""


@dataclass(frozen=True)
class LexRule:
    string_to_replace: str
    type: str
    """``alias`` or ``phoneme``."""
    alias: str | None = None
    phoneme: str | None = None
    alphabet: str | None = None
    """``ipa`` or ``cmu-arpabet`` for phoneme rules."""
    case_sensitive: bool = True
    word_boundaries: bool = True

    def to_dict(self) -> dict:
        d: dict = {"type": self.type, "string_to_replace": self.string_to_replace}
        if self.type == "alias":
            d["alias"] = self.alias
        else:
            d["phoneme"] = self.phoneme
            d["alphabet"] = self.alphabet
        d["case_sensitive"] = self.case_sensitive
        d["word_boundaries"] = self.word_boundaries
        return d

    @classmethod
    def from_dict(cls, d: dict) -> LexRule:
        """Validate a rule as the API sends it (alias or phoneme rule request model)."""
        grapheme = d.get("string_to_replace")
        if not isinstance(grapheme, str) or not grapheme.strip():
            raise LexiconError("Each rule needs a non-empty string_to_replace.")
        kind = d.get("type")
        cs = d.get("case_sensitive")
        wb = d.get("word_boundaries")
        common = {"case_sensitive": True if cs is None else bool(cs),
                  "word_boundaries": True if wb is None else bool(wb)}
        if kind == "alias":
            alias = d.get("alias")
            if not isinstance(alias, str):
                raise LexiconError(f"Alias rule for {grapheme!r} needs an 'alias' string.")
            return cls(grapheme.strip(), "alias", alias=alias, **common)
        if kind == "phoneme":
            ph = d.get("phoneme")
            alphabet = str(d.get("alphabet") or "ipa").lower()
            if alphabet not in ALPHABETS:
                raise LexiconError(f"Phoneme rule for {grapheme!r}: alphabet {alphabet!r} is not supported "
                                   "(use 'ipa' or 'cmu-arpabet').")
            if not isinstance(ph, str) or not ph.strip():
                raise LexiconError(f"Phoneme rule for {grapheme!r} needs a non-empty 'phoneme'.")
            to_ipa(ph, ALPHABETS[alphabet])  # validates
            return cls(grapheme.strip(), "phoneme", phoneme=ph.strip(), alphabet=ALPHABETS[alphabet], **common)
        raise LexiconError(f"Rule for {grapheme!r}: type must be 'alias' or 'phoneme', got {kind!r}.")


@dataclass
class Lexicon:
    rules: list[LexRule] = field(default_factory=list)
    language: str | None = None
    """``xml:lang`` of a PLS file (``en-US``); None applies to every language."""
    alphabet: str = "ipa"

    def applies_to(self, language: str) -> bool:
        if not self.language:
            return True
        return self.language.replace("_", "-").split("-")[0].lower() == language.split("-")[0].lower()


# --------------------------------------------------------------------------- PLS
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_pls(data: bytes | str) -> Lexicon:
    """Parse a PLS document; raises :class:`LexiconError` naming the problem."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw.strip():
        raise LexiconError("Invalid PLS: the file is empty.")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise LexiconError("Invalid PLS: DOCTYPE and ENTITY declarations are not allowed.")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        line, col = getattr(e, "position", (0, 0))
        msg = str(e).split(":")[0]
        raise LexiconError(f"Invalid PLS: not well-formed XML ({msg}) at line {line}, column {col + 1}.") from None
    if _local(root.tag) != "lexicon":
        raise LexiconError(f"Invalid PLS: the root element must be <lexicon>, found <{_local(root.tag)}>.")
    alphabet_raw = (root.get("alphabet") or "ipa").lower()
    if alphabet_raw not in ALPHABETS:
        raise LexiconError(f"Invalid PLS: alphabet {alphabet_raw!r} is not supported (use 'ipa' or 'cmu-arpabet').")
    lang = root.get("{http://www.w3.org/XML/1998/namespace}lang") or root.get("lang")
    lex = Lexicon(language=lang, alphabet=ALPHABETS[alphabet_raw])
    for i, lexeme in enumerate(root, 1):
        if _local(lexeme.tag) != "lexeme":
            if _local(lexeme.tag) in ("meta", "metadata"):
                continue
            raise LexiconError(f"Invalid PLS: unexpected <{_local(lexeme.tag)}> inside <lexicon> (item {i}).")
        graphemes = [(g.text or "").strip() for g in lexeme if _local(g.tag) == "grapheme"]
        if not graphemes or not all(graphemes):
            raise LexiconError(f"Invalid PLS: lexeme {i} needs at least one non-empty <grapheme>.")
        pron = next((c for c in lexeme if _local(c.tag) in ("alias", "phoneme")), None)
        if pron is None:
            raise LexiconError(f"Invalid PLS: lexeme {i} ({graphemes[0]!r}) has neither <alias> nor <phoneme>.")
        text = (pron.text or "").strip()
        if not text:
            raise LexiconError(f"Invalid PLS: lexeme {i} ({graphemes[0]!r}) has an empty <{_local(pron.tag)}>.")
        for g in graphemes:
            if _local(pron.tag) == "alias":
                lex.rules.append(LexRule(g, "alias", alias=text))
            else:
                a = (pron.get("alphabet") or lex.alphabet).lower()
                if a not in ALPHABETS:
                    raise LexiconError(f"Invalid PLS: lexeme {i} uses alphabet {a!r} (use 'ipa' or 'cmu-arpabet').")
                try:
                    to_ipa(text, ALPHABETS[a])
                except LexiconError as e:
                    raise LexiconError(f"Invalid PLS: lexeme {i} ({g!r}): {e}") from None
                lex.rules.append(LexRule(g, "phoneme", phoneme=text, alphabet=ALPHABETS[a]))
        if len(lex.rules) > MAX_RULES:
            raise LexiconError(f"Invalid PLS: more than {MAX_RULES} rules.")
    return lex


def write_pls(lex: Lexicon) -> bytes:
    """A PLS 1.0 document for ``lex`` (phoneme rules in another alphabet carry their own)."""
    lang = lex.language or "en-US"
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<lexicon version="1.0" xmlns="{PLS_NS}"',
             '      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
             f'      xsi:schemaLocation="{PLS_NS} http://www.w3.org/TR/2007/CR-pronunciation-lexicon-20071212/pls.xsd"',
             f"      alphabet={quoteattr(lex.alphabet)} xml:lang={quoteattr(lang)}>"]
    for r in lex.rules:
        lines.append("  <lexeme>")
        lines.append(f"    <grapheme>{escape(r.string_to_replace)}</grapheme>")
        if r.type == "alias":
            lines.append(f"    <alias>{escape(r.alias or '')}</alias>")
        elif r.alphabet and r.alphabet != lex.alphabet:
            lines.append(f"    <phoneme alphabet={quoteattr(r.alphabet)}>{escape(r.phoneme or '')}</phoneme>")
        else:
            lines.append(f"    <phoneme>{escape(r.phoneme or '')}</phoneme>")
        lines.append("  </lexeme>")
    lines.append("</lexicon>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def parse_txt(data: bytes | str) -> Lexicon:
    """Parse the plain-text lexicon format (see the module docstring)."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    lex = Lexicon()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "\t" not in line:
            raise LexiconError(f"Invalid lexicon: line {n} has no TAB between the word and its replacement.")
        grapheme, _, repl = line.partition("\t")
        grapheme, repl = grapheme.strip(), repl.strip()
        if not grapheme or not repl:
            raise LexiconError(f"Invalid lexicon: line {n} needs a word and a replacement.")
        if len(repl) > 2 and repl.startswith("/") and repl.endswith("/"):
            lex.rules.append(LexRule.from_dict({"type": "phoneme", "string_to_replace": grapheme,
                                                "phoneme": repl[1:-1], "alphabet": "ipa"}))
        elif repl.lower().startswith("cmu:"):
            lex.rules.append(LexRule.from_dict({"type": "phoneme", "string_to_replace": grapheme,
                                                "phoneme": repl[4:].strip(), "alphabet": "cmu-arpabet"}))
        else:
            lex.rules.append(LexRule(grapheme, "alias", alias=repl))
        if len(lex.rules) > MAX_RULES:
            raise LexiconError(f"Invalid lexicon: more than {MAX_RULES} rules.")
    return lex


def parse_lexicon_file(data: bytes, filename: str | None = None) -> Lexicon:
    """PLS, or the TXT format when the name ends in .txt/.tsv or the content is not XML."""
    name = (filename or "").lower()
    head = data.lstrip()[:1]
    if name.endswith((".txt", ".tsv")) or (head and head != b"<" and not name.endswith((".pls", ".xml"))):
        return parse_txt(data)
    return parse_pls(data)


# --------------------------------------------------------------------------- applying rules
@dataclass(frozen=True)
class PhonemeOverride:
    start: int
    end: int
    ipa: str


@dataclass
class LexResult:
    mapped: MappedText
    phonemes: list[PhonemeOverride]
    """Spans of ``mapped.text`` to be spoken as IPA."""
    replaced: list[tuple[int, int]]
    """Spans of ``mapped.text`` produced by a rule (aliases and phoneme spans)."""


class CompiledRules:
    """One alternation over all rules, in order: leftmost match, then first rule, wins."""

    def __init__(self, rules: Sequence[LexRule]) -> None:
        self.rules = list(rules)
        parts = []
        for k, r in enumerate(self.rules):
            body = r"\s+".join(re.escape(w) for w in r.string_to_replace.split())
            if r.word_boundaries:
                if r.string_to_replace[:1].isalnum() or r.string_to_replace[:1] == "_":
                    body = r"(?<!\w)" + body
                if r.string_to_replace[-1:].isalnum() or r.string_to_replace[-1:] == "_":
                    body += r"(?!\w)"
            if not r.case_sensitive:
                body = f"(?i:{body})"
            parts.append(f"(?P<r{k}>{body})")
        self.regex = re.compile("|".join(parts)) if parts else None
        self._ipa: dict[int, str] = {}

    def ipa(self, k: int) -> str:
        if k not in self._ipa:
            r = self.rules[k]
            self._ipa[k] = to_ipa(r.phoneme or "", r.alphabet or "ipa")
        return self._ipa[k]

    def finditer(self, text: str, start: int, end: int) -> Iterable[tuple[int, int, int]]:
        if self.regex is None:
            return
        for m in self.regex.finditer(text, start, end):
            yield m.start(), m.end(), int(m.lastgroup[1:])


def apply_lexicons(text: str, compiled: CompiledRules, protected: Sequence[tuple[int, int]] = ()) -> LexResult:
    """Apply the rules to ``text`` outside ``protected`` spans (see the module docstring)."""
    b = MapBuilder(text)
    phonemes: list[PhonemeOverride] = []
    replaced: list[tuple[int, int]] = []
    pos = 0
    free = _free(len(text), protected)
    for lo, hi in free:
        b.copy(pos, lo)
        pos = lo
        for s, e, k in compiled.finditer(text, lo, hi):
            r = compiled.rules[k]
            b.copy(pos, s)
            at = b.length
            if r.type == "alias":
                b.emit(r.alias or "", s, e)
            else:
                b.copy(s, e)
                phonemes.append(PhonemeOverride(at, b.length, compiled.ipa(k)))
            replaced.append((at, b.length))
            pos = e
        b.copy(pos, hi)
        pos = hi
    b.copy(pos, len(text))
    return LexResult(b.build(), phonemes, replaced)


def _free(n: int, protected: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for a, c in sorted(protected):
        if a > pos:
            out.append((pos, a))
        pos = max(pos, c)
    if pos < n:
        out.append((pos, n))
    return out


# --------------------------------------------------------------------------- phoneme alphabets
_ARPA_VOWELS = {
    "AA": "ɑː", "AE": "æ", "AH": "ʌ", "AO": "ɔː", "AW": "aʊ", "AY": "aɪ", "EH": "ɛ", "ER": "ɜː", "EY": "eɪ",
    "IH": "ɪ", "IY": "iː", "OW": "oʊ", "OY": "ɔɪ", "UH": "ʊ", "UW": "uː", "AX": "ə", "AXR": "ɚ", "IX": "ɪ",
    "UX": "uː",
}
_ARPA_UNSTRESSED = {"AH": "ə", "ER": "ɚ", "IY": "i", "AA": "ɑ", "AO": "ɔ", "UW": "u"}
_ARPA_CONSONANTS = {
    "B": "b", "CH": "tʃ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "H": "h", "JH": "dʒ", "K": "k",
    "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t", "TH": "θ",
    "V": "v", "W": "w", "WH": "w", "Y": "j", "Z": "z", "ZH": "ʒ", "DX": "ɾ", "NX": "ŋ", "Q": "ʔ", "EL": "əl",
    "EM": "əm", "EN": "ən",
}
_IPA_VOWELS = set("aeiouyæɑɒɐəɛɜɞɪɨʉʊʌɔøœɤɯɵɘʏɚɝᵻɶ")
_IPA_ALLOWED = re.compile(r"^[\sa-zæçðøħŋœɐɑɒɓɔɕɖɗɘəɚɛɜɝɞɟɠɡɢɣɤɥɦɧɨɪɫɬɭɮɯɰɱɲɳɴɵɶɸɹɺɻɽɾʀʁʂʃʄʈʉʊʋʌʍʎʏʐʑʒʔʕʘʙʛʜʝʟʡʢ"
                          r"ʤʧʦʣʨʥʰʲʷˈˌːˑ˞ˤ̩̯̪̥̬̃̊͡.'ːβεθχᵻⱱ‿ǀǁǂǃ:ˀ˔ʼ-]+$")


def arpabet_to_ipa(s: str) -> str:
    """CMU ARPAbet (``Z IH1 K S AO0 R``) to eSpeak-style IPA; stress digits give ˈ/ˌ before the vowel."""
    out: list[str] = []
    for tok in s.replace(",", " ").split():
        m = re.fullmatch(r"([A-Za-z]+)([012])?", tok)
        if not m:
            raise LexiconError(f"ARPAbet symbol {tok!r} is not valid (expected e.g. AA1, K, NG).")
        base, stress = m.group(1).upper(), m.group(2)
        if base in _ARPA_VOWELS:
            if stress == "0" or stress is None and base in _ARPA_UNSTRESSED:
                ipa = _ARPA_UNSTRESSED.get(base, _ARPA_VOWELS[base])
            else:
                ipa = _ARPA_VOWELS[base]
            mark = {"1": "ˈ", "2": "ˌ"}.get(stress or "", "")
            out.append(mark + ipa)
        elif base in _ARPA_CONSONANTS:
            if stress:
                raise LexiconError(f"ARPAbet consonant {tok!r} cannot carry a stress digit.")
            out.append(_ARPA_CONSONANTS[base])
        else:
            raise LexiconError(f"ARPAbet symbol {tok!r} is not in the CMU phoneme set.")
    if not out:
        raise LexiconError("empty ARPAbet phoneme string")
    return "".join(out)


def to_ipa(phoneme: str, alphabet: str) -> str:
    """A rule's or tag's phonemes as IPA; validates them."""
    alphabet = ALPHABETS.get(alphabet.lower(), alphabet.lower())
    if alphabet == "cmu-arpabet":
        return arpabet_to_ipa(phoneme)
    if alphabet != "ipa":
        raise LexiconError(f"alphabet {alphabet!r} is not supported (use 'ipa' or 'cmu-arpabet')")
    ipa = phoneme.strip().strip("/[]").strip()
    if not ipa:
        raise LexiconError("empty IPA phoneme string")
    if not _IPA_ALLOWED.match(ipa):
        bad = sorted({c for c in ipa if not _IPA_ALLOWED.match(c)})
        raise LexiconError(f"IPA string {phoneme!r} contains characters that are not IPA: {' '.join(bad)}")
    return ipa


def engine_ipa(ipa: str, language: str = "en") -> str:
    """IPA in the eSpeak style Kokoro and Piper read: stress before the vowel, ɡ, ɹ (English), no ties."""
    s = ipa.replace("'", "ˈ").replace(":", "ː").replace("ʧ", "tʃ").replace("ʤ", "dʒ").replace("g", "ɡ")
    s = s.replace("\u0361", "").replace("\u035c", "").replace(".", "").replace("‿", "")
    if language.startswith("en"):
        s = s.replace("r", "ɹ").replace("ɝ", "ɜː")
    # move each stress mark forward to the next vowel (eSpeak writes "həlˈoʊ", not "həˈloʊ")
    out: list[str] = []
    pending = ""
    for ch in s:
        if ch in "ˈˌ":
            pending = ch
            continue
        if pending and (ch in _IPA_VOWELS or ch.isspace()):
            if ch in _IPA_VOWELS:
                out.append(pending)
            pending = ""
        out.append(ch)
    return "".join(out)


# IPA -> eSpeak NG phoneme mnemonics (English phoneme table), longest match first
_IPA_TO_ESPEAK = sorted({
    "tʃ": "tS", "dʒ": "dZ", "θ": "T", "ð": "D", "ʃ": "S", "ʒ": "Z", "ŋ": "N", "ɹ": "r", "r": "r", "ɾ": "t#",
    "ʔ": "?", "j": "j", "w": "w", "h": "h", "l": "l", "m": "m", "n": "n", "p": "p", "b": "b", "t": "t", "d": "d",
    "k": "k", "ɡ": "g", "g": "g", "f": "f", "v": "v", "s": "s", "z": "z", "x": "x", "ç": "C",
    "aɪ": "aI", "aʊ": "aU", "eɪ": "eI", "oʊ": "oU", "əʊ": "@U", "ɔɪ": "OI", "ɪə": "i@", "eə": "e@", "ʊə": "U@",
    "ɑː": "A:", "ɔː": "O:", "iː": "i:", "uː": "u:", "ɜː": "3:", "ɚ": "3", "ɝ": "3:", "ə": "@", "æ": "a",
    "ɑ": "A:", "ɒ": "0", "ɔ": "O", "ɛ": "E", "e": "e", "ɪ": "I", "i": "i", "ʊ": "U", "u": "u:", "ʌ": "V",
    "a": "a", "o": "o", "ɐ": "a#", "y": "y", "ø": "Y", "œ": "W", "ɨ": "i", "ᵻ": "I2",
    "ˈ": "'", "ˌ": ",", "ː": ":", " ": " ",
}.items(), key=lambda kv: -len(kv[0]))


def ipa_to_espeak(ipa: str) -> str:
    """eSpeak NG phoneme mnemonics for its ``[[...]]`` input (characters it has no symbol for are dropped)."""
    s = engine_ipa(ipa, "en")
    out: list[str] = []
    i = 0
    while i < len(s):
        for k, v in _IPA_TO_ESPEAK:
            if s.startswith(k, i):
                out.append(v)
                i += len(k)
                break
        else:
            i += 1
    return "".join(out).strip()


__all__ = ["ALPHABETS", "CompiledRules", "LexResult", "LexRule", "Lexicon", "LexiconError", "PhonemeOverride",
           "apply_lexicons", "arpabet_to_ipa", "engine_ipa", "ipa_to_espeak", "parse_lexicon_file", "parse_pls",
           "parse_txt", "to_ipa", "write_pls"]
