"""Italian: "1.234,5" numbers, "1º"/"2ª", "primo gennaio", regnal ordinals ("Luigi quattordicesimo")."""

from __future__ import annotations

import re

from polyvox.text.normalize.base import Normalizer
from polyvox.text.normalize.common import n2w
from polyvox.text.normalize.rules import Match

MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre")


# singular masculine nouns in -e (most nouns in -e after a count are feminine plurals: "ore", "volte")
_MASC_E = frozenset("""mese nome cane pane fiore padre mare sole ponte dente fiume giornale cognome signore
dottore professore paese piede cuore fine""".split())


class ItalianNormalizer(Normalizer):
    lang = "it"
    n2w_lang = "it"
    decimal_sep = ","
    group_seps = ".\u00a0"
    date_order = "DMY"
    decimal_digits = False
    words = {
        "point": "virgola", "minus": "meno", "plus": "più", "and": "e", "at": "chiocciola", "dot": "punto",
        "slash": "slash", "dash": "trattino", "underscore": "trattino basso", "colon": "due punti",
        "question": "punto interrogativo", "equals": "uguale", "hash": "cancelletto", "tilde": "tilde",
        "percent": "per cento", "percent_re": "per cento", "to": "a", "by": "per", "over": "su",
        "number": "numero", "hashtag": "hashtag", "about": "circa", "times": "per", "divided_by": "diviso",
        "plus_minus": "più o meno", "degrees": "gradi", "section": "paragrafo", "copyright": "copyright",
        "registered": "marchio registrato", "trademark": "marchio", "from": "da", "less_than": "minore di",
        "greater_than": "maggiore di", "of_currency": "di ",
    }
    months = MONTHS
    month_aliases = {**{m: i + 1 for i, m in enumerate(MONTHS)}, "gen": 1, "feb": 2, "mar": 3, "apr": 4,
                     "mag": 5, "giu": 6, "lug": 7, "ago": 8, "set": 9, "ott": 10, "nov": 11, "dic": 12}
    currencies = {
        "EUR": ("euro", "euro", "centesimo", "centesimi", "m"), "USD": ("dollaro", "dollari", "centesimo",
                                                                       "centesimi", "m"),
        "GBP": ("sterlina", "sterline", "penny", "pence", "f"), "JPY": ("yen", "yen", "", "", "m"),
        "CHF": ("franco svizzero", "franchi svizzeri", "centesimo", "centesimi", "m"),
        "INR": ("rupia", "rupie", "", "", "f"), "CNY": ("yuan", "yuan", "", "", "m"),
        "BTC": ("bitcoin", "bitcoin", "", "", "m"),
    }
    scales = {"k": 3, "M": 6, "mila": 3, "milione": 6, "milioni": 6, "miliardo": 9, "miliardi": 9, "mln": 6,
              "mld": 9, "mrd": 9}
    scale_names = {3: ("mila", "mila"), 6: ("milione", "milioni"), 9: ("miliardo", "miliardi")}
    units = {
        "km/h": ("chilometro orario", "chilometri orari", "m"), "m/s": ("metro al secondo", "metri al secondo",
                                                                       "m"),
        "km": ("chilometro", "chilometri", "m"), "cm": ("centimetro", "centimetri", "m"),
        "mm": ("millimetro", "millimetri", "m"), "m": ("metro", "metri", "m"), "kg": ("chilo", "chili", "m"),
        "g": ("grammo", "grammi", "m"), "mg": ("milligrammo", "milligrammi", "m"), "l": ("litro", "litri", "m"),
        "L": ("litro", "litri", "m"), "ml": ("millilitro", "millilitri", "m"), "°C": ("grado centigrado",
                                                                                    "gradi centigradi", "m"),
        "°": ("grado", "gradi", "m"), "h": ("ora", "ore", "f"), "min": ("minuto", "minuti", "m"),
        "s": ("secondo", "secondi", "m"), "ms": ("millisecondo", "millisecondi", "m"),
        "GB": ("gigabyte", "gigabyte", "m"), "MB": ("megabyte", "megabyte", "m"), "TB": ("terabyte", "terabyte",
                                                                                        "m"),
        "W": ("watt", "watt", "m"), "kW": ("chilowatt", "chilowatt", "m"), "kWh": ("chilowattora",
                                                                                  "chilowattora", "m"),
        "V": ("volt", "volt", "m"), "Hz": ("hertz", "hertz", "m"), "GHz": ("gigahertz", "gigahertz", "m"),
        "m²": ("metro quadrato", "metri quadrati", "m"), "mq": ("metro quadrato", "metri quadrati", "m"),
        "km²": ("chilometro quadrato", "chilometri quadrati", "m"), "ha": ("ettaro", "ettari", "m"),
    }
    abbreviations = {
        "Sig.": "signor", "Sig.ra": "signora", "Sig.na": "signorina", "Sigg.": "signori", "Dott.": "dottor",
        "Dott.ssa": "dottoressa", "Dr.": "dottor", "Prof.": "professor", "Prof.ssa": "professoressa",
        "Ing.": "ingegner", "Avv.": "avvocato", "Arch.": "architetto", "On.": "onorevole", "ecc.": "eccetera",
        "etc.": "eccetera", "p.es.": "per esempio", "ad es.": "ad esempio", "es.": "esempio", "n.": "numero",
        "nr.": "numero", "pag.": "pagina", "pagg.": "pagine", "p.": "pagina", "tel.": "telefono",
        "Tel.": "telefono", "v.": "via", "S.": "San", "S.p.A.": "società per azioni", "cap.": "capitolo",
        "vol.": "volume", "c.a": "corrente anno", "a.C.": "avanti Cristo", "d.C.": "dopo Cristo",
        "sec.": "secolo", "min.": "minimo", "max.": "massimo", "ca.": "circa", "fig.": "figura",
        "Spett.": "spettabile", "c/o": "presso",
    }
    word_acronyms = frozenset("""NATO ONU UNESCO UNICEF OPEC FIFA NASA AIDS COVID ISTAT FIAT INPS RAI ANSA
    CONI""".split())
    acronym_words = {"OK": "okay"}
    roman_keywords = frozenset("""capitolo parte tomo volume libro atto scena fase secolo articolo sezione
    titolo episodio stagione livello tipo classe""".split())
    regnal_names = frozenset("""Luigi Enrico Carlo Filippo Vittorio Emanuele Umberto Giovanni Paolo Pio
    Benedetto Gregorio Leone Innocenzo Clemente Elisabetta Riccardo Guglielmo Federico Ferdinando Napoleone
    Alessandro Pietro Francesco Giorgio Giacomo Sisto Urbano Bonifacio""".split())
    phone_patterns = (
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?!\d)",
        r"(?<![\w.])3\d{2}[ .-]?\d{3}[ .-]?\d{3,4}\b",
        r"(?<![\w.])0\d{1,3}[ .-]\d{5,8}\b",
    )

    def cardinal(self, n: int, gender: str = "m") -> str:
        if n < 0:
            return f"meno {self.cardinal(-n, gender)}"
        w = n2w(n, "it")
        if gender == "f" and w == "uno":  # "una mela", but "ventuno persone"
            w = "una"
        return w

    def cardinal_before_noun(self, n: int, gender: str = "m") -> str:
        w = self.cardinal(n, gender)
        if gender != "f" and w == "uno":
            return "un"
        return w

    def noun_gender(self, word: str) -> str | None:
        if not word.isalpha() or not word.islower():
            return None
        if word in ("problema", "sistema", "programa", "tema", "clima", "poema", "pianeta") or word in _MASC_E:
            return "m"
        return "f" if word.endswith(("a", "e", "ione", "tà")) else "m"

    def ordinal(self, n: int, gender: str = "m") -> str:
        w = n2w(n, "it", "ordinal")
        return w[:-1] + "a" if gender == "f" and w.endswith("o") else w

    def ordinal_patterns(self) -> list[str]:
        return [r"\b(?P<n>\d{1,3})\.?(?P<suf>[ºª°])(?!\s?[CF]\b)"]

    def ordinal_match(self, m: Match) -> str | None:
        return self.ordinal(int(m.group("n")), "f" if m.group("suf") == "ª" else "m")

    def regnal(self, value: int) -> str:
        return self.ordinal(value)

    def roman_before_keyword(self, value: int, keyword: str) -> str:
        return self.ordinal(value)

    def _roman(self, m: Match) -> str | None:
        from polyvox.text.normalize.common import roman_value
        if m.prev_word().lower() == "secolo":
            v = roman_value(m.group("r"))
            return self.ordinal(v) if v else None
        return super()._roman(m)

    def money(self, num: str, code: str, scale: str | None, neg: bool) -> str:
        sing, plur, minor1, minor2, gender = self.currencies.get(code, (code, code, "", "", "m"))
        sign = "meno " if neg else ""
        if scale:
            sw = self.scale_word(scale, num)
            if sw == "mila":
                return f"{sign}{self.number(num)} mila {plur}"
            head = "un" if self.is_one(num) else self.number(num)
            de = "d'" if plur[0] in "aeiou" else "di "
            return f"{sign}{head} {sw} {de}{plur}"
        intpart, frac = self.split(num)
        if frac is not None and len(frac) <= 2 and minor1:
            cents = int(frac.ljust(2, "0"))
            whole = int(intpart or "0")
            if whole == 0:
                return f"{sign}{self.cardinal_before_noun(cents)} {minor1 if cents == 1 else minor2}"
            head = f"{self.cardinal_before_noun(whole, gender)} {sing if whole == 1 else plur}"
            return f"{sign}{head} e {self.cardinal(cents)}" if cents else sign + head
        return super().money(num, code, scale, neg)

    def time_patterns(self) -> list[str]:
        return [r"\b(?P<h>[01]?\d|2[0-4])[:.](?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?\b(?!\.\d)"]

    def time(self, h: int, m: int, s: int | None, ampm: str | None) -> str:
        hour = "una" if h == 1 else self.cardinal(h)
        if m == 0:
            return f"{hour} in punto"
        if m == 15:
            return f"{hour} e un quarto"
        if m == 30:
            return f"{hour} e mezza"
        return f"{hour} e {self.cardinal(m)}"

    def date_word_patterns(self) -> list[str]:
        return [r"\b(?P<d>\d{1,2})(?:º|°)?\s+(?P<mon>{MON})(?:\s+(?P<y>\d{4}))?\b",
                r"\b(?P<mon>{MON})\s+(?P<y>\d{4})\b"]

    def date(self, y: int | None, mo: int, d: int, m: Match) -> str:
        month = MONTHS[mo - 1]
        if not d:
            return f"{month} {self.year(y)}"
        day = "primo" if d == 1 else self.cardinal(d)
        out = f"{day} {month}"
        return f"{out} {self.year(y)}" if y else out

    def half_with_noun(self, whole: int | None, noun: str) -> str | None:
        if not noun.islower():
            return None
        g = self.noun_gender(noun) or "m"
        half = "mezza" if g == "f" else "mezzo"
        if whole is None:
            return f"{half} {noun}"
        return f"{self.cardinal_before_noun(whole, g)} {noun} e {half}"

    def _range(self, m: Match) -> str:
        return f"da {self.number(m.group('a'))} a {self.number(m.group('b'))}"

    def fraction(self, a: int, b: int) -> str:
        if b == 2:
            return "un mezzo" if a == 1 else f"{self.cardinal(a)} mezzi"
        o = self.ordinal(b)
        return f"un {o}" if a == 1 else f"{self.cardinal(a)} {o[:-1]}i"

    def mixed_fraction(self, whole: int, a: int, b: int) -> str:
        if (a, b) == (1, 2):
            return f"{self.cardinal(whole)} e mezzo"
        return f"{self.cardinal(whole)} e {self.fraction(a, b)}"

    def abbreviation(self, key: str, m: Match) -> str | None:
        if key in ("n.", "nr.", "p.", "pag.", "pagg.", "cap.", "vol.", "fig.") and not re.match(r"\s*\d", m.after(3)):
            return None
        if key in ("S.", "v.") and not re.match(r"\s+[A-Z]", m.after(3)):
            return None
        return self.abbreviations.get(key)

    def sentence_final_ok(self, key: str, out: str = "") -> bool:
        return key in ("ecc.", "etc.", "a.C.", "d.C.", "S.p.A.")


__all__ = ["ItalianNormalizer"]
