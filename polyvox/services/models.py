"""The model registry: ElevenLabs and native model IDs mapped to engines, as data.

``/v1/models`` is generated from this table, and every TTS request is checked against it
(character limit, language) before any audio is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from polyvox.errors import ModelNotFound

KOKORO_LANGUAGES = ("en", "es", "fr", "hi", "it", "ja", "pt", "zh")

LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "hi": "Hindi", "it": "Italian", "ja": "Japanese",
    "pt": "Portuguese", "zh": "Chinese", "de": "German", "pl": "Polish", "nl": "Dutch", "ru": "Russian",
    "ar": "Arabic", "ko": "Korean", "tr": "Turkish", "sv": "Swedish", "cs": "Czech", "fi": "Finnish",
    "da": "Danish", "el": "Greek", "hu": "Hungarian", "ro": "Romanian", "uk": "Ukrainian", "id": "Indonesian",
    "vi": "Vietnamese", "ta": "Tamil", "bg": "Bulgarian", "hr": "Croatian", "sk": "Slovak", "ms": "Malay",
    "no": "Norwegian", "nb": "Norwegian Bokmål", "fa": "Persian", "he": "Hebrew", "th": "Thai", "ca": "Catalan",
}


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    name: str
    engine: str
    """Key of the TTS engine that renders it (``kokoro``, ``piper``, ``espeak``)."""
    description: str
    max_characters: int
    languages: tuple[str, ...] | None
    """ISO 639-1 codes; ``None`` means every language the engine speaks."""
    concurrency_group: str = "standard"
    cost_factor: float = 1.0
    aliases: tuple[str, ...] = field(default=())
    can_use_style: bool = True
    optional: bool = False
    """Served only when its engine is registered (a user-installed model); otherwise
    ``/v1/models`` leaves it out and requests get ``model_not_installed``."""


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("eleven_multilingual_v2", "Eleven Multilingual v2", "kokoro",
              "Most natural multilingual model; rendered by Kokoro-82M here.", 10_000, KOKORO_LANGUAGES),
    ModelSpec("eleven_flash_v2_5", "Eleven Flash v2.5", "kokoro",
              "Low-latency multilingual model; Kokoro-82M with a short first segment.", 40_000, KOKORO_LANGUAGES,
              concurrency_group="turbo", cost_factor=0.5),
    ModelSpec("eleven_turbo_v2_5", "Eleven Turbo v2.5", "kokoro",
              "Fast multilingual model; Kokoro-82M.", 40_000, KOKORO_LANGUAGES, concurrency_group="turbo",
              cost_factor=0.5),
    ModelSpec("eleven_flash_v2", "Eleven Flash v2", "kokoro",
              "Low-latency English model; Kokoro-82M.", 30_000, ("en",), concurrency_group="turbo", cost_factor=0.5),
    ModelSpec("eleven_turbo_v2", "Eleven Turbo v2", "kokoro",
              "Fast English model; Kokoro-82M.", 30_000, ("en",), concurrency_group="turbo", cost_factor=0.5),
    ModelSpec("eleven_monolingual_v1", "Eleven English v1", "kokoro",
              "Legacy English model; Kokoro-82M.", 10_000, ("en",)),
    ModelSpec("eleven_multilingual_v1", "Eleven Multilingual v1", "espeak",
              "Legacy multilingual model; eSpeak NG formant synthesis, 100+ languages, robotic timbre.",
              10_000, None, can_use_style=False),
    ModelSpec("kokoro", "Kokoro-82M (int8 ONNX)", "kokoro",
              "Kokoro-82M, 54 voices in 8 languages plus blends.", 40_000, KOKORO_LANGUAGES,
              aliases=("kokoro-82m", "kokoro_v1")),
    ModelSpec("piper", "Piper (VITS)", "piper",
              "Piper voices: en_US-joe-medium and any voice file you add. Lowest latency.", 40_000, None,
              concurrency_group="turbo", cost_factor=0.5, can_use_style=False),
    ModelSpec("espeak", "eSpeak NG", "espeak",
              "eSpeak NG formant synthesis, 100+ languages, robotic timbre, near-zero latency.", 40_000, None,
              aliases=("espeak-ng",), concurrency_group="turbo", cost_factor=0.25, can_use_style=False),
    ModelSpec("f5_tts", "F5-TTS (zero-shot cloning)", "f5",
              "F5-TTS v1: clones a voice from a few seconds of reference audio (English, Chinese). "
              "User-installed weights; slow on CPU.", 5_000, ("en", "zh"), aliases=("f5-tts",),
              can_use_style=False, optional=True),
    ModelSpec("parler_tts", "Parler-TTS (voices described in words)", "parler",
              "Parler-TTS: speaks in a voice described in words (the real voice-design engine). "
              "User-installed weights; much slower than real time on CPU.", 5_000, None,
              aliases=("parler-tts",), can_use_style=False, optional=True),
)

DEFAULT_MODEL = "eleven_multilingual_v2"
_BY_ID = {m.model_id: m for m in MODELS} | {a: m for m in MODELS for a in m.aliases}


def get_model(model_id: str | None) -> ModelSpec:
    """Look up a model by ID or alias; ``None`` (and the SDK's ``Ellipsis`` bug) mean the default."""
    if model_id in (None, "", "Ellipsis"):
        model_id = DEFAULT_MODEL
    try:
        return _BY_ID[model_id]
    except KeyError:
        known = ", ".join(m.model_id for m in MODELS)
        raise ModelNotFound(f"A model with model ID {model_id!r} does not exist. Available: {known}.") from None


__all__ = ["DEFAULT_MODEL", "KOKORO_LANGUAGES", "LANGUAGE_NAMES", "MODELS", "ModelSpec", "get_model"]
