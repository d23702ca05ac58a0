"""The premade voice catalogue: stable IDs, names, labels and engine bindings.

The first block carries the premade voice IDs that ElevenLabs documentation and SDK
examples use, each bound to a Kokoro voice (or a blend of two, so every name sounds
distinct) of the same gender and accent. The stock Kokoro and Piper voices follow under
their native names. eSpeak NG renders any voice with a variant of the voice's gender, so
it needs no binding here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PremadeVoice:
    voice_id: str
    name: str
    gender: str
    age: str
    accent: str
    use_case: str
    description: str
    kokoro: str | None
    """Kokoro voice or blend (``af_heart:0.7+af_bella:0.3``)."""
    piper: str | None = None
    language: str = "en"


# fmt: off
_EL = [
    ("21m00Tcm4TlvDq8ikWAM", "Rachel", "female", "young", "american", "narration", "calm", "af_heart"),
    ("EXAVITQu4vr4xnSDxMaL", "Sarah", "female", "young", "american", "news", "soft", "af_sarah"),
    ("JBFqnCBsd6RMkjVDRZzb", "George", "male", "middle aged", "british", "narration", "warm", "bm_george"),
    ("pNInz6obpgDQGcFmaJgB", "Adam", "male", "middle aged", "american", "narration", "deep", "am_michael:0.7+am_onyx:0.3"),
    ("AZnzlk1XvdvUeBnXmlld", "Domi", "female", "young", "american", "narration", "strong", "af_kore"),
    ("ErXwobaYiR019PkySvjV", "Antoni", "male", "young", "american", "narration", "well-rounded", "am_puck"),
    ("MF3mGyEYCl7XYWbV9V6O", "Elli", "female", "young", "american", "narration", "emotional", "af_sky"),
    ("TxGEqnHWrfWFTfGW9XjX", "Josh", "male", "young", "american", "narration", "deep", "am_fenrir"),
    ("VR6AewLTigWG4xSOukaG", "Arnold", "male", "middle aged", "american", "narration", "crisp", "am_onyx"),
    ("yoZ06aMxZJJ28mfd3POQ", "Sam", "male", "young", "american", "narration", "raspy", "am_echo"),
    ("9BWtsMINqrJLrRacOk9x", "Aria", "female", "middle aged", "american", "social media", "expressive", "af_bella"),
    ("CwhRBWXzGAHq8TQ4Fs17", "Roger", "male", "middle aged", "american", "social media", "confident", "am_michael"),
    ("FGY2WhTYpPnrIDTdsKH5", "Laura", "female", "young", "american", "social media", "upbeat", "af_nova"),
    ("IKne3meq5aSn9XLyUdCD", "Charlie", "male", "middle aged", "australian", "conversational", "natural", "am_eric:0.6+bm_lewis:0.4"),
    ("N2lVS1w4EtoT3dr4eOWO", "Callum", "male", "middle aged", "transatlantic", "characters", "intense", "bm_lewis:0.5+am_fenrir:0.5"),
    ("SAz9YHcvj6GT2YYXdXww", "River", "non-binary", "middle aged", "american", "social media", "confident", "af_river"),
    ("TX3LPaxmHKxFdv7VOQHJ", "Liam", "male", "young", "american", "narration", "articulate", "am_liam"),
    ("XB0fDUnXU5powFXDhCwa", "Charlotte", "female", "young", "swedish", "characters", "seductive", "af_nicole:0.5+bf_isabella:0.5"),
    ("Xb7hH8MSUJpSbSDYk0k2", "Alice", "female", "middle aged", "british", "news", "confident", "bf_alice"),
    ("XrExE9yKIg1WjnnlVkGX", "Matilda", "female", "middle aged", "american", "narration", "friendly", "af_aoede"),
    ("bIHbv24MWmeRgasZH58o", "Will", "male", "young", "american", "social media", "friendly", "am_puck:0.6+am_liam:0.4"),
    ("cgSgspJ2msm6clMCkdW9", "Jessica", "female", "young", "american", "conversational", "expressive", "af_jessica"),
    ("cjVigY5qzO86Huf0OWal", "Eric", "male", "middle aged", "american", "conversational", "friendly", "am_eric"),
    ("iP95p4xoKVk53GoZ742B", "Chris", "male", "middle aged", "american", "conversational", "casual", "am_michael:0.5+am_puck:0.5"),
    ("nPczCjzI2devNBz1zQrb", "Brian", "male", "middle aged", "american", "narration", "deep", "am_onyx:0.6+am_fenrir:0.4"),
    ("onwK4e9ZLuTAKqWW03F9", "Daniel", "male", "middle aged", "british", "news", "authoritative", "bm_daniel"),
    ("pFZP5JQG7iQjIQuC4Bku", "Lily", "female", "middle aged", "british", "narration", "warm", "bf_lily"),
    ("pqHfZKP75CvOlQylNhV4", "Bill", "male", "old", "american", "narration", "trustworthy", "am_adam"),
    ("ZQe5CZNOzWyzPSCn5a3c", "James", "male", "old", "australian", "news", "calm", "bm_fable:0.6+am_adam:0.4"),
    ("29vD33N1CtxCmqQRPOHJ", "Drew", "male", "middle aged", "american", "news", "well-rounded", "am_michael:0.4+am_eric:0.6"),
    ("2EiwWnXFnvU5JabPnv8n", "Clyde", "male", "middle aged", "american", "characters", "war veteran", "am_fenrir:0.7+am_adam:0.3"),
    ("5Q0t7uMcjvnagumLfvZi", "Paul", "male", "middle aged", "american", "news", "authoritative", "am_eric:0.5+am_onyx:0.5"),
    ("CYw3kZ02Hs0563khs1Fj", "Dave", "male", "young", "british", "characters", "conversational", "bm_lewis"),
    ("D38z5RcWu1voky8WS1ja", "Fin", "male", "old", "irish", "characters", "sailor", "bm_fable:0.5+bm_george:0.5"),
    ("LcfcDJNUP1GQjkzn1xUU", "Emily", "female", "young", "american", "meditation", "calm", "af_heart:0.5+af_sky:0.5"),
    ("ThT5KcBeYPX3keUQqHPh", "Dorothy", "female", "young", "british", "narration", "pleasant", "bf_emma"),
    ("Zlb1dXrM653N07WRdFW3", "Joseph", "male", "middle aged", "british", "news", "articulate", "bm_daniel:0.5+bm_george:0.5"),
    ("flq6f7yk4E4fJM5XTYuZ", "Michael", "male", "old", "american", "narration", "orotund", "am_adam:0.5+am_michael:0.5"),
    ("jsCqWAovK2LkecY7zXl4", "Freya", "female", "young", "american", "characters", "overhyped", "af_nova:0.5+af_kore:0.5"),
    ("oWAxZDx7w5VEj9dCyTzz", "Grace", "female", "young", "american-southern", "narration", "gentle", "af_bella:0.5+af_aoede:0.5"),
    ("piTKgcLEGmPE4e6mEKli", "Nicole", "female", "young", "american", "narration", "whisper", "af_nicole"),
    ("z9fAnlkpzviPz146aGWa", "Glinda", "female", "middle aged", "american", "characters", "witch", "af_kore:0.6+af_alloy:0.4"),
    ("zrHiDhphv9ZnVXBqCLjz", "Mimi", "female", "young", "swedish", "characters", "childish", "af_sky:0.6+bf_isabella:0.4"),
    ("knrPHWnBmmDHMoiMeP3l", "Santa Claus", "male", "old", "american", "characters", "jolly", "am_santa"),
]

_KOKORO = {
    "af": ("female", "american", "en"), "am": ("male", "american", "en"),
    "bf": ("female", "british", "en"), "bm": ("male", "british", "en"),
    "ef": ("female", "spanish", "es"), "em": ("male", "spanish", "es"),
    "ff": ("female", "french", "fr"), "hf": ("female", "indian", "hi"), "hm": ("male", "indian", "hi"),
    "if": ("female", "italian", "it"), "im": ("male", "italian", "it"),
    "jf": ("female", "japanese", "ja"), "jm": ("male", "japanese", "ja"),
    "pf": ("female", "brazilian", "pt"), "pm": ("male", "brazilian", "pt"),
    "zf": ("female", "chinese", "zh"), "zm": ("male", "chinese", "zh"),
}

KOKORO_VOICE_NAMES = (
    "af_alloy af_aoede af_bella af_heart af_jessica af_kore af_nicole af_nova af_river af_sarah af_sky "
    "am_adam am_echo am_eric am_fenrir am_liam am_michael am_onyx am_puck am_santa "
    "bf_alice bf_emma bf_isabella bf_lily bm_daniel bm_fable bm_george bm_lewis "
    "ef_dora em_alex em_santa ff_siwis hf_alpha hf_beta hm_omega hm_psi if_sara im_nicola "
    "jf_alpha jf_gongitsune jf_nezumi jf_tebukuro jm_kumo pf_dora pm_alex pm_santa "
    "zf_xiaobei zf_xiaoni zf_xiaoxiao zf_xiaoyi zm_yunjian zm_yunxi zm_yunxia zm_yunyang"
).split()
# fmt: on


def _catalogue() -> list[PremadeVoice]:
    out = [
        PremadeVoice(vid, name, gender, age, accent, use, f"{desc.capitalize()} {accent} {gender} voice.", kokoro)
        for vid, name, gender, age, accent, use, desc, kokoro in _EL
    ]
    for k in KOKORO_VOICE_NAMES:
        gender, accent, lang = _KOKORO[k[:2]]
        title = k.split("_", 1)[1].replace("_", " ").title()
        out.append(PremadeVoice(k, f"{title} (Kokoro)", gender, "young", accent, "general",
                                f"Kokoro-82M stock voice {k}.", k, language=lang))
    out.append(PremadeVoice("en_US-joe-medium", "Joe (Piper)", "male", "middle aged", "american", "general",
                            "Piper en_US-joe-medium: the lowest-latency voice.", None, piper="en_US-joe-medium"))
    return out


PREMADE_VOICES: tuple[PremadeVoice, ...] = tuple(_catalogue())

__all__ = ["KOKORO_VOICE_NAMES", "PREMADE_VOICES", "PremadeVoice"]
