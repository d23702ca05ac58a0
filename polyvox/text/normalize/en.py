"""English: American readings (month-day-year dates, "five thirty p m", years in pairs)."""

from __future__ import annotations

import re

from polyvox.text.normalize.base import Normalizer
from polyvox.text.normalize.common import n2w
from polyvox.text.normalize.rules import Match

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}
_YEAR_CUES = frozenset("""in since by from until till to of year years circa c ca around before after during early
late mid summer spring autumn fall winter the between and class vintage""".split()) | {m.lower() for m in MONTHS}


class EnglishNormalizer(Normalizer):
    lang = "en"
    n2w_lang = "en"
    decimal_sep = "."
    group_seps = ","
    date_order = "MDY"
    decimal_digits = True
    words = {
        "point": "point", "minus": "minus", "plus": "plus", "and": "and", "at": "at", "dot": "dot",
        "slash": "slash", "dash": "dash", "underscore": "underscore", "colon": "colon", "question": "question mark",
        "equals": "equals", "hash": "hash", "tilde": "tilde", "percent": "percent", "percent_re": "percent|per cent",
        "to": "to", "by": "by", "over": "over", "number": "number", "hashtag": "hashtag", "about": "about",
        "times": "times", "divided_by": "divided by", "plus_minus": "plus or minus", "degrees": "degrees",
        "section": "section", "copyright": "copyright", "registered": "registered", "trademark": "trademark",
        "from": "from", "less_than": "less than", "greater_than": "greater than", "of_currency": "",
    }
    months = MONTHS
    month_aliases = {**{m.lower(): i + 1 for i, m in enumerate(MONTHS)},
                     **{m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)}, "sept": 9}
    currencies = {
        "USD": ("dollar", "dollars", "cent", "cents", "m"), "EUR": ("euro", "euros", "cent", "cents", "m"),
        "GBP": ("pound", "pounds", "penny", "pence", "m"), "JPY": ("yen", "yen", "", "", "m"),
        "INR": ("rupee", "rupees", "paisa", "paise", "m"), "CNY": ("yuan", "yuan", "", "", "m"),
        "KRW": ("won", "won", "", "", "m"), "RUB": ("ruble", "rubles", "kopek", "kopeks", "m"),
        "CHF": ("Swiss franc", "Swiss francs", "centime", "centimes", "m"),
        "CAD": ("Canadian dollar", "Canadian dollars", "cent", "cents", "m"),
        "AUD": ("Australian dollar", "Australian dollars", "cent", "cents", "m"),
        "NZD": ("New Zealand dollar", "New Zealand dollars", "cent", "cents", "m"),
        "HKD": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents", "m"),
        "BRL": ("real", "reais", "centavo", "centavos", "m"), "MXN": ("peso", "pesos", "centavo", "centavos", "m"),
        "BTC": ("bitcoin", "bitcoins", "", "", "m"),
    }
    scales = {"k": 3, "K": 3, "M": 6, "m": 6, "mm": 6, "MM": 6, "mn": 6, "B": 9, "b": 9, "bn": 9, "T": 12,
              "tn": 12, "thousand": 3, "million": 6, "billion": 9, "trillion": 12}
    scale_names = {3: ("thousand", "thousand"), 6: ("million", "million"), 9: ("billion", "billion"),
                   12: ("trillion", "trillion")}
    units = {
        "km/h": ("kilometer per hour", "kilometers per hour", "m"), "mph": ("mile per hour", "miles per hour", "m"),
        "m/s": ("meter per second", "meters per second", "m"), "km": ("kilometer", "kilometers", "m"),
        "cm": ("centimeter", "centimeters", "m"), "mm": ("millimeter", "millimeters", "m"),
        "m": ("meter", "meters", "m"), "mi": ("mile", "miles", "m"), "ft": ("foot", "feet", "m"),
        "yd": ("yard", "yards", "m"), "kg": ("kilogram", "kilograms", "m"), "mg": ("milligram", "milligrams", "m"),
        "g": ("gram", "grams", "m"), "lb": ("pound", "pounds", "m"), "lbs": ("pound", "pounds", "m"),
        "oz": ("ounce", "ounces", "m"), "L": ("liter", "liters", "m"), "ml": ("milliliter", "milliliters", "m"),
        "mL": ("milliliter", "milliliters", "m"), "gal": ("gallon", "gallons", "m"),
        "°C": ("degree Celsius", "degrees Celsius", "m"), "°F": ("degree Fahrenheit", "degrees Fahrenheit", "m"),
        "°": ("degree", "degrees", "m"), "Hz": ("hertz", "hertz", "m"), "kHz": ("kilohertz", "kilohertz", "m"),
        "MHz": ("megahertz", "megahertz", "m"), "GHz": ("gigahertz", "gigahertz", "m"),
        "W": ("watt", "watts", "m"), "kW": ("kilowatt", "kilowatts", "m"), "MW": ("megawatt", "megawatts", "m"),
        "kWh": ("kilowatt hour", "kilowatt hours", "m"), "V": ("volt", "volts", "m"),
        "mAh": ("milliamp hour", "milliamp hours", "m"), "KB": ("kilobyte", "kilobytes", "m"),
        "MB": ("megabyte", "megabytes", "m"), "GB": ("gigabyte", "gigabytes", "m"),
        "TB": ("terabyte", "terabytes", "m"), "Mbps": ("megabit per second", "megabits per second", "m"),
        "Gbps": ("gigabit per second", "gigabits per second", "m"), "ms": ("millisecond", "milliseconds", "m"),
        "sec": ("second", "seconds", "m"), "min": ("minute", "minutes", "m"), "h": ("hour", "hours", "m"),
        "hr": ("hour", "hours", "m"), "hrs": ("hour", "hours", "m"), "px": ("pixel", "pixels", "m"),
        "fps": ("frame per second", "frames per second", "m"), "rpm": ("revolution per minute",
                                                                        "revolutions per minute", "m"),
        "kcal": ("kilocalorie", "kilocalories", "m"), "cal": ("calorie", "calories", "m"),
        "m²": ("square meter", "square meters", "m"), "km²": ("square kilometer", "square kilometers", "m"),
        "m³": ("cubic meter", "cubic meters", "m"), "sq ft": ("square foot", "square feet", "m"),
        "ha": ("hectare", "hectares", "m"), "psi": ("p s i", "p s i", "m"), "yrs": ("year", "years", "m"),
    }
    abbreviations = {
        "Dr.": "Doctor", "Dr": "Doctor", "St.": "Saint", "Mr.": "Mister", "Mr": "Mister", "Mrs.": "Missus",
        "Mrs": "Missus", "Ms.": "Miz", "Prof.": "Professor", "Jr.": "Junior", "Sr.": "Senior", "vs.": "versus",
        "vs": "versus", "etc.": "et cetera", "e.g.": "for example", "i.e.": "that is", "approx.": "approximately",
        "Inc.": "Incorporated", "Ltd.": "Limited", "Corp.": "Corporation", "Co.": "Company", "Bros.": "Brothers",
        "Ave.": "Avenue", "Blvd.": "Boulevard", "Rd.": "Road", "Ln.": "Lane", "Hwy.": "Highway", "Mt.": "Mount",
        "Ft.": "Fort", "Apt.": "Apartment", "Dept.": "Department", "Gen.": "General", "Col.": "Colonel",
        "Lt.": "Lieutenant", "Sgt.": "Sergeant", "Capt.": "Captain", "Gov.": "Governor", "Sen.": "Senator",
        "Rep.": "Representative", "Rev.": "Reverend", "Hon.": "Honorable", "No.": "number", "no.": "number",
        "Nos.": "numbers", "Fig.": "Figure", "fig.": "figure", "vol.": "volume", "Vol.": "Volume", "p.": "page",
        "pp.": "pages", "ch.": "chapter", "Ch.": "Chapter", "est.": "established", "max.": "maximum",
        "min.": "minimum", "avg.": "average", "tel.": "telephone", "Tel.": "Telephone", "ext.": "extension",
        "a.k.a.": "also known as", "w/": "with", "w/o": "without", "Jan.": "January", "Feb.": "February",
        "Mar.": "March", "Apr.": "April", "Jun.": "June", "Jul.": "July", "Aug.": "August", "Sep.": "September",
        "Sept.": "September", "Oct.": "October", "Nov.": "November", "Dec.": "December", "Mon.": "Monday",
        "Tue.": "Tuesday", "Tues.": "Tuesday", "Wed.": "Wednesday", "Thu.": "Thursday", "Thurs.": "Thursday",
        "Fri.": "Friday", "Sat.": "Saturday", "Sun.": "Sunday", "dept.": "department", "govt.": "government",
    }
    word_acronyms = frozenset("""NASA NATO UNESCO UNICEF OPEC FIFA NAFTA LASER RADAR SCUBA AIDS COVID SARS ASEAN
    OSHA FEMA GIF PIN ROM RAM SIM LAN WAN IKEA NASDAQ DARPA CERN INTERPOL SWAT WASP POTUS SCOTUS LEGO YOLO EULA
    MIDI IMAX NAND CAPTCHA ASCII UNIX LINUX WIFI TESOL GOP MERS ISIS NIMBY""".split())
    acronym_words = {"OK": "okay", "JPEG": "jay peg", "GIF": "gif", "SQL": "sequel", "WiFi": "wifi",
                     "PhD": "P H D", "iOS": "i O S"}
    roman_keywords = frozenset("""chapter part volume vol book act scene phase stage type class level article
    section title episode season round grade category schedule annex appendix series mark war bowl gen
    generation""".split())
    regnal_names = frozenset("""Henry Elizabeth Louis George Charles Edward William James John Paul Pius Benedict
    Gregory Leo Innocent Clement Richard Philip Frederick Ferdinand Alexander Peter Catherine Mary Victoria
    Napoleon Ramesses Ptolemy Nicholas Alfonso Juan Carlos Felipe Pedro Luis Ludwig Wilhelm Friedrich Karl Luigi
    Vittorio Umberto Francis Urban Boniface Sixtus Anne Harold Malcolm David Robert Stephen Constantine Ivan
    Olaf Haakon Gustav Christian Frederik Rama Tutankhamun Amenhotep Thutmose""".split())
    phone_patterns = (
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d(?!\d)",
        r"(?<!\d)1[-. ]8\d\d[-. ]\d{3}[-. ]\d{4}\b",
        r"(?<![\w(])\(\d{3}\)\s?\d{3}[-. ]\d{4}\b",
        r"(?<![\w.-])\d{3}[-.]\d{3}[-.]\d{4}\b",
        r"(?<![\w.-])\d{3}-\d{4}\b",
    )

    # -------------------------------------------------------------- numbers
    def cardinal(self, n: int, gender: str = "m") -> str:
        if n < 0:
            return f"minus {self.cardinal(-n)}"
        return n2w(n, "en").replace(" and ", " ")

    def year(self, n: int) -> str:
        if 2000 <= n <= 2009 or n % 1000 == 0:
            return self.cardinal(n)
        if 1000 <= n <= 9999 and n % 100 != 0 and n % 100 < 10:
            return f"{self.cardinal(n // 100)} oh {self.cardinal(n % 100)}"
        return n2w(n, "en", "year").replace(" and ", " ")

    def looks_like_year(self, n: int, m: Match) -> bool:
        if not 1000 <= n <= 2099:
            return False
        prev = m.prev_word().lower().rstrip(".")
        before = m.before(3)
        if re.search(r"[(\[]\s*$", before):
            return True
        nxt = m.after(6)
        if re.match(r"\s*(?:AD|BC|BCE|CE|A\.D\.|B\.C\.)\b", nxt) or re.match(r"\s*[-–]\s*\d{2,4}\b", nxt):
            return True
        if re.search(r"[-–]\s*$", before) and re.search(r"\d{4}\s*[-–]\s*$", m.before(12)):
            return True
        return prev in _YEAR_CUES

    def range_number(self, num: str, m: Match) -> str:
        intpart, frac = self.split(num)
        a, b = m.group("a"), m.group("b")
        if frac is None and a.isdigit() and b.isdigit() and len(a) == 4 and 1100 <= int(a) <= 2099 and \
                len(b) in (2, 4):
            if len(num) == 2:
                return self.cardinal(int(num))
            return self.year(int(intpart))
        return self.number(num)

    def ordinal(self, n: int, gender: str = "m") -> str:
        return n2w(n, "en", "ordinal").replace(" and ", " ")

    def regnal(self, value: int) -> str:
        return f"the {self.ordinal(value)}"

    def ordinal_patterns(self) -> list[str]:
        return [r"\b(?P<n>\d{1,3}(?:,\d{3})*|\d+)(?P<suf>st|nd|rd|th)\b"]

    def ordinal_match(self, m: Match) -> str | None:
        return self.ordinal(int(m.group("n").replace(",", "")))

    def fraction(self, a: int, b: int) -> str:
        if b in _FRACTION_NAMES:
            name = _FRACTION_NAMES[b][0 if a == 1 else 1]
        else:
            o = self.ordinal(b)
            name = o if a == 1 else o + "s"
        return f"{self.cardinal(a)} {name}"

    def mixed_fraction(self, whole: int, a: int, b: int) -> str:
        if a == 1 and b in (2, 4):
            return f"{self.cardinal(whole)} and a {_FRACTION_NAMES[b][0]}"
        return f"{self.cardinal(whole)} and {self.fraction(a, b)}"

    def decade(self, m: Match) -> str | None:
        c, d, d2, d3 = m.group("c"), m.group("d"), m.group("d2"), m.group("d3")
        if c:
            century = int(c)
            if d == "0":
                return f"{self.year(century * 100)}s" if century != 20 else "two thousands"
            return f"{self.cardinal(century)} {_tens_plural(int(d))}"
        digit = int(d2 if d2 is not None else d3)
        if digit == 1:
            return "tens"
        if digit == 0:
            return "two thousands" if d2 is not None else None
        return _tens_plural(digit)

    # -------------------------------------------------------------- money, time, dates
    def money(self, num: str, code: str, scale: str | None, neg: bool) -> str:
        if scale:
            sing, plur, *_ = self.currencies.get(code, (code, code, "", "", "m"))
            sign = "minus " if neg else ""
            return f"{sign}{self.number(num)} {self.scale_word(scale, num)} {plur}"
        return super().money(num, code, scale, neg)

    def time_patterns(self) -> list[str]:
        ap = r"(?P<ap>[AaPp]\.?\s?[Mm]\.?)(?![A-Za-z])"
        return [rf"\b(?P<h>[01]?\d|2[0-4]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?(?:\s?{ap})?",
                rf"\b(?P<h>1[0-2]|0?[1-9])\s?{ap}"]

    def time(self, h: int, m: int, s: int | None, ampm: str | None) -> str:
        hour = self.cardinal(h)
        if m == 0:
            core = hour if ampm else f"{hour} o'clock"
        elif m < 10:
            core = f"{hour} oh {self.cardinal(m)}"
        else:
            core = f"{hour} {self.cardinal(m)}"
        if s:
            core += f" and {self.cardinal(s)} {'second' if s == 1 else 'seconds'}"
        if ampm:
            core += " " + " ".join(ampm.upper())
        return core

    def date_word_patterns(self) -> list[str]:
        return [
            r"\b(?P<mon>{MON})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?\b(?!:)",
            r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{MON})\.?(?:,?\s+(?P<y>\d{4}))?\b",
            r"\b(?P<mon>{MON})\.?,?\s+(?P<y>\d{4})\b",
        ]

    def _date_words(self, m: Match) -> str | None:
        mon = m.group("mon")
        if mon.lower() in ("may", "mar", "jan", "jun", "dec", "sun", "sat") and mon.islower():
            return None  # "may 5" as a verb, not the month
        return super()._date_words(m)

    def date(self, y: int | None, mo: int, d: int, m: Match) -> str:
        month = MONTHS[mo - 1]
        day_first = m.group(0)[:1].isdigit() and "d" in m.m.re.groupindex and \
            m.m.re.groupindex.get("d", 99) < m.m.re.groupindex.get("mon", 0)
        if not d:
            return f"{month} {self.year(y)}" if y else month
        if day_first:
            the = "" if m.prev_word().lower() == "the" else "the "
            out = f"{the}{self.ordinal(d)} of {month}"
            return f"{out} {self.year(y)}" if y else out
        out = f"{month} {self.ordinal(d)}"
        return f"{out}, {self.year(y)}" if y else out

    def phone_group(self, g: str) -> str:
        if g in ("800", "888", "877", "866", "855", "844", "833"):
            return self.cardinal(int(g))
        return self.digits(g)

    # -------------------------------------------------------------- abbreviations
    def abbreviation(self, key: str, m: Match) -> str | None:
        prev = m.prev_word()
        nxt_m = re.match(r"\s+([A-Za-z]+)", m.after(30))
        nxt = nxt_m.group(1) if nxt_m else ""
        prev_is_name = bool(prev) and prev[:1].isupper() and prev.isalpha() and not re.search(
            r"[.!?]\s*$", m.before(len(prev) + 3))
        prev_is_number = bool(re.search(r"\d\s*$", m.before(8)))
        street = prev_is_number or prev_is_name and (not nxt[:1].isupper() or
                                                     bool(re.search(r"\d+\s+\S+\s*$", m.before(25))))
        if key in ("Dr.", "Dr"):
            return "Drive" if street else "Doctor"
        if key == "St.":
            return "Street" if street else "Saint"
        if key in ("No.", "no."):
            return "number" if re.match(r"\s*\d", m.after(3)) else None
        if key in ("p.", "pp.", "ch.", "Ch.", "vol.", "Vol.", "Fig.", "fig."):
            return self.abbreviations[key] if re.match(r"\s*\d", m.after(3)) else None
        if key in ("min.", "max.") and not re.match(r"\s*\d", m.after(3)):
            return None
        if key in ("Mr", "Mrs", "Dr") and not nxt[:1].isupper():
            return None
        if key == "Sun." and not nxt[:1].isupper() and not re.match(r"\s*,", m.after(2)):
            return None
        return self.abbreviations.get(key)

    def sentence_final_ok(self, key: str, out: str = "") -> bool:
        if out in ("Saint", "Doctor"):
            return False
        return key not in ("Dr.", "Mr.", "Mrs.", "Ms.", "Prof.", "Mt.", "Ft.", "Gen.", "Col.", "Lt.", "Sgt.",
                           "Capt.", "Gov.", "Sen.", "Rep.", "Rev.", "Hon.", "No.", "no.", "p.", "pp.", "e.g.",
                           "i.e.", "vs.")


def _tens_plural(d: int) -> str:
    word = ("", "ten", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")[d]
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


__all__ = ["EnglishNormalizer"]
