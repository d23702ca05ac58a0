"""Portuguese (Brazilian forms: "dezesseis", "R$ 1,50"): gender agreement ("duas libras", "uma hora")."""

from __future__ import annotations

import re

from polyvox.text.normalize.base import Normalizer
from polyvox.text.normalize.common import n2w
from polyvox.text.normalize.rules import Match

MONTHS = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
          "novembro", "dezembro")


_FEM_ENDINGS = ("a", "as", "ção", "ções", "dade", "dades", "agem", "agens", "ã", "ãs")
_MASC_A = frozenset("dia mapa problema sistema programa tema idioma planeta clima poema sofá".split())


def feminine(words: str) -> str:
    out = []
    toks = words.split()
    for i, t in enumerate(toks):
        later_scale = any(x.startswith(("milh", "bilh", "trilh")) for x in toks[i + 1:])
        if not later_scale:
            if t == "um":
                t = "uma"
            elif t == "dois":
                t = "duas"
            elif t.endswith("entos") and t != "cento":
                t = t[:-5] + "entas"
        out.append(t)
    return " ".join(out)


class PortugueseNormalizer(Normalizer):
    lang = "pt"
    n2w_lang = "pt_BR"
    decimal_sep = ","
    group_seps = ".\u00a0"
    date_order = "DMY"
    decimal_digits = False
    words = {
        "point": "vírgula", "minus": "menos", "plus": "mais", "and": "e", "at": "arroba", "dot": "ponto",
        "slash": "barra", "dash": "hífen", "underscore": "sublinhado", "colon": "dois pontos",
        "question": "ponto de interrogação", "equals": "igual a", "hash": "cerquilha", "tilde": "til",
        "percent": "por cento", "percent_re": "por cento", "to": "a", "by": "por", "over": "sobre",
        "number": "número", "hashtag": "hashtag", "about": "cerca de", "times": "vezes", "divided_by": "dividido por",
        "plus_minus": "mais ou menos", "degrees": "graus", "section": "parágrafo", "copyright": "copyright",
        "registered": "marca registrada", "trademark": "marca", "from": "de", "less_than": "menor que",
        "greater_than": "maior que", "of_currency": "de ",
    }
    months = MONTHS
    month_aliases = {**{m: i + 1 for i, m in enumerate(MONTHS)}, "jan": 1, "fev": 2, "mar": 3, "abr": 4,
                     "mai": 5, "jun": 6, "jul": 7, "ago": 8, "set": 9, "out": 10, "nov": 11, "dez": 12,
                     "marco": 3}
    currencies = {
        "BRL": ("real", "reais", "centavo", "centavos", "m"), "USD": ("dólar", "dólares", "centavo", "centavos", "m"),
        "EUR": ("euro", "euros", "cêntimo", "cêntimos", "m"), "GBP": ("libra", "libras", "pêni", "pence", "f"),
        "JPY": ("iene", "ienes", "", "", "m"), "CHF": ("franco suíço", "francos suíços", "cêntimo", "cêntimos", "m"),
        "INR": ("rupia", "rupias", "", "", "f"), "CNY": ("yuan", "yuans", "", "", "m"),
        "BTC": ("bitcoin", "bitcoins", "", "", "m"), "MXN": ("peso", "pesos", "centavo", "centavos", "m"),
    }
    scales = {"k": 3, "M": 6, "mil": 3, "milhão": 6, "milhões": 6, "bilhão": 9, "bilhões": 9, "mi": 6, "bi": 9,
              "tri": 12, "trilhão": 12, "trilhões": 12}
    scale_names = {3: ("mil", "mil"), 6: ("milhão", "milhões"), 9: ("bilhão", "bilhões"), 12: ("trilhão",
                                                                                             "trilhões")}
    units = {
        "km/h": ("quilômetro por hora", "quilômetros por hora", "m"), "m/s": ("metro por segundo",
                                                                           "metros por segundo", "m"),
        "km": ("quilômetro", "quilômetros", "m"), "cm": ("centímetro", "centímetros", "m"),
        "mm": ("milímetro", "milímetros", "m"), "m": ("metro", "metros", "m"), "kg": ("quilo", "quilos", "m"),
        "g": ("grama", "gramas", "m"), "mg": ("miligrama", "miligramas", "m"), "l": ("litro", "litros", "m"),
        "L": ("litro", "litros", "m"), "ml": ("mililitro", "mililitros", "m"), "°C": ("grau Celsius",
                                                                                    "graus Celsius", "m"),
        "°": ("grau", "graus", "m"), "min": ("minuto", "minutos", "m"), "s": ("segundo", "segundos", "m"),
        "ms": ("milissegundo", "milissegundos", "m"), "GB": ("gigabyte", "gigabytes", "m"),
        "MB": ("megabyte", "megabytes", "m"), "TB": ("terabyte", "terabytes", "m"), "W": ("watt", "watts", "m"),
        "kW": ("quilowatt", "quilowatts", "m"), "kWh": ("quilowatt-hora", "quilowatts-hora", "m"),
        "V": ("volt", "volts", "m"), "Hz": ("hertz", "hertz", "m"), "GHz": ("gigahertz", "gigahertz", "m"),
        "m²": ("metro quadrado", "metros quadrados", "m"), "m2": ("metro quadrado", "metros quadrados", "m"),
        "km²": ("quilômetro quadrado", "quilômetros quadrados", "m"), "ha": ("hectare", "hectares", "m"),
    }
    abbreviations = {
        "Sr.": "senhor", "Sra.": "senhora", "Srta.": "senhorita", "Dr.": "doutor", "Dra.": "doutora",
        "Prof.": "professor", "Profa.": "professora", "Eng.": "engenheiro", "D.": "dona", "etc.": "et cetera",
        "p. ex.": "por exemplo", "p.ex.": "por exemplo", "nº": "número", "n.º": "número", "Nº": "número",
        "núm.": "número", "pág.": "página", "págs.": "páginas", "p.": "página", "av.": "avenida", "Av.": "avenida",
        "tel.": "telefone", "Tel.": "telefone", "R.": "rua", "Ltda.": "limitada", "S.A.": "sociedade anônima",
        "Cia.": "companhia", "aprox.": "aproximadamente", "V. Sa.": "vossa senhoria", "V.Exa.": "vossa excelência",
        "cap.": "capítulo", "vol.": "volume", "a.C.": "antes de Cristo", "d.C.": "depois de Cristo",
        "máx.": "máximo", "mín.": "mínimo", "obs.": "observação", "Obs.": "observação", "ex.": "exemplo",
        "Sto.": "santo", "Sta.": "santa", "S.": "são",
    }
    word_acronyms = frozenset("""OTAN ONU UNESCO UNICEF OPEP FIFA NASA AIDS COVID PETROBRAS EMBRAPA SENAI
    SESI DETRAN ENEM UNICAMP""".split())
    acronym_words = {"OK": "ok"}
    roman_keywords = frozenset("""capítulo parte tomo volume livro ato cena fase século artigo seção título
    episódio temporada nível tipo classe""".split())
    regnal_names = frozenset("""Pedro João José Luís Manuel Afonso Dinis Sancho Henrique Carlos Felipe Filipe
    Isabel Elizabeth Maria Bento Pio Gregório Leão Inocêncio Clemente Paulo Ricardo Guilherme Frederico Napoleão
    Francisco Jorge Urbano Sisto""".split())
    phone_patterns = (
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?!\d)",
        r"(?<![\w(])\(\d{2}\)\s?\d{4,5}-?\d{4}\b",
        r"(?<![\w.])\d{4,5}-\d{4}\b",
    )

    def cardinal(self, n: int, gender: str = "m") -> str:
        if n < 0:
            return f"menos {self.cardinal(-n, gender)}"
        w = n2w(n, "pt_BR")
        return feminine(w) if gender == "f" else w

    def noun_gender(self, word: str) -> str | None:
        if not word.isalpha() or not word.islower():
            return None
        if word.rstrip("s") in _MASC_A:
            return "m"
        return "f" if word.endswith(_FEM_ENDINGS) else "m"

    def ordinal(self, n: int, gender: str = "m") -> str:
        w = n2w(n, "pt_BR", "ordinal")
        if gender == "f":
            w = " ".join(t[:-1] + "a" if t.endswith("o") else t for t in w.split())
        return w

    def ordinal_patterns(self) -> list[str]:
        return [r"\b(?P<n>\d{1,3})\.?(?P<suf>[ºª°])(?!\s?[CF]\b)"]

    def ordinal_match(self, m: Match) -> str | None:
        return self.ordinal(int(m.group("n")), "f" if m.group("suf") == "ª" else "m")

    def regnal(self, value: int) -> str:
        return self.ordinal(value) if value <= 10 else self.cardinal(value)

    def roman_before_keyword(self, value: int, keyword: str) -> str:
        return self.ordinal(value)

    def _roman(self, m: Match) -> str | None:
        from polyvox.text.normalize.common import roman_value
        if m.prev_word().lower() in ("século", "séculos"):
            v = roman_value(m.group("r"))
            return self.cardinal(v) if v else None
        return super()._roman(m)

    def money(self, num: str, code: str, scale: str | None, neg: bool) -> str:
        sing, plur, minor1, minor2, gender = self.currencies.get(code, (code, code, "", "", "m"))
        sign = "menos " if neg else ""
        if scale:
            sw = self.scale_word(scale, num)
            if sw == "mil":
                return f"{sign}{self.number(num, gender)} mil {plur}"
            return f"{sign}{self.number(num)} {sw} de {plur}"
        return super().money(num, code, scale, neg)

    def time_patterns(self) -> list[str]:
        return [r"\b(?P<h>[01]?\d|2[0-4])(?::|h)(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?(?:min)?\b",
                r"\b(?P<h>[01]?\d|2[0-4])h(?P<m>)(?!\w)"]

    def time(self, h: int, m: int, s: int | None, ampm: str | None) -> str:
        hour = self.cardinal(h, "f")
        if m == 0:
            return f"{hour} {'hora' if h == 1 else 'horas'}"
        if m == 30:
            return f"{hour} e meia"
        return f"{hour} e {self.cardinal(m)}"

    def date_word_patterns(self) -> list[str]:
        return [r"\b(?P<d>\d{1,2})(?:º|°)?\s+de\s+(?P<mon>{MON})(?:\s+de\s+(?P<y>\d{4}))?\b",
                r"\b(?P<mon>{MON})\s+de\s+(?P<y>\d{4})\b"]

    def date(self, y: int | None, mo: int, d: int, m: Match) -> str:
        month = MONTHS[mo - 1]
        if not d:
            return f"{month} de {self.year(y)}"
        day = "primeiro" if d == 1 else self.cardinal(d)
        out = f"{day} de {month}"
        return f"{out} de {self.year(y)}" if y else out

    def half_with_noun(self, whole: int | None, noun: str) -> str | None:
        if not noun.islower():
            return None
        g = self.noun_gender(noun) or "m"
        half = "meia" if g == "f" else "meio"
        if whole is None:
            return f"{half} {noun}"
        return f"{self.cardinal(whole, g)} {noun} e {half}"

    def fraction(self, a: int, b: int) -> str:
        names = {2: "meio", 3: "terço", 4: "quarto", 5: "quinto", 6: "sexto", 7: "sétimo", 8: "oitavo",
                 9: "nono", 10: "décimo"}
        name = names.get(b) or f"{self.cardinal(b)} avos"
        if a != 1 and b in names:
            name += "s"
        return f"{self.cardinal(a)} {name}"

    def mixed_fraction(self, whole: int, a: int, b: int) -> str:
        if (a, b) == (1, 2):
            return f"{self.cardinal(whole)} e meio"
        return f"{self.cardinal(whole)} e {self.fraction(a, b)}"

    def abbreviation(self, key: str, m: Match) -> str | None:
        if key == "D.":
            nxt = re.match(r"\s+([A-ZÀ-Ý]\w*)", m.after(30))
            if not nxt:
                return None
            return "dona" if nxt.group(1).endswith("a") else "dom"
        if key in ("nº", "n.º", "Nº", "núm.", "p.", "pág.", "págs.", "cap.", "vol.") and \
                not re.match(r"\s*\d", m.after(3)):
            return None
        if key in ("D.", "R.", "S.") and not re.match(r"\s+[A-Z]", m.after(3)):
            return None
        return self.abbreviations.get(key)

    def sentence_final_ok(self, key: str, out: str = "") -> bool:
        return key in ("etc.", "Ltda.", "S.A.", "a.C.", "d.C.")


__all__ = ["PortugueseNormalizer"]
