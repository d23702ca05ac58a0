"""Voice design (ElevenLabs "text-to-voice"): a description in words -> three preview voices -> a saved voice.

Service-level API (routes and the CLI)::

    design = services.component(VoiceDesignService)
    out = await design.design(principal, DesignRequest(voice_description="...", text="..."))
    voice = design.save(principal, out.previews[0].generated_voice_id, name="Narrator", description="...")

Engines (``model_id``, as data in ``DESIGN_MODELS``): ElevenLabs' text-to-voice ids and
``kokoro`` run the Kokoro design of ``voicelab.design`` (a guided search in Kokoro's style
space plus pitch/formant post-processing; it is not a generative voice-design model);
``parler_tts`` runs Parler-TTS when its checkpoint is installed (``model_not_installed``
otherwise), and each Parler preview also gets a Kokoro counterpart (``blind_assets``) so the
saved voice works with every model.

Previews are kept for ``PREVIEW_TTL`` seconds as blobs under ``voice-design/<generated_voice_id>/``:
``meta.json`` (description, text, engine, report, owner), ``kokoro.npz`` (the voice) and
``preview.mp3`` (what ``GET /v1/text-to-voice/{id}/stream`` returns). Saving a preview stores
its asset as a voice of category ``generated`` through ``VoiceLabService.create_voice``; the
voice renders exactly as its preview did, and its ``/v1/voices/{id}/preview`` is the preview.

Request parameters and how they are honoured:

* ``guidance_scale`` (0-100, default 5): every described change is multiplied by
  ``guidance_scale / 5`` (at most 2): 0 keeps only gender, age and accent choices.
* ``quality`` (-1..1): less variety between the previews as it rises (``DesignOptions.variety``).
* ``seed``: the same seed, description and text give the same three voices.
* ``loudness`` (-1..1, default 0.5): previews are brought to ``-24 + 10 * loudness`` LUFS
  (0.5 gives -19 LUFS, the level TTS renders at).
* ``should_enhance``, ``remixing_*``, ``played_not_selected_voice_ids``: accepted, no effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import string
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from polyvox.audio import dsp
from polyvox.audio.encoder import encode
from polyvox.audio.file_encode import FileEncoder
from polyvox.audio.formats import OutputFormat, parse_output_format
from polyvox.engines.tts.kokoro_custom import KokoroVoiceAsset
from polyvox.errors import InvalidOutputFormat, InvalidRequest, ModelNotFound, NotFound, UnsupportedLanguage
from polyvox.services.keys import Principal
from polyvox.services.models import KOKORO_LANGUAGES
from polyvox.store.models import Voice
from polyvox.voicelab.describe import Attributes, parse_description
from polyvox.voicelab.sample_text import sample_text

logger = logging.getLogger(__name__)

DESCRIPTION_CHARS = (20, 1000)
TEXT_CHARS = (100, 1000)
PREVIEWS = 3
PREVIEW_TTL = 24 * 3600
STREAM_FORMAT = "mp3_44100_128"
DESIGN_MODELS: dict[str, str] = {
    "eleven_multilingual_ttv_v2": "kokoro", "eleven_ttv_v3": "kokoro", "eleven_multilingual_ttv_v1": "kokoro",
    "kokoro": "kokoro", "parler_tts": "parler", "parler-tts": "parler",
}
"""model id -> design engine."""
DEFAULT_MODEL = "eleven_multilingual_ttv_v2"
_ID = re.compile(r"^[A-Za-z0-9]{8,64}$")
_ALPHABET = string.ascii_letters + string.digits


class GeneratedVoiceNotFound(NotFound):
    code = "generated_voice_not_found"


@dataclass
class DesignRequest:
    voice_description: str
    text: str | None = None
    auto_generate_text: bool = False
    model_id: str | None = None
    output_format: str = "mp3_44100_192"
    seed: int | None = None
    guidance_scale: float | None = None
    quality: float | None = None
    loudness: float | None = None


@dataclass
class DesignedVoicePreview:
    generated_voice_id: str
    audio: bytes
    """Encoded in the request's output format."""
    media_type: str
    duration_secs: float
    language: str
    report: dict


