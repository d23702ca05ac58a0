"""Readings of tokens that are not numbers: e-mail and web addresses, phone numbers,
abbreviations, acronyms and symbols (a mixin of :class:`~polyvox.text.normalize.base.Normalizer`;
the words come from the language's ``words`` table)."""

from __future__ import annotations

import re

from polyvox.text.normalize.rules import Match

_TLD_WORDS = frozenset({"com", "org", "net", "edu", "gov", "info", "biz", "app", "dev", "shop", "blog", "mil"})
_LETTER_ACRONYM_MAX = 5


class TokenReadings:
    """Needs ``w()``, ``words``, ``digits()``, ``integer_words()``, ``currencies``, ``currency_symbols``,
    ``abbreviations``, ``acronym_words`` and ``word_acronyms`` from the normaliser."""

    @staticmethod
    def _kept_period(m: Match) -> str:
        """"." when the match swallowed a period that also ends the sentence ("5 p.m. Then")."""
        if m.group(0).endswith(".") and re.match(r"\s*(?:$|\n|[A-ZÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÄÖÜÇÑ])", m.after(3)):
            return "."
        return ""

    def letters(self, s: str) -> str:
        """Spell a run of letters (and digits): ``"FBI"`` -> ``"F B I"``; engines name single capitals."""
        out: list[str] = []
        for tok in re.findall(r"\d+|[A-Za-z]", s):
            out.append(self.integer_words(tok) if tok.isdigit() else tok.upper())
        return " ".join(out)

    def _email(self, m: Match) -> str:
        user, _, domain = m.group(0).partition("@")
        return f"{self._address(user)} {self.w('at')} {self._address(domain, domain=True)}"

    def _url(self, m: Match) -> str:
        s = re.sub(r"^(?:https?|ftp)://", "", m.group(0), flags=re.IGNORECASE)
        host, slash, path = s.partition("/")
        out = self._address(host, domain=True)
        if slash and path:
            out += f" {self.w('slash')} " + self._address(path)
        return out

    def _address(self, s: str, domain: bool = False) -> str:
        names = {".": self.w("dot"), "/": self.w("slash"), "-": self.w("dash"), "_": self.w("underscore"),
                 ":": self.w("colon"), "?": self.w("question"), "=": self.w("equals"), "&": self.w("and"),
                 "#": self.w("hash"), "+": self.w("plus"), "~": self.w("tilde"), "%": self.w("percent")}
        out: list[str] = []
        parts = re.findall(r"[A-Za-z]+|\d+|.", s)
        last_alpha = len(parts) - 1 - next((i for i, p in enumerate(reversed(parts)) if p.isalpha()), 0)
        for i, p in enumerate(parts):
            if p.isdigit():
                out.append(self.integer_words(p) if len(p) <= 4 else self.digits(p))
            elif p.isalpha():
                low = p.lower()
                if low == "www":
                    out.append("W W W")
                elif domain and i == last_alpha and len(low) <= 2 and low not in ("co",):
                    out.append(" ".join(low.upper()))
                elif domain and i == last_alpha and low in _TLD_WORDS:
                    out.append(low)
                elif len(p) >= 2 and not re.search(r"[aeiouyAEIOUY]", p):
                    out.append(self.letters(p))
                else:
                    out.append(p)
            elif p in names:
                out.append(names[p])
        return " ".join(out)

    def _phone(self, m: Match) -> str:
        raw = m.group(0)
        lead = f"{self.w('plus')} " if raw.lstrip().startswith("+") else ""
        groups = re.findall(r"\d+", raw)
        return lead + ", ".join(self.phone_group(g) for g in groups)

    def phone_group(self, g: str) -> str:
        return self.digits(g)

    def _abbrev(self, m: Match) -> str | None:
        key = m.group(0)
        out = self.abbreviation(key, m)
        if out is None:
            return None
        if key[:1].isupper() and out[:1].islower() and re.search(r"(?:^|[.!?]\s+)$", m.before(3)):
            out = out[:1].upper() + out[1:]  # a sentence still starts with a capital
        # an abbreviation's period that also ends the sentence stays, so the sentence still ends
        if key.endswith(".") and re.match(r"\s*(?:$|\n|[A-ZÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÄÖÜÇÑ])", m.after(3)) and \
                self.sentence_final_ok(key, out):
            out += "."
        return out

    def abbreviation(self, key: str, m: Match) -> str | None:
        return self.abbreviations.get(key)

    def sentence_final_ok(self, key: str, out: str = "") -> bool:
        """May this abbreviation end a sentence (so its period is kept when a capital follows)?"""
        return True

    def _acronym(self, m: Match) -> str | None:
        tok = m.group(0)
        if "." in tok:
            core = tok.replace(".", "")
            if core.lower() in ("am", "pm"):
                return self.letters(core.upper()) + self._kept_period(m)
            if core in self.acronym_words:
                return self.acronym_words[core] + self._kept_period(m)
            return self.letters(core) + self._kept_period(m)
        plural = ""
        core = tok
        if tok.endswith("'s") or tok.endswith("’s"):
            core, plural = tok[:-2], "'s"
        elif tok.endswith("s") and tok[:-1].isupper() and len(tok) > 2:
            core, plural = tok[:-1], "'s"
        if core in self.acronym_words:
            return self.acronym_words[core] + ("s" if plural else "")
        upper = sum(1 for c in core if c.isupper())
        if upper < 2 and not any(c.isdigit() for c in core):
            return None
        if any(c.islower() for c in core):  # iPhone-like or CamelCase: leave to the engine
            if core in ("PhD", "GHz", "MHz", "kHz"):
                return self.letters(core)
            return None
        if self._shouting(m):
            return None
        if core in self.word_acronyms:
            return core.capitalize() + plural
        if "&" in core:
            return f" {self.w('and')} ".join(self.letters(p) for p in core.split("&"))
        if not any(c.isdigit() for c in core) and len(core) > _LETTER_ACRONYM_MAX and \
                re.search(r"[AEIOU].*[AEIOU]", core):
            return core.capitalize() + plural  # a long all-caps word: read it as a word
        spelled = self.letters(core)
        return spelled + plural

    def _shouting(self, m: Match) -> bool:
        """Is the acronym part of a run of all-caps words (shouted text, a headline)?"""
        window = m.text[max(0, m.start - 40): m.end + 40]
        words = re.findall(r"[A-Za-z]{2,}", window)
        caps = [w for w in words if w.isupper()]
        return len(words) >= 3 and len(caps) / len(words) >= 0.75 and len(caps) >= 3

    def _symbol(self, m: Match) -> str | None:
        ch = m.group(0)
        after = m.after(1)
        before = m.before(1)
        if ch == "#":
            return self.w("number") if after.isdigit() else self.w("hash")
        if ch == "~":
            return self.w("about") if after.isdigit() else " "
        if ch in "*_^|\\":
            return " "
        if ch == "/":
            return f" {self.w('slash')} " if before.strip() and after.strip() else " "
        if ch in "<>":
            return self.w("less_than" if ch == "<" else "greater_than") if (after in " 0123456789" and before in " ") \
                else " "
        if ch in "$€£¥":
            code = self.currency_symbols.get(ch, "")
            return self.currencies.get(code, ("", ch, "", "", "m"))[1]
        key = {"&": "and", "@": "at", "+": "plus", "=": "equals", "×": "times", "÷": "divided_by",
               "±": "plus_minus", "°": "degrees", "§": "section", "©": "copyright", "®": "registered",
               "™": "trademark", "→": "to", "←": "from", "%": "percent"}.get(ch)
        return self.w(key) if key else None


__all__ = ["TokenReadings"]
