"""French: "1 234,5" numbers, "15h30", "1er"/"2e", phone numbers read in pairs."""

from __future__ import annotations

import re

from polyvox.text.normalize.base import Normalizer
from polyvox.text.normalize.common import n2w
from polyvox.text.normalize.rules import Match

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


_FEM_WORDS = frozenset("""tasse cuillère heure minute seconde semaine personne fois année journée livre page femme fille
nuit chose place ville maison voiture porte table chaise école langue part partie""".split())
_ROMAN_ORDINAL_NOUNS = frozenset("siècle siècles arrondissement république empire millénaire dynastie".split())


class FrenchNormalizer(Normalizer):
    lang = "fr"
    n2w_lang = "fr"
    decimal_sep = ","
    group_seps = " \u00a0\u202f."
    date_order = "DMY"
    decimal_digits = False
    words = {
        "point": "virgule", "minus": "moins", "plus": "plus", "and": "et", "at": "arobase", "dot": "point",
        "slash": "slash", "dash": "tiret", "underscore": "tiret bas", "colon": "deux-points",
        "question": "point d'interrogation", "equals": "égal", "hash": "dièse", "tilde": "tilde",
        "percent": "pour cent", "percent_re": "pour cent", "to": "à", "by": "par", "over": "sur",
        "number": "numéro", "hashtag": "hashtag", "about": "environ", "times": "fois", "divided_by": "divisé par",
        "plus_minus": "plus ou moins", "degrees": "degrés", "section": "paragraphe", "copyright": "copyright",
        "registered": "marque déposée", "trademark": "marque", "from": "de", "less_than": "inférieur à",
        "greater_than": "supérieur à", "of_currency": "de ",
    }
    months = MONTHS
    month_aliases = {**{m: i + 1 for i, m in enumerate(MONTHS)}, "janv": 1, "févr": 2, "fevrier": 2, "avr": 4,
                     "juil": 7, "aout": 8, "sept": 9, "oct": 10, "nov": 11, "déc": 12, "decembre": 12}
    currencies = {
        "EUR": ("euro", "euros", "centime", "centimes", "m"), "USD": ("dollar", "dollars", "cent", "cents", "m"),
        "GBP": ("livre", "livres", "penny", "pence", "f"), "JPY": ("yen", "yens", "", "", "m"),
        "CHF": ("franc suisse", "francs suisses", "centime", "centimes", "m"),
        "CAD": ("dollar canadien", "dollars canadiens", "cent", "cents", "m"),
        "INR": ("roupie", "roupies", "", "", "f"), "CNY": ("yuan", "yuans", "", "", "m"),
        "BRL": ("réal", "réaux", "centavo", "centavos", "m"), "BTC": ("bitcoin", "bitcoins", "", "", "m"),
    }
    scales = {"k": 3, "M": 6, "Md": 9, "Mds": 9, "mille": 3, "million": 6, "millions": 6, "milliard": 9,
              "milliards": 9}
    scale_names = {3: ("mille", "mille"), 6: ("million", "millions"), 9: ("milliard", "milliards")}
    units = {
        "km/h": ("kilomètre heure", "kilomètres heure", "m"), "m/s": ("mètre par seconde", "mètres par seconde",
                                                                      "m"),
        "km": ("kilomètre", "kilomètres", "m"), "cm": ("centimètre", "centimètres", "m"),
        "mm": ("millimètre", "millimètres", "m"), "m": ("mètre", "mètres", "m"), "kg": ("kilo", "kilos", "m"),
        "g": ("gramme", "grammes", "m"), "mg": ("milligramme", "milligrammes", "m"), "l": ("litre", "litres", "m"),
        "L": ("litre", "litres", "m"), "ml": ("millilitre", "millilitres", "m"), "cl": ("centilitre",
                                                                                      "centilitres", "m"),
        "°C": ("degré Celsius", "degrés Celsius", "m"), "°": ("degré", "degrés", "m"),
        "min": ("minute", "minutes", "f"), "s": ("seconde", "secondes", "f"), "ms": ("milliseconde",
                                                                                 "millisecondes", "f"),
        "Go": ("gigaoctet", "gigaoctets", "m"), "Mo": ("mégaoctet", "mégaoctets", "m"), "To": ("téraoctet",
                                                                                              "téraoctets", "m"),
        "W": ("watt", "watts", "m"), "kW": ("kilowatt", "kilowatts", "m"), "kWh": ("kilowattheure",
                                                                                  "kilowattheures", "m"),
        "V": ("volt", "volts", "m"), "Hz": ("hertz", "hertz", "m"), "GHz": ("gigahertz", "gigahertz", "m"),
        "m²": ("mètre carré", "mètres carrés", "m"), "m2": ("mètre carré", "mètres carrés", "m"),
        "km²": ("kilomètre carré", "kilomètres carrés", "m"), "ha": ("hectare", "hectares", "m"),
    }
    abbreviations = {
        "M.": "monsieur", "MM.": "messieurs", "Mme": "madame", "Mmes": "mesdames", "Mlle": "mademoiselle",
        "Mlles": "mesdemoiselles", "Dr": "docteur", "Dr.": "docteur", "Pr": "professeur", "Me": "maître",
        "St": "saint", "Ste": "sainte", "etc.": "et cetera", "av.": "avenue", "bd": "boulevard", "Bd": "boulevard",
        "n°": "numéro", "N°": "numéro", "no": "numéro", "p.": "page", "env.": "environ",
        "c.-à-d.": "c'est-à-dire", "cf.": "confer", "éd.": "édition", "vol.": "volume", "chap.": "chapitre",
        "tél.": "téléphone", "Tél.": "téléphone", "min.": "minimum", "max.": "maximum", "apr.": "après",
        "av. J.-C.": "avant Jésus-Christ", "apr. J.-C.": "après Jésus-Christ", "Cie": "compagnie",
        "S.A.": "société anonyme", "qqch": "quelque chose", "qqn": "quelqu'un", "svp": "s'il vous plaît",
        "SVP": "s'il vous plaît", "rdv": "rendez-vous", "ex.": "exemple", "p. ex.": "par exemple",
    }
    word_acronyms = frozenset("""OTAN ONU UNESCO UNICEF OPEP FIFA NASA SIDA OVNI CAC COVID ENA INSEE INSERM
    CNES ONG""".split())
    acronym_words = {"OK": "okay", "ONG": "O N G"}
    roman_keywords = frozenset("""chapitre partie tome volume livre acte scène phase siècle article section
    titre épisode saison niveau type classe""".split())
    regnal_names = frozenset("""Louis Henri François Charles Philippe Napoléon Jean Pie Benoît Grégoire Léon
    Innocent Clément Paul Élisabeth Elizabeth Richard Guillaume Frédéric Nicolas Pierre Jacques Alexandre
    Édouard Edouard Georges Urbain""".split())
    phone_patterns = (
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?!\d)",
        r"(?<![\w.])0\d(?:[ .-]?\d{2}){4}\b",
    )

    def cardinal(self, n: int, gender: str = "m") -> str:
        if n < 0:
            return f"moins {self.cardinal(-n, gender)}"
        w = n2w(n, "fr")
        if gender == "f" and (w == "un" or w.endswith("et un") or w.endswith("-un")):
            w = w[:-2] + "une"
        return w

    def noun_gender(self, word: str) -> str | None:
        if not word.isalpha() or not word.islower():
            return None
        sing = word[:-1] if word.endswith(("s", "x")) and len(word) > 3 else word
        if sing in _FEM_WORDS or sing.endswith(("tion", "sion", "té", "ure", "ette", "elle", "ance", "ence",
                                                "ade", "ude", "ée", "ise", "euse", "trice")):
            return "f"
        return "m"

    def ordinal(self, n: int, gender: str = "m") -> str:
        if n == 1:
            return "première" if gender == "f" else "premier"
        return n2w(n, "fr", "ordinal")

    def year(self, n: int) -> str:
        return self.cardinal(n)

    def ordinal_patterns(self) -> list[str]:
        return [r"\b(?P<n>\d{1,4})(?P<suf>er|re|ère|ers|res|e|es|è|ème|èmes|eme|nd|nde|d)\b"]

    def ordinal_match(self, m: Match) -> str | None:
        n = int(m.group("n"))
        suf = m.group("suf")
        if suf.startswith(("er", "r", "ère")) and n != 1:
            return None
        if suf in ("nd", "nde", "d"):
            if n != 2:
                return None
            return "seconde" if suf == "nde" else "second"
        out = self.ordinal(n, "f" if suf in ("re", "ère", "res") else "m")
        return out + "s" if suf in ("ers", "res", "es", "èmes") else out

    def regnal(self, value: int) -> str:
        return "premier" if value == 1 else self.cardinal(value)

    def roman_before_keyword(self, value: int, keyword: str) -> str:
        return self.ordinal(value)

    def special_rules(self):
        # "XXIe siècle", "Ier", "IIIe République"
        return [(r"\b(?P<r>[IVXLC]+)(?P<suf>er|re|e|ème)\b", self._roman_ordinal)]

    def _roman_ordinal(self, m: Match) -> str | None:
        from polyvox.text.normalize.common import roman_value
        r, suf = m.group("r"), m.group("suf")
        v = roman_value(r)
        if not v:
            return None
        if len(r) < 2 and suf not in ("er", "re", "ème") and m.next_word().lower() not in _ROMAN_ORDINAL_NOUNS:
            return None
        if suf in ("er", "re") and v != 1:
            return None
        return self.ordinal(v, "f" if suf == "re" else "m")

    def phone_group(self, g: str) -> str:
        if len(g) == 2:
            return ("zéro " + self.cardinal(int(g[1]))) if g[0] == "0" else self.cardinal(int(g))
        return self.digits(g)

    def money(self, num: str, code: str, scale: str | None, neg: bool) -> str:
        sing, plur, minor1, minor2, gender = self.currencies.get(code, (code, code, "", "", "m"))
        sign = "moins " if neg else ""
        if scale:
            sw = self.scale_word(scale, num)
            if sw == "mille":
                return f"{sign}{self.number(num)} mille {plur}"
            de = "d'" if plur[0] in "aeiouéè" else "de "
            return f"{sign}{self.number(num)} {sw} {de}{plur}"
        intpart, frac = self.split(num)
        if frac is not None and len(frac) <= 2:
            cents = int(frac.ljust(2, "0"))
            whole = int(intpart or "0")
            head = f"{self.cardinal(whole, gender)} {sing if whole <= 1 else plur}"
            if whole == 0 and cents:
                return f"{sign}{self.cardinal(cents)} {minor1 if cents == 1 else minor2}"
            return f"{sign}{head} {self.cardinal(cents)}" if cents else sign + head
        return f"{sign}{self.number(num, gender)} {sing if self.is_one(num) or int(intpart or 0) == 0 else plur}"

    def time_patterns(self) -> list[str]:
        return [r"\b(?P<h>[01]?\d|2[0-4])\s?(?:h|:)\s?(?P<m>[0-5]\d)?(?::(?P<s>[0-5]\d))?(?![\w:])"]

    def _time(self, m: Match) -> str | None:
        if ":" in m.group(0) and m.group("m") is None:
            return None
        return super()._time(m)

    def time(self, h: int, m: int, s: int | None, ampm: str | None) -> str:
        hour = f"{self.cardinal(h, 'f')} {'heure' if h <= 1 else 'heures'}"
        return f"{hour} {self.cardinal(m, 'f')}" if m else hour

    def date_word_patterns(self) -> list[str]:
        return [r"\b(?P<d>1er|\d{1,2})\s+(?P<mon>{MON})\.?(?:\s+(?P<y>\d{4}))?\b",
                r"\b(?P<mon>{MON})\s+(?P<y>\d{4})\b"]

    def date(self, y: int | None, mo: int, d: int, m: Match) -> str:
        month = MONTHS[mo - 1]
        if not d:
            return f"{month} {self.year(y)}"
        day = "premier" if d == 1 else self.cardinal(d)
        out = f"{day} {month}"
        return f"{out} {self.year(y)}" if y else out

    def half_with_noun(self, whole: int | None, noun: str) -> str | None:
        if not noun.islower():
            return None
        g = self.noun_gender(noun) or "m"
        if whole is None:
            return f"{'une' if g == 'f' else 'un'} demi-{noun}"
        return f"{self.cardinal(whole, g)} {noun} et {'demie' if g == 'f' else 'demi'}"

    def fraction(self, a: int, b: int) -> str:
        names = {2: ("demi", "demis"), 3: ("tiers", "tiers"), 4: ("quart", "quarts")}
        if b in names:
            name = names[b][0 if a == 1 else 1]
        else:
            name = self.ordinal(b) + ("s" if a > 1 else "")
        return f"{self.cardinal(a)} {name}"

    def mixed_fraction(self, whole: int, a: int, b: int) -> str:
        if (a, b) == (1, 2):
            return f"{self.cardinal(whole)} et demi"
        return f"{self.cardinal(whole)} et {self.fraction(a, b)}"

    def abbreviation(self, key: str, m: Match) -> str | None:
        if key in ("M.", "MM.", "Dr", "Dr.", "Pr", "Me", "St", "Ste", "Mme", "Mlle") and \
                not re.match(r"\s+[A-ZÀ-Ý]", m.after(3)):
            return None
        if key in ("n°", "N°", "no", "p.") and not re.match(r"\s*\d", m.after(3)):
            return None
        return self.abbreviations.get(key)

    def sentence_final_ok(self, key: str, out: str = "") -> bool:
        return key in ("etc.", "av. J.-C.", "apr. J.-C.", "S.A.")


__all__ = ["FrenchNormalizer"]
