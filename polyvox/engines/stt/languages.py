"""Language codes for speech to text: ISO 639-1 (Whisper's) <-> ISO 639-3 (ElevenLabs' ``language_code``).

Scribe answers with ISO 639-3 codes (``"eng"``) and accepts 639-1 or 639-3; Whisper speaks
639-1 (plus ``haw``, ``yue`` and its own ``jw`` for Javanese). OpenAI's verbose_json wants the
English name. One table serves all three.
"""

from __future__ import annotations

# whisper code: (ISO 639-3, English name)
WHISPER_LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("eng", "english"), "zh": ("zho", "chinese"), "de": ("deu", "german"), "es": ("spa", "spanish"),
    "ru": ("rus", "russian"), "ko": ("kor", "korean"), "fr": ("fra", "french"), "ja": ("jpn", "japanese"),
    "pt": ("por", "portuguese"), "tr": ("tur", "turkish"), "pl": ("pol", "polish"), "ca": ("cat", "catalan"),
    "nl": ("nld", "dutch"), "ar": ("ara", "arabic"), "sv": ("swe", "swedish"), "it": ("ita", "italian"),
    "id": ("ind", "indonesian"), "hi": ("hin", "hindi"), "fi": ("fin", "finnish"), "vi": ("vie", "vietnamese"),
    "he": ("heb", "hebrew"), "uk": ("ukr", "ukrainian"), "el": ("ell", "greek"), "ms": ("msa", "malay"),
    "cs": ("ces", "czech"), "ro": ("ron", "romanian"), "da": ("dan", "danish"), "hu": ("hun", "hungarian"),
    "ta": ("tam", "tamil"), "no": ("nor", "norwegian"), "th": ("tha", "thai"), "ur": ("urd", "urdu"),
    "hr": ("hrv", "croatian"), "bg": ("bul", "bulgarian"), "lt": ("lit", "lithuanian"), "la": ("lat", "latin"),
    "mi": ("mri", "maori"), "ml": ("mal", "malayalam"), "cy": ("cym", "welsh"), "sk": ("slk", "slovak"),
    "te": ("tel", "telugu"), "fa": ("fas", "persian"), "lv": ("lav", "latvian"), "bn": ("ben", "bengali"),
    "sr": ("srp", "serbian"), "az": ("aze", "azerbaijani"), "sl": ("slv", "slovenian"), "kn": ("kan", "kannada"),
    "et": ("est", "estonian"), "mk": ("mkd", "macedonian"), "br": ("bre", "breton"), "eu": ("eus", "basque"),
    "is": ("isl", "icelandic"), "hy": ("hye", "armenian"), "ne": ("nep", "nepali"), "mn": ("mon", "mongolian"),
    "bs": ("bos", "bosnian"), "kk": ("kaz", "kazakh"), "sq": ("sqi", "albanian"), "sw": ("swa", "swahili"),
    "gl": ("glg", "galician"), "mr": ("mar", "marathi"), "pa": ("pan", "punjabi"), "si": ("sin", "sinhala"),
    "km": ("khm", "khmer"), "sn": ("sna", "shona"), "yo": ("yor", "yoruba"), "so": ("som", "somali"),
    "af": ("afr", "afrikaans"), "oc": ("oci", "occitan"), "ka": ("kat", "georgian"), "be": ("bel", "belarusian"),
    "tg": ("tgk", "tajik"), "sd": ("snd", "sindhi"), "gu": ("guj", "gujarati"), "am": ("amh", "amharic"),
    "yi": ("yid", "yiddish"), "lo": ("lao", "lao"), "uz": ("uzb", "uzbek"), "fo": ("fao", "faroese"),
    "ht": ("hat", "haitian creole"), "ps": ("pus", "pashto"), "tk": ("tuk", "turkmen"), "nn": ("nno", "nynorsk"),
    "mt": ("mlt", "maltese"), "sa": ("san", "sanskrit"), "lb": ("ltz", "luxembourgish"), "my": ("mya", "myanmar"),
    "bo": ("bod", "tibetan"), "tl": ("tgl", "tagalog"), "mg": ("mlg", "malagasy"), "as": ("asm", "assamese"),
    "tt": ("tat", "tatar"), "haw": ("haw", "hawaiian"), "ln": ("lin", "lingala"), "ha": ("hau", "hausa"),
    "ba": ("bak", "bashkir"), "jw": ("jav", "javanese"), "su": ("sun", "sundanese"), "yue": ("yue", "cantonese"),
}

_ALIASES = {
    "jv": "jw", "iw": "he", "in": "id", "nb": "no", "fil": "tl", "cmn": "zh", "zsm": "ms", "pes": "fa",
    "arb": "ar", "ekk": "et", "lvs": "lv", "khk": "mn", "npi": "ne", "swh": "sw", "uzn": "uz", "azj": "az",
    # ISO 639-2 bibliographic codes
    "ger": "de", "fre": "fr", "chi": "zh", "dut": "nl", "gre": "el", "per": "fa", "cze": "cs", "rum": "ro",
    "slo": "sk", "alb": "sq", "arm": "hy", "baq": "eu", "geo": "ka", "ice": "is", "mac": "mk", "may": "ms",
    "mao": "mi", "wel": "cy", "bur": "my", "tib": "bo",
}
_BY_639_3 = {v[0]: k for k, v in WHISPER_LANGUAGES.items()}
_BY_NAME = {v[1]: k for k, v in WHISPER_LANGUAGES.items()}


def to_whisper(code: str) -> str | None:
    """Whisper's code for an ISO 639-1/639-2/639-3 code, a BCP-47 tag (``en-US``) or an English name."""
    c = code.strip().lower().replace("_", "-")
    if not c:
        return None
    base = c.split("-")[0]
    for cand in (c, base):
        if cand in WHISPER_LANGUAGES:
            return cand
        if cand in _ALIASES:
            return _ALIASES[cand]
        if cand in _BY_639_3:
            return _BY_639_3[cand]
        if cand in _BY_NAME:
            return _BY_NAME[cand]
    return None


def to_iso639_3(whisper_code: str) -> str:
    return WHISPER_LANGUAGES.get(whisper_code, (whisper_code, ""))[0]


def language_name(whisper_code: str) -> str:
    return WHISPER_LANGUAGES.get(whisper_code, ("", whisper_code))[1]


__all__ = ["WHISPER_LANGUAGES", "language_name", "to_iso639_3", "to_whisper"]
