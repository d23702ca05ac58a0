"""Voice preview audio: rendered once per voice on first request and kept in the blob store."""

from __future__ import annotations

import asyncio

from polyvox.services.keys import KeyService, Principal
from polyvox.services.models import get_model
from polyvox.services.tts import TTSRequest, TTSService
from polyvox.services.voices import VoiceService
from polyvox.store.blobs import LocalBlobStore

PREVIEW_TEXT = {
    "en": "Hello! This is a preview of my voice. I can read stories, news, and anything else you write.",
    "es": "¡Hola! Esta es una muestra de mi voz. Puedo leer historias, noticias y todo lo que escribas.",
    "fr": "Bonjour ! Voici un aperçu de ma voix. Je peux lire des histoires, des nouvelles et tout ce que vous écrivez.",
    "it": "Ciao! Questa è un'anteprima della mia voce. Posso leggere storie, notizie e tutto ciò che scrivi.",
    "pt": "Olá! Esta é uma amostra da minha voz. Posso ler histórias, notícias e tudo o que você escrever.",
    "hi": "नमस्ते! यह मेरी आवाज़ का एक नमूना है। मैं कहानियाँ और समाचार पढ़ सकती हूँ।",
    "ja": "こんにちは。これは私の声のサンプルです。物語やニュースを読むことができます。",
    "zh": "你好！这是我的声音样本。我可以朗读故事、新闻和你写的任何内容。",
}


class PreviewService:
    def __init__(self, tts: TTSService, voices: VoiceService, blobs: LocalBlobStore, keys: KeyService) -> None:
        self.tts, self.voices, self.blobs, self.keys = tts, voices, blobs, keys
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, voice_id: str) -> bytes:
        voice = self.voices.get(voice_id)
        key = f"voices/{voice_id}/preview.mp3"
        lock = self._locks.setdefault(voice_id, asyncio.Lock())
        async with lock:
            if self.blobs.exists(key):
                return self.blobs.get(key)
            model = "piper" if "kokoro" not in (voice.engines or {}) and "piper" in (voice.engines or {}) else \
                "eleven_multilingual_v2" if "kokoro" in (voice.engines or {}) else "espeak"
            lang = voice.language if voice.language in (get_model(model).languages or (voice.language,)) else "en"
            req = TTSRequest(text=PREVIEW_TEXT.get(lang, PREVIEW_TEXT["en"]), voice_id=voice_id, model_id=model,
                             language_code=lang, output_format="mp3_44100_128", enable_logging=False,
                             billable=False, seed=1)
            audio = await self.tts.render(Principal("preview", "preview", True), req)
            self.blobs.put(key, audio)
            return audio


__all__ = ["PreviewService"]
