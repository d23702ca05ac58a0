"""Spanish: "1.234,5" numbers, day-month-year dates, apocope ("un euro", "veintiún dólares")."""

from __future__ import annotations

import re

from polyvox.text.normalize.base import Normalizer
from polyvox.text.normalize.common import n2w
from polyvox.text.normalize.rules import Match

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")


_FEM_ENDINGS = ("a", "as", "ión", "iones", "dad", "dades", "tad", "tades", "umbre", "umbres")
_MASC_A = frozenset("día mapa problema sistema programa tema idioma planeta clima poema dilema sofá".split())


def feminine(words: str) -> str:
    """uno -> una, veintiuno -> veintiuna, doscientos -> doscientas (not before millón)."""
    out = []
    toks = words.split()
    for i, t in enumerate(toks):
        later_scale = any(x.startswith(("mill", "bill")) for x in toks[i + 1:])
        if not later_scale:
            if t.endswith("uno"):
                t = t[:-3] + "una"
            elif t.endswith("ientos"):
                t = t[:-6] + "ientas"
            elif t == "quinientos":
                t = "quinientas"
        out.append(t)
    return " ".join(out)


def apocope(words: str) -> str:
    """A count before a masculine noun: veintiuno -> veintiún, uno -> un."""
    if words.endswith("veintiuno"):
        return words[:-9] + "veintiún"
    if words.endswith("uno"):
        return words[:-3] + "un"
    return words


