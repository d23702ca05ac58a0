"""German: "1.234,5" numbers, "3." ordinals by context (inflected), "15:30 Uhr", years in hundreds."""

from __future__ import annotations

import re

from polyvox.text.normalize.base import Normalizer
from polyvox.text.normalize.common import n2w
from polyvox.text.normalize.rules import Match

MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember")
# words after which an ordinal takes the weak "-en" ending ("am dritten Mai", "zum zweiten Mal")
_DATIVE = frozenset("am im vom zum zur beim dem den des einem einen eines ab bis seit ihrem seinem".split())
_NOMINATIVE = frozenset("der die das ein eine".split())


class GermanNormalizer(Normalizer):
    lang = "de"
    n2w_lang = "de"
    decimal_sep = ","
    group_seps = ".\u00a0"
    date_order = "DMY"
    decimal_digits = True
    words = {
        "point": "Komma", "minus": "minus", "plus": "plus", "and": "und", "at": "at", "dot": "Punkt",
        "slash": "Schrägstrich", "dash": "Bindestrich", "underscore": "Unterstrich", "colon": "Doppelpunkt",
        "question": "Fragezeichen", "equals": "gleich", "hash": "Raute", "tilde": "Tilde", "percent": "Prozent",
        "percent_re": "Prozent", "to": "bis", "by": "mal", "over": "durch", "number": "Nummer",
        "hashtag": "Hashtag", "about": "etwa", "times": "mal", "divided_by": "geteilt durch",
        "plus_minus": "plus minus", "degrees": "Grad", "section": "Paragraf", "copyright": "Copyright",
        "registered": "eingetragene Marke", "trademark": "Marke", "from": "von", "less_than": "kleiner als",
        "greater_than": "größer als", "of_currency": "",
    }
    months = MONTHS
    month_aliases = {**{m.lower(): i + 1 for i, m in enumerate(MONTHS)}, "jan": 1, "feb": 2, "mär": 3, "apr": 4,
                     "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "okt": 10, "nov": 11, "dez": 12,
                     "jänner": 1}
    currencies = {
        "EUR": ("Euro", "Euro", "Cent", "Cent", "m"), "USD": ("Dollar", "Dollar", "Cent", "Cent", "m"),
        "GBP": ("Pfund", "Pfund", "Penny", "Pence", "n"), "JPY": ("Yen", "Yen", "", "", "m"),
        "CHF": ("Franken", "Franken", "Rappen", "Rappen", "m"), "INR": ("Rupie", "Rupien", "", "", "f"),
        "CNY": ("Yuan", "Yuan", "", "", "m"), "BTC": ("Bitcoin", "Bitcoin", "", "", "m"),
    }
    scales = {"Tsd.": 3, "Mio.": 6, "Mrd.": 9, "Million": 6, "Millionen": 6, "Milliarde": 9, "Milliarden": 9,
              "k": 3, "M": 6}
    scale_names = {3: ("tausend", "tausend"), 6: ("Million", "Millionen"), 9: ("Milliarde", "Milliarden")}
    units = {
        "km/h": ("Kilometer pro Stunde", "Kilometer pro Stunde", "m"), "m/s": ("Meter pro Sekunde",
                                                                            "Meter pro Sekunde", "m"),
        "km": ("Kilometer", "Kilometer", "m"), "cm": ("Zentimeter", "Zentimeter", "m"),
        "mm": ("Millimeter", "Millimeter", "m"), "m": ("Meter", "Meter", "m"), "kg": ("Kilogramm", "Kilogramm", "n"),
        "g": ("Gramm", "Gramm", "n"), "mg": ("Milligramm", "Milligramm", "n"), "l": ("Liter", "Liter", "m"),
        "L": ("Liter", "Liter", "m"), "ml": ("Milliliter", "Milliliter", "m"), "°C": ("Grad Celsius",
                                                                                    "Grad Celsius", "n"),
        "°": ("Grad", "Grad", "n"), "h": ("Stunde", "Stunden", "f"), "Std.": ("Stunde", "Stunden", "f"),
        "min": ("Minute", "Minuten", "f"), "Min.": ("Minute", "Minuten", "f"), "s": ("Sekunde", "Sekunden", "f"),
        "Sek.": ("Sekunde", "Sekunden", "f"), "ms": ("Millisekunde", "Millisekunden", "f"),
        "GB": ("Gigabyte", "Gigabyte", "n"), "MB": ("Megabyte", "Megabyte", "n"), "TB": ("Terabyte", "Terabyte",
                                                                                        "n"),
        "W": ("Watt", "Watt", "n"), "kW": ("Kilowatt", "Kilowatt", "n"), "kWh": ("Kilowattstunde",
                                                                                "Kilowattstunden", "f"),
        "V": ("Volt", "Volt", "n"), "Hz": ("Hertz", "Hertz", "n"), "GHz": ("Gigahertz", "Gigahertz", "n"),
        "m²": ("Quadratmeter", "Quadratmeter", "m"), "qm": ("Quadratmeter", "Quadratmeter", "m"),
        "km²": ("Quadratkilometer", "Quadratkilometer", "m"), "ha": ("Hektar", "Hektar", "m"),
        "PS": ("PS", "PS", "n"),
    }
    abbreviations = {
        "Dr.": "Doktor", "Prof.": "Professor", "Hr.": "Herr", "Hrn.": "Herrn", "Fr.": "Frau", "z. B.": "zum Beispiel",
        "z.B.": "zum Beispiel", "d. h.": "das heißt", "d.h.": "das heißt", "usw.": "und so weiter",
        "bzw.": "beziehungsweise", "ca.": "circa", "Nr.": "Nummer", "Str.": "Straße", "evtl.": "eventuell",
        "ggf.": "gegebenenfalls", "u. a.": "unter anderem", "u.a.": "unter anderem", "inkl.": "inklusive",
        "exkl.": "exklusive", "vgl.": "vergleiche", "bspw.": "beispielsweise", "sog.": "sogenannte",
        "S.": "Seite", "Abb.": "Abbildung", "Tel.": "Telefon", "Jh.": "Jahrhundert", "v. Chr.": "vor Christus",
        "n. Chr.": "nach Christus", "Mio.": "Millionen", "Mrd.": "Milliarden", "Tsd.": "Tausend",
        "zzgl.": "zuzüglich", "o. Ä.": "oder Ähnliches", "u. U.": "unter Umständen", "z. T.": "zum Teil",
        "Bd.": "Band", "Kap.": "Kapitel", "St.": "Sankt", "Dipl.-Ing.": "Diplomingenieur", "GmbH": "G M B H",
        "AG": "A G", "e. V.": "eingetragener Verein", "Mo.": "Montag", "Di.": "Dienstag", "Mi.": "Mittwoch",
        "Do.": "Donnerstag", "Fr": "Frau", "Sa.": "Samstag", "So.": "Sonntag", "Hbf.": "Hauptbahnhof",
        "Hbf": "Hauptbahnhof",
    }
    word_acronyms = frozenset("""NATO UNESCO UNICEF OPEC FIFA NASA AIDS COVID DAX TÜV BAföG ADAC GEMA""".split())
    acronym_words = {"OK": "okay", "ADAC": "A D A C"}
    roman_keywords = frozenset("""kapitel teil band buch akt szene phase jahrhundert artikel abschnitt titel
    episode staffel stufe typ klasse""".split())
    regnal_names = frozenset("""Ludwig Friedrich Wilhelm Karl Heinrich Otto Maximilian Leopold Joseph Franz
    Elisabeth Elizabeth Benedikt Johannes Paul Pius Gregor Leo Innozenz Klemens Georg Richard Ferdinand Philipp
    Rudolf Konrad Albrecht Sigismund August Peter Katharina Napoleon""".split())
    phone_patterns = (
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?!\d)",
        r"(?<![\w.])0\d{2,4}[ /-]\d{3,8}\b",
    )

    def cardinal(self, n: int, gender: str = "m") -> str:
        if n < 0:
            return f"minus {self.cardinal(-n, gender)}"
        return n2w(n, "de").replace("eins hundert", "einhundert")

    def cardinal_before_noun(self, n: int, gender: str = "m") -> str:
        w = self.cardinal(n, gender)
        if w.endswith("eins"):  # "ein Euro", "eine Stunde", "einundzwanzig" keeps its form
            return w[:-4] + ("eine" if gender == "f" else "ein")
        return w

    def noun_gender(self, word: str) -> str | None:
        if not word[:1].isupper() or not word.isalpha():
            return None
        low = word.lower()
        if low in ("junge", "name", "käse", "affe", "löwe", "kunde", "mensch", "herr"):
            return "m"
        return "f" if low.endswith(("e", "ung", "heit", "keit", "schaft", "ion", "tät", "ik", "ei")) else "m"

    def ordinal(self, n: int, gender: str = "m", ending: str = "e") -> str:
        base = n2w(n, "de", "ordinal")  # "dritte"
        return base[:-1] + ending if base.endswith("e") else base + ending

    def year(self, n: int) -> str:
        if 1100 <= n <= 1999:
            return n2w(n, "de", "year")
        return self.cardinal(n)

    def looks_like_year(self, n: int, m: Match) -> bool:
        if not 1100 <= n <= 1999:
            return False
        prev = m.prev_word().lower()
        return prev in ("im", "jahr", "jahre", "jahres", "seit", "bis", "von", "ab", "anno", "um", "vor", "nach") or \
            bool(re.search(r"(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|"
                           r"Dezember)\s*$", m.before(12)))

    def _ending(self, m: Match) -> str:
        prev = m.prev_word().lower()
        if prev in _DATIVE:
            return "en"
        if prev in _NOMINATIVE:
            return "e"
        return "er"

    def ordinal_patterns(self) -> list[str]:
        mon = "|".join(MONTHS)
        return [rf"\b(?P<n>\d{{1,3}})\.(?=\s*(?:{mon})\b)",
                r"\b(?P<n>\d{1,3})\.(?=\s+\w)"]

    def ordinal_match(self, m: Match) -> str | None:
        n = int(m.group("n"))
        if re.match(r"\s*(?:" + "|".join(MONTHS) + r")\b", m.after(12)):
            if not 1 <= n <= 31:
                return None
        elif m.prev_word().lower() not in _DATIVE | _NOMINATIVE:
            return None
        return self.ordinal(n, ending=self._ending(m))

    def regnal(self, value: int) -> str:
        return "der " + self.ordinal(value, ending="e").capitalize()

    def roman_before_keyword(self, value: int, keyword: str) -> str:
        return self.ordinal(value, ending="e")

    def special_rules(self):
        # "Ludwig XIV." with its period; "Hauptstr." -> "Hauptstraße"
        return [(r"\b(?P<r>[IVXLC]{1,7})\.", self._regnal_dot),
                (r"\b(?P<w>[A-ZÄÖÜ][a-zäöüß]+)str\.", lambda m: m.group("w") + "straße")]

    def _regnal_dot(self, m: Match) -> str | None:
        from polyvox.text.normalize.common import roman_value
        prev = m.prev_word()
        v = roman_value(m.group("r"))
        if not v or prev not in self.regnal_names:
            return None
        return self.regnal(v)

    def money(self, num: str, code: str, scale: str | None, neg: bool) -> str:
        sing, plur, minor1, minor2, gender = self.currencies.get(code, (code, code, "", "", "m"))
        sign = "minus " if neg else ""
        if scale:
            sw = self.scale_word(scale, num)
            head = self.number(num)
            if self.is_one(num) and sw in ("Million", "Milliarde"):
                head = "eine"
            return f"{sign}{head} {sw} {plur}"
        intpart, frac = self.split(num)
        if frac is not None and len(frac) <= 2 and minor1:
            cents = int(frac.ljust(2, "0"))
            whole = int(intpart or "0")
            if whole == 0:
                return f"{sign}{self.cardinal_before_noun(cents)} {minor2}"
            head = f"{self.cardinal_before_noun(whole, gender)} {sing if whole == 1 else plur}"
            return f"{sign}{head} {self.cardinal(cents)}" if cents else sign + head
        return f"{sign}{self.number(num, gender, noun=True)} {plur if not self.is_one(num) else sing}"

    def time_patterns(self) -> list[str]:
        return [r"\b(?P<h>[01]?\d|2[0-4])[:.](?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?\s?Uhr\b",
                r"\b(?P<h>[01]?\d|2[0-4]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?\b"]

    def time(self, h: int, m: int, s: int | None, ampm: str | None) -> str:
        hour = "ein" if h == 1 else self.cardinal(h)
        return f"{hour} Uhr {self.cardinal(m)}" if m else f"{hour} Uhr"

    def date_word_patterns(self) -> list[str]:
        return [r"\b(?P<d>\d{1,2})\.\s*(?P<mon>{MON})(?:\s+(?P<y>\d{4}))?\b",
                r"\b(?P<mon>{MON})\s+(?P<y>\d{4})\b"]

    def date(self, y: int | None, mo: int, d: int, m: Match) -> str:
        month = MONTHS[mo - 1]
        if not d:
            return f"{month} {self.year(y)}"
        out = f"{self.ordinal(d, ending=self._ending(m))} {month}"
        return f"{out} {self.year(y)}" if y else out

    def half_with_noun(self, whole: int | None, noun: str) -> str | None:
        if not noun[:1].isupper():
            return None
        if whole is None:
            return f"{'eine halbe' if self.noun_gender(noun) == 'f' else 'ein halber'} {noun}"
        return f"{self.cardinal(whole)}einhalb {noun}"

    def fraction(self, a: int, b: int) -> str:
        names = {2: "halb", 3: "Drittel", 4: "Viertel"}
        if b == 2:
            return "ein halb" if a == 1 else f"{self.cardinal(a)} Halbe"
        name = names.get(b) or (n2w(b, "de", "ordinal")[:-1] + "l").capitalize()
        return f"{self.cardinal_before_noun(a, 'n')} {name}"

    def mixed_fraction(self, whole: int, a: int, b: int) -> str:
        if (a, b) == (1, 2):
            return f"{self.cardinal(whole)}einhalb"
        return f"{self.cardinal(whole)} und {self.fraction(a, b)}"

    def abbreviation(self, key: str, m: Match) -> str | None:
        if key in ("Nr.", "S.", "Bd.", "Kap.") and not re.match(r"\s*\d", m.after(3)):
            return None
        if key in ("Fr.", "Fr", "Hr.", "Hrn.", "St.") and not re.match(r"\s+[A-ZÄÖÜ]", m.after(3)):
            return None
        return self.abbreviations.get(key)

    def sentence_final_ok(self, key: str, out: str = "") -> bool:
        return key in ("usw.", "v. Chr.", "n. Chr.", "o. Ä.", "e. V.", "Hbf.", "inkl.", "Str.")


__all__ = ["GermanNormalizer"]