@dataclass
class DesignOutput:
    previews: list[DesignedVoicePreview]
    text: str
    report: dict = field(default_factory=dict)


def _new_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(20))


def _encode(pcm: np.ndarray, rate: int, fmt: OutputFormat) -> bytes:
    """Whole-clip encoding; mp3 through the file muxer, whose LAME tag makes it gapless."""
    if fmt.codec != "mp3":
        return encode(pcm, rate, fmt)
    with tempfile.TemporaryDirectory(prefix="polyvox-design-") as tmp:
        path = Path(tmp) / "preview.mp3"
        enc = FileEncoder(path, fmt, rate)
        try:
            enc.write(pcm)
            enc.finish()
        finally:
            enc.close()
        return path.read_bytes()


def target_lufs(loudness: float | None) -> float:
    return -24.0 + 10.0 * (0.5 if loudness is None else float(loudness))


class VoiceDesignService:
    def __init__(self, services) -> None:
        self.services = services
        self.blobs = services.blobs

    @classmethod
    def build(cls, services) -> VoiceDesignService:
        svc = cls(services)
        svc.sweep()
        return svc

    def _lab(self):
        from polyvox.services.voice_lab import VoiceLabService

        return self.services.component(VoiceLabService)

    # ------------------------------------------------------------------ checks
    @staticmethod
    def check(req: DesignRequest) -> tuple[str, OutputFormat]:
        """Validate what the route's schema cannot (the CLI comes through here too); returns (engine, format)."""
        lo, hi = DESCRIPTION_CHARS
        if not lo <= len((req.voice_description or "").strip()) <= hi:
            raise InvalidRequest(f"voice_description must be {lo}-{hi} characters long.",
                                 code="invalid_voice_description", status=422)
        if not req.auto_generate_text:
            lo, hi = TEXT_CHARS
            if not lo <= len((req.text or "").strip()) <= hi:
                raise InvalidRequest(f"text must be {lo}-{hi} characters long (or set auto_generate_text).",
                                     code="invalid_text", status=422)
        try:
            fmt = parse_output_format(req.output_format)
        except ValueError as e:
            raise InvalidOutputFormat(str(e)) from e
        mid = (req.model_id or "").strip() or DEFAULT_MODEL
        if mid not in DESIGN_MODELS:
            raise ModelNotFound(f"Model {mid!r} cannot design voices. Voice-design models: "
                                f"{', '.join(DESIGN_MODELS)}.")
        return DESIGN_MODELS[mid], fmt

    def _engine_available(self, engine: str) -> None:
        if engine not in self.services.engines.names():
            raise ModelNotFound("Parler-TTS is a user-installed model and is not installed on this server "
                                "(set POLYVOX_ENGINES__PARLER_DIR; see docs/voice-design.md).",
                                code="model_not_installed")

    @staticmethod
    def _language(text: str, auto: bool) -> str:
        if auto:
            return "en"
        from polyvox.text import langdetect

        found = langdetect.detect(text)
        return found.language if found else "en"

    # ------------------------------------------------------------------ design
    async def design(self, principal: Principal, req: DesignRequest) -> DesignOutput:
        """Validate, then render the previews in the engine pool under a concurrency slot."""
        engine, fmt = self.check(req)
        self._engine_available(engine)
        seed = req.seed if req.seed is not None else secrets.randbelow(2**31)
        text = sample_text(req.voice_description, seed) if req.auto_generate_text else " ".join(req.text.split())
        cost = len(text)
        limits = self.services.settings.limits
        self.services.keys.check_quota(principal.key_id, cost, limits.character_limit)
        self.services.limiter.acquire(principal.key_id)
        try:
            loop = asyncio.get_running_loop()
            out = await loop.run_in_executor(self.services.pool, self.render, principal, req, engine, fmt, text, seed)
        finally:
            self.services.limiter.release(principal.key_id)
        if principal.key_id:
            self.services.keys.charge(principal.key_id, cost)
        return out

    def render(self, principal: Principal, req: DesignRequest, engine: str, fmt: OutputFormat, text: str,
               seed: int) -> DesignOutput:
        """Design, post-process, encode and keep the previews (blocking)."""
        from polyvox.voicelab.design import DesignOptions

        self.sweep()
        description = " ".join(req.voice_description.split())
        attrs = parse_description(description)
        language = self._language(text, req.auto_generate_text)
        gs = 5.0 if req.guidance_scale is None else float(req.guidance_scale)
        opts = DesignOptions(n=PREVIEWS, seed=seed, variety=0.5 if req.quality is None else (1.0 - req.quality) / 2,
                             guidance=min(2.0, gs / 5.0), language=language)
        t0 = time.perf_counter()
        if engine == "parler":
            voices, report = self._parler(description, attrs, text, opts)
        else:
            voices, report = self._kokoro(attrs, text, opts)
        report |= {"seed": seed, "engine": engine, "seconds": round(time.perf_counter() - t0, 2)}
        lufs = target_lufs(req.loudness)
        previews = []
        for asset, parler_spec, audio, rate, info in voices:
            audio = dsp.match_loudness(audio, rate, lufs, max_gain_db=20.0)
            gid = _new_id()
            meta = {"created_unix": int(time.time()), "key_id": principal.key_id, "description": description,
                    "text": text, "language": language, "engine": engine, "model_id": req.model_id or DEFAULT_MODEL,
                    "attributes": attrs.describe(), "labels": attrs.labels(), "parler": parler_spec,
                    "report": {**info, "design": report}}
            data = _encode(audio, rate, fmt)
            stream = data if fmt.name == STREAM_FORMAT else _encode(audio, rate, parse_output_format(STREAM_FORMAT))
            self.blobs.put(f"voice-design/{gid}/kokoro.npz", asset.to_bytes())
            self.blobs.put(f"voice-design/{gid}/preview.mp3", stream)
            self.blobs.put(f"voice-design/{gid}/meta.json", json.dumps(meta).encode())  # last: marks it complete
            previews.append(DesignedVoicePreview(gid, data, fmt.media_type, round(len(audio) / rate, 3), language,
                                                 info))
        logger.info("voice design %r: %s", description[:80], report)
        return DesignOutput(previews=previews, text=text, report=report)

    def _kokoro(self, attrs: Attributes, text: str, opts) -> tuple[list, dict]:
        from polyvox.voicelab.design import design_voices

        if opts.language not in KOKORO_LANGUAGES:
            raise UnsupportedLanguage(f"The preview text looks {opts.language!r}; Kokoro voice design speaks "
                                      f"{', '.join(KOKORO_LANGUAGES)}.")
        with self._lab().engine_context() as (engine, embedder, space, stock):
            result = design_voices(engine, embedder, space, stock, attrs, text, opts)
        voices = [(p.asset, None, p.audio, p.sample_rate, p.report) for p in result.previews]
        return voices, result.report()

    def _parler(self, description: str, attrs: Attributes, text: str, opts) -> tuple[list, dict]:
        from polyvox.voicelab.design import blind_assets

        self._engine_available("parler")
        try:
            with self.services.engines.acquire("parler") as engine:
                made = engine.design(description, text, n=opts.n, seed=opts.seed, language=opts.language)
        except ValueError as e:
            raise UnsupportedLanguage(str(e)) from e
        with self._lab().engine_context() as (_engine, _embedder, space, stock):
            counterparts = blind_assets(attrs, space, stock, opts)
        voices = [(asset, spec, syn.audio, syn.sample_rate, {"parler": spec})
                  for (spec, syn), asset in zip(made, counterparts)]
        return voices, {"method": "parler-tts", "attributes": attrs.describe()}

    # ------------------------------------------------------------------ kept previews
    def _meta(self, generated_voice_id: str, principal: Principal | None) -> dict:
        gid = generated_voice_id or ""
        key = f"voice-design/{gid}/meta.json"
        missing = GeneratedVoiceNotFound(
            f"No voice preview with generated_voice_id {gid!r} (previews are kept for "
            f"{PREVIEW_TTL // 3600} hours; design the voice again).")
        if not _ID.match(gid) or not self.blobs.exists(key):
            raise missing
        meta = json.loads(self.blobs.get(key))
        if meta["created_unix"] + PREVIEW_TTL < time.time():
            self._drop(gid)
            raise missing
        owner = meta.get("key_id")
        if principal is not None and owner and principal.key_id != owner and not principal.is_admin:
            raise missing  # another key's preview: as if it did not exist
        return meta

    def preview_audio(self, generated_voice_id: str, principal: Principal | None) -> bytes:
        self._meta(generated_voice_id, principal)
        return self.blobs.get(f"voice-design/{generated_voice_id}/preview.mp3")

    def save(self, principal: Principal, generated_voice_id: str, *, name: str, description: str | None,
             labels: dict[str, str] | None = None) -> Voice:
        """The preview as a voice of category ``generated`` (usable in every TTS route at once)."""
        if not name or not name.strip():
            raise InvalidRequest("voice_name must not be empty.", code="invalid_name")
        meta = self._meta(generated_voice_id, principal)
        gid = generated_voice_id
        asset = KokoroVoiceAsset.from_bytes(self.blobs.get(f"voice-design/{gid}/kokoro.npz"))
        method = "parler-tts" if meta["engine"] == "parler" else "kokoro-style-design"
        lab_info = {"method": method, "generated_voice_id": gid, "voice_description": meta["description"],
                    "preview_text": meta["text"], "attributes": meta["attributes"], "report": meta["report"]}
        voice = self._lab().create_voice(
            name=name, description=description or meta["description"],
            labels={**meta["labels"], **{k: v for k, v in (labels or {}).items() if v is not None}},
            category="generated", asset=asset, lab_info=lab_info, key_id=principal.key_id,
            language=meta["language"], extra_engines={"parler": meta["parler"]} if meta.get("parler") else None)
        # the voice's preview is the one that was chosen
        self.blobs.put(f"voices/{voice.voice_id}/preview.mp3", self.blobs.get(f"voice-design/{gid}/preview.mp3"))
        return voice

    def _drop(self, gid: str) -> None:
        for name in ("meta.json", "kokoro.npz", "preview.mp3"):
            self.blobs.delete(f"voice-design/{gid}/{name}")
        with contextlib.suppress(OSError):
            (self.blobs.root / "voice-design" / gid).rmdir()

    def sweep(self) -> int:
        """Delete expired previews (and halves of ones a crash left without meta.json)."""
        now = time.time()
        n = 0
        for gid in {k.split("/")[1] for k in self.blobs.keys("voice-design") if k.count("/") == 2}:
            key = f"voice-design/{gid}/meta.json"
            try:
                created = json.loads(self.blobs.get(key))["created_unix"]
            except (OSError, ValueError, KeyError):
                created = None
            if created is None:  # being written now, or left by a crash: judge by the folder's age
                path = self.blobs.root / "voice-design" / gid
                created = path.stat().st_mtime - PREVIEW_TTL + 3600 if path.exists() else 0
            if created + PREVIEW_TTL < now:
                self._drop(gid)
                n += 1
        return n


__all__ = ["DESIGN_MODELS", "PREVIEW_TTL", "DesignOutput", "DesignRequest", "DesignedVoicePreview",
           "GeneratedVoiceNotFound", "VoiceDesignService", "target_lufs"]