class SpanishNormalizer(Normalizer):
    lang = "es"
    n2w_lang = "es"
    decimal_sep = ","
    group_seps = ".\u00a0"
    date_order = "DMY"
    decimal_digits = False
    words = {
        "point": "coma", "minus": "menos", "plus": "más", "and": "y", "at": "arroba", "dot": "punto",
        "slash": "barra", "dash": "guion", "underscore": "guion bajo", "colon": "dos puntos",
        "question": "interrogación", "equals": "igual a", "hash": "almohadilla", "tilde": "virgulilla",
        "percent": "por ciento", "percent_re": "por ciento", "to": "a", "by": "por", "over": "entre",
        "number": "número", "hashtag": "hashtag", "about": "aproximadamente", "times": "por",
        "divided_by": "entre", "plus_minus": "más menos", "degrees": "grados", "section": "sección",
        "copyright": "copyright", "registered": "marca registrada", "trademark": "marca comercial",
        "from": "desde", "less_than": "menor que", "greater_than": "mayor que", "of_currency": "de ",
    }
    months = MONTHS
    month_aliases = {**{m: i + 1 for i, m in enumerate(MONTHS)}, **{m[:3]: i + 1 for i, m in enumerate(MONTHS)},
                     "sept": 9, "setiembre": 9}
    currencies = {
        "USD": ("dólar", "dólares", "centavo", "centavos", "m"), "EUR": ("euro", "euros", "céntimo", "céntimos", "m"),
        "GBP": ("libra", "libras", "penique", "peniques", "f"), "JPY": ("yen", "yenes", "", "", "m"),
        "MXN": ("peso", "pesos", "centavo", "centavos", "m"), "BRL": ("real", "reales", "centavo", "centavos", "m"),
        "INR": ("rupia", "rupias", "", "", "f"), "CHF": ("franco suizo", "francos suizos", "céntimo", "céntimos", "m"),
        "CNY": ("yuan", "yuanes", "", "", "m"), "ARS": ("peso", "pesos", "centavo", "centavos", "m"),
        "COP": ("peso", "pesos", "centavo", "centavos", "m"), "CLP": ("peso", "pesos", "", "", "m"),
        "BTC": ("bitcóin", "bitcoins", "", "", "m"), "CAD": ("dólar canadiense", "dólares canadienses",
                                                              "centavo", "centavos", "m"),
    }
    scales = {"mil": 3, "millón": 6, "millones": 6, "mil millones": 9, "billón": 12, "billones": 12, "M": 6,
              "k": 3}
    scale_names = {3: ("mil", "mil"), 6: ("millón", "millones"), 9: ("mil millones", "mil millones"),
                   12: ("billón", "billones")}
    units = {
        "km/h": ("kilómetro por hora", "kilómetros por hora", "m"), "m/s": ("metro por segundo",
                                                                         "metros por segundo", "m"),
        "km": ("kilómetro", "kilómetros", "m"), "cm": ("centímetro", "centímetros", "m"),
        "mm": ("milímetro", "milímetros", "m"), "m": ("metro", "metros", "m"), "kg": ("kilo", "kilos", "m"),
        "g": ("gramo", "gramos", "m"), "mg": ("miligramo", "miligramos", "m"), "l": ("litro", "litros", "m"),
        "L": ("litro", "litros", "m"), "ml": ("mililitro", "mililitros", "m"),
        "°C": ("grado centígrado", "grados centígrados", "m"), "ºC": ("grado centígrado", "grados centígrados", "m"),
        "°F": ("grado Fahrenheit", "grados Fahrenheit", "m"), "°": ("grado", "grados", "m"),
        "h": ("hora", "horas", "f"), "min": ("minuto", "minutos", "m"), "s": ("segundo", "segundos", "m"),
        "ms": ("milisegundo", "milisegundos", "m"), "GB": ("gigabyte", "gigabytes", "m"),
        "MB": ("megabyte", "megabytes", "m"), "TB": ("terabyte", "terabytes", "m"), "W": ("vatio", "vatios", "m"),
        "kW": ("kilovatio", "kilovatios", "m"), "kWh": ("kilovatio hora", "kilovatios hora", "m"),
        "V": ("voltio", "voltios", "m"), "Hz": ("hercio", "hercios", "m"), "GHz": ("gigahercio", "gigahercios", "m"),
        "m²": ("metro cuadrado", "metros cuadrados", "m"), "m2": ("metro cuadrado", "metros cuadrados", "m"),
        "km²": ("kilómetro cuadrado", "kilómetros cuadrados", "m"), "ha": ("hectárea", "hectáreas", "f"),
    }
    abbreviations = {
        "Sr.": "señor", "Sra.": "señora", "Srta.": "señorita", "Dr.": "doctor", "Dra.": "doctora", "Ud.": "usted",
        "Uds.": "ustedes", "Vd.": "usted", "D.": "don", "Dña.": "doña", "Prof.": "profesor", "Profa.": "profesora",
        "etc.": "etcétera", "p. ej.": "por ejemplo", "p.ej.": "por ejemplo", "EE. UU.": "Estados Unidos",
        "EE.UU.": "Estados Unidos", "EEUU": "Estados Unidos", "núm.": "número", "n.º": "número", "nº": "número",
        "Nº": "número", "pág.": "página", "págs.": "páginas", "av.": "avenida", "Av.": "avenida",
        "avda.": "avenida", "Avda.": "avenida", "c/": "calle", "aprox.": "aproximadamente", "tel.": "teléfono",
        "Tel.": "teléfono", "S.A.": "sociedad anónima", "Cía.": "compañía", "ej.": "ejemplo", "vol.": "volumen",
        "cap.": "capítulo", "a. C.": "antes de Cristo", "d. C.": "después de Cristo", "Lic.": "licenciado",
        "Ing.": "ingeniero", "Sto.": "santo", "Sta.": "santa", "admón.": "administración", "dcha.": "derecha",
        "izq.": "izquierda", "máx.": "máximo", "mín.": "mínimo", "depto.": "departamento",
    }
    word_acronyms = frozenset("""OTAN ONU UNESCO UNICEF OPEP FIFA NASA RENFE UNAM IVA OVNI SIDA COVID ONCE
    PYME ERASMUS""".split())
    acronym_words = {"OK": "okey", "EE.UU": "Estados Unidos"}
    roman_keywords = frozenset("""capítulo parte tomo volumen libro acto escena fase siglo artículo sección
    título episodio temporada nivel tipo clase grado edición congreso olimpiada""".split())
    regnal_names = frozenset("""Felipe Carlos Alfonso Fernando Juan Isabel Enrique Pedro Luis Jaime Sancho
    Pío Benedicto Gregorio León Juan Pablo Clemente Inocencio Ricardo Jorge Napoleón Federico Guillermo Francisco
    Urbano Alejandro Sixto""".split())
    phone_patterns = (
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?!\d)",
        r"(?<![\w.])[6-9]\d{2}(?:[ .-]\d{2,3}){2,3}\b",
    )

    def cardinal(self, n: int, gender: str = "m") -> str:
        if n < 0:
            return f"menos {self.cardinal(-n, gender)}"
        w = n2w(n, "es")
        return feminine(w) if gender == "f" else w

    def cardinal_before_noun(self, n: int, gender: str = "m") -> str:
        w = self.cardinal(n, gender)
        return w if gender == "f" else apocope(w)

    def noun_gender(self, word: str) -> str | None:
        if not word.isalpha() or not word.islower():
            return None
        if word.rstrip("s") in _MASC_A:
            return "m"
        return "f" if word.endswith(_FEM_ENDINGS) else "m"

    def ordinal(self, n: int, gender: str = "m") -> str:
        w = n2w(n, "es", "ordinal")
        if gender == "f":
            w = " ".join(t[:-1] + "a" if t.endswith("o") else t for t in w.split())
        return w

    def ordinal_patterns(self) -> list[str]:
        return [r"\b(?P<n>\d{1,3})\.?(?P<suf>[ºª°]|\.er|er)(?!\w)"]

    def ordinal_match(self, m: Match) -> str | None:
        n = int(m.group("n"))
        suf = m.group("suf")
        if suf == "°" and re.match(r"\s?[CF]\b", m.after(2)):
            return None
        if suf in ("er", ".er"):
            return {1: "primer", 3: "tercer"}.get(n, self.ordinal(n))
        return self.ordinal(n, "f" if suf == "ª" else "m")

    def regnal(self, value: int) -> str:
        return self.ordinal(value) if value <= 10 else self.cardinal(value)

    def roman_before_keyword(self, value: int, keyword: str) -> str:
        return self.cardinal(value)

    def _roman(self, m: Match) -> str | None:
        prev = m.prev_word().lower()
        if prev == "siglo" or prev == "siglos":
            from polyvox.text.normalize.common import roman_value
            v = roman_value(m.group("r"))
            return self.cardinal(v) if v else None
        return super()._roman(m)

    def money(self, num: str, code: str, scale: str | None, neg: bool) -> str:
        sing, plur, minor1, minor2, gender = self.currencies.get(code, (code, code, "", "", "m"))
        if scale:
            sign = "menos " if neg else ""
            sw = self.scale_word(scale, num)
            head = self.number(num)
            if self.is_one(num) and sw == "millón":
                head = "un"
            return f"{sign}{head} {sw} de {plur}"
        return super().money(num, code, scale, neg)

    def time_patterns(self) -> list[str]:
        return [r"\b(?P<h>[01]?\d|2[0-4]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?(?:\s?h\b)?"]

    def time(self, h: int, m: int, s: int | None, ampm: str | None) -> str:
        hour = self.cardinal(h, "f")
        if m == 0:
            return f"{hour} en punto"
        if m == 15:
            return f"{hour} y cuarto"
        if m == 30:
            return f"{hour} y media"
        return f"{hour} y {self.cardinal(m)}"

    def date_word_patterns(self) -> list[str]:
        return [r"\b(?P<d>\d{1,2})(?:º|°)?\s+de\s+(?P<mon>{MON})(?:\s+(?:de(?:l)?\s+)?(?P<y>\d{4}))?\b",
                r"\b(?P<mon>{MON})\s+de(?:l)?\s+(?P<y>\d{4})\b"]

    def date(self, y: int | None, mo: int, d: int, m: Match) -> str:
        month = MONTHS[mo - 1]
        if not d:
            return f"{month} de {self.year(y)}"
        day = "primero" if d == 1 else self.cardinal(d)
        out = f"{day} de {month}"
        return f"{out} de {self.year(y)}" if y else out

    def half_with_noun(self, whole: int | None, noun: str) -> str | None:
        if not noun.islower():
            return None
        g = self.noun_gender(noun) or "m"
        half = "media" if g == "f" else "medio"
        if whole is None:
            return f"{half} {noun}"
        return f"{self.cardinal_before_noun(whole, g)} {noun} y {half}"

    def fraction(self, a: int, b: int) -> str:
        names = {2: "medio", 3: "tercio", 4: "cuarto", 5: "quinto", 6: "sexto", 7: "séptimo", 8: "octavo",
                 9: "noveno", 10: "décimo"}
        name = names.get(b)
        if name is None:
            name = self.cardinal(b) + "avo"
        if a != 1:
            name += "s"
        return f"{apocope(self.cardinal(a))} {name}"

    def mixed_fraction(self, whole: int, a: int, b: int) -> str:
        if (a, b) == (1, 2):
            return f"{self.cardinal(whole)} y medio"
        return f"{self.cardinal(whole)} y {self.fraction(a, b)}"

    def abbreviation(self, key: str, m: Match) -> str | None:
        if key in ("D.",) and not re.match(r"\s+[A-Z]", m.after(3)):
            return None
        if key in ("nº", "Nº", "n.º", "núm.") and not re.match(r"\s*\d", m.after(3)):
            return None
        return self.abbreviations.get(key)

    def sentence_final_ok(self, key: str, out: str = "") -> bool:
        return key in ("etc.", "EE. UU.", "EE.UU.", "S.A.", "a. C.", "d. C.")


__all__ = ["SpanishNormalizer"]
