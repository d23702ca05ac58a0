"""Voice changer (speech to speech): source speech in, the same speech in another voice out.

Service-level API (routes and the CLI)::

    vc = services.component(VoiceChangerService)
    plan = vc.plan(principal, STSRequest(voice_id=..., model_id=..., ...))   # everything but the audio
    vc.admit(plan)                                      # a concurrency slot (429 when none)
    await vc.open(plan, path)                           # decode, limits, denoise, language: errors now
    async for data in vc.stream(plan): ...              # encoded bytes as phrases are converted

Models (``model_id``) map to voice-conversion engines, as data in ``STS_MODELS``:
``eleven_english_sts_v2`` (the spec's default; English, Whisper tiny.en) and
``eleven_multilingual_sts_v2`` (Whisper base, language detected) run the embedded
re-synthesis engine (``engines/vc/resynth.py``); ``knn-vc`` runs kNN-VC when its weights are
installed in ``<models_dir>/knn-vc/`` (``engines/vc/knnvc.py``).

The finished conversion is recorded in history with source ``STS`` (text: what was
recognised, which is also what is charged) unless ``enable_logging`` is false.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from polyvox.audio import dsp
from polyvox.audio.decode import AudioDecodeError
from polyvox.audio.encoder import StreamEncoder
from polyvox.audio.formats import OutputFormat, parse_output_format
from polyvox.audio.stream_decode import StreamingDecoder
from polyvox.engines.tts.base import SynthesisRequest, VoiceSettings
from polyvox.engines.vc.base import Conversion, ConversionRequest, UnsupportedLanguageError
from polyvox.errors import (
    EngineFailure,
    InvalidOutputFormat,
    InvalidRequest,
    ModelNotFound,
    UnsupportedLanguage,
)
from polyvox.services import media_input
from polyvox.services.history import NewHistoryItem
from polyvox.services.keys import Principal
from polyvox.services.voices import settings_from_dict
from polyvox.store.models import Voice

logger = logging.getLogger(__name__)

_TTS_PREFERENCE = ("kokoro", "piper", "espeak")
_REFERENCE_TEXTS = (
    "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.",
    "It is easy to tell the depth of a well. These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls. The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck. The hogs were fed chopped corn and garbage.",
)


class VoiceChangerSettings(BaseSettings):
    """``POLYVOX_VOICE_CHANGER__*`` (nested under the main settings once the lead wires them in)."""

    model_config = SettingsConfigDict(env_prefix="POLYVOX_VOICE_CHANGER__", extra="ignore")

    max_upload_mb: float = Field(50.0, gt=0)
    """ElevenLabs' limit for voice changer uploads."""
    max_seconds: float = Field(300.0, gt=0)
    """5 minutes, as ElevenLabs."""
    knn_vc_dir: Path | None = None
    """kNN-VC weights; default ``<models_dir>/knn-vc``."""


@dataclass(frozen=True)
class StsModel:
    model_id: str
    name: str
    engine: str
    """Key in the engine manager (``vc:resynth``, ``vc:knn-vc``)."""
    english_only: bool
    description: str


STS_MODELS: dict[str, StsModel] = {m.model_id: m for m in (
    StsModel("eleven_english_sts_v2", "Eleven English v2 (speech to speech)", "vc:resynth", True,
             "Whisper tiny.en words and timing, re-spoken by the target voice, source pitch and loudness kept."),
    StsModel("eleven_multilingual_sts_v2", "Eleven Multilingual v2 (speech to speech)", "vc:resynth", False,
             "Whisper base (language detected), re-spoken by the target voice, source pitch and loudness kept."),
    StsModel("knn-vc", "kNN-VC (WavLM + HiFi-GAN)", "vc:knn-vc", False,
             "Any-to-any conversion by WavLM feature matching; needs its weights in <models_dir>/knn-vc."),
)}
_ALIASES = {"eleven_english_sts_v1": "eleven_english_sts_v2", "eleven_multilingual_sts_v1": "eleven_multilingual_sts_v2"}
DEFAULT_STS_MODEL = "eleven_english_sts_v2"


@dataclass
class STSRequest:
    voice_id: str
    model_id: str | None = None
    voice_settings: dict[str, Any] | None = None
    seed: int | None = None
    remove_background_noise: bool = False
    output_format: str = "mp3_44100_128"
    enable_logging: bool = True
    file_format: str | None = None
    """``pcm_s16le_16`` for raw 16 kHz PCM input, else any container PyAV reads (video too)."""


@dataclass
class STSPlan:
    request_id: str
    history_item_id: str
    principal: Principal
    req: STSRequest
    model: StsModel
    voice: Voice
    settings: VoiceSettings
    fmt: OutputFormat
    tts_engine: str | None
    target_voice: str | None
    conversion: Conversion | None = None
    input_seconds: float = 0.0
    slot_held: bool = False
    _released: bool = field(default=False, repr=False)


class VoiceChangerService:
    def __init__(self, services, settings: VoiceChangerSettings) -> None:
        self.services = services
        self.settings = settings
        self.engines = services.engines
        self.pool = services.pool
        self.limiter = services.limiter
        self.tmp_dir = media_input.temp_dir(services.settings.data_dir)
        self._references: dict[str, list[np.ndarray]] = {}

    @classmethod
    def build(cls, services) -> VoiceChangerService:
        settings = getattr(services.settings, "voice_changer", None) or VoiceChangerSettings()
        svc = cls(services, settings)
        svc._register_engines()
        return svc

    def _register_engines(self) -> None:
        from polyvox.engines.vc.knnvc import KnnVC
        from polyvox.engines.vc.resynth import ResynthVC
        from polyvox.services.stt import SttService

        models = self.services.settings.models_dir
        threads = self.services.settings.engines.threads
        names = set(self.engines.names())

        def transcriber(english_only: bool):  # speech to text's own Whisper models: loaded once
            return self.services.component(SttService).transcriber("tiny.en" if english_only else "base")

        if "vc:resynth" not in names:
            self.engines.register("vc:resynth", lambda: ResynthVC(self.engines, transcriber))
        knn_dir = self.settings.knn_vc_dir or models / "knn-vc"
        if "vc:knn-vc" not in names:
            self.engines.register("vc:knn-vc", lambda: KnnVC(knn_dir, threads=threads))

    # facts -------------------------------------------------------------------------------
    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_upload_mb * 1e6)

    def model(self, model_id: str | None) -> StsModel:
        mid = (model_id or "").strip()
        if mid in ("", "Ellipsis", "null"):
            mid = DEFAULT_STS_MODEL
        mid = _ALIASES.get(mid, mid)
        m = STS_MODELS.get(mid)
        if m is None:
            raise ModelNotFound(f"Model {mid!r} cannot do voice conversion. Voice changer models: "
                                f"{', '.join(STS_MODELS)}.")
        if m.engine == "vc:knn-vc":
            from polyvox.engines.vc.knnvc import installed

            if not installed(self.settings.knn_vc_dir or self.services.settings.models_dir / "knn-vc"):
                raise ModelNotFound("Model 'knn-vc' is not installed: put its WavLM and HiFi-GAN weights in "
                                    "<models_dir>/knn-vc (see docs/voice-changer.md).")
        return m

    # validation --------------------------------------------------------------------------
    def plan(self, principal: Principal, req: STSRequest) -> STSPlan:
        """Check the request (not the audio) before anything is read or decoded."""
        model = self.model(req.model_id)
        try:
            fmt = parse_output_format(req.output_format)
        except ValueError as e:
            raise InvalidOutputFormat(str(e)) from e
        if req.seed is not None and not 0 <= req.seed <= 4294967295:
            raise InvalidRequest("seed must be between 0 and 4294967295.", code="invalid_seed")
        if req.file_format not in (None, "", "other", "pcm_s16le_16"):
            raise InvalidRequest("file_format must be 'pcm_s16le_16' or 'other'.", code="invalid_file_format")
        voice = self.services.voices.get(req.voice_id)
        settings = settings_from_dict(req.voice_settings, settings_from_dict(voice.settings))
        for name in ("stability", "similarity_boost", "style"):
            v = getattr(settings, name)
            if not 0.0 <= v <= 1.0:
                raise InvalidRequest(f"voice_settings.{name} must be between 0 and 1, got {v}.",
                                     code="invalid_voice_settings")
        tts_engine, target = None, None
        if model.engine == "vc:resynth":
            tts_engine, target = self._tts_binding(voice)
        return STSPlan(request_id=uuid.uuid4().hex, history_item_id=uuid.uuid4().hex[:20], principal=principal,
                       req=req, model=model, voice=voice, settings=settings, fmt=fmt, tts_engine=tts_engine,
                       target_voice=target)

    def _tts_binding(self, voice: Voice) -> tuple[str, str]:
        engines = voice.engines or {}
        for name in _TTS_PREFERENCE:
            if name in engines and name in self.engines.names():
                return name, engines[name]
        raise InvalidRequest(
            f"Voice {voice.name!r} ({voice.voice_id}) has no text-to-speech binding the voice changer can speak "
            f"with (it has: {', '.join(sorted(engines)) or 'none'}).", code="voice_not_supported_by_model")

    def admit(self, plan: STSPlan) -> None:
        self.limiter.acquire(plan.principal.key_id)
        plan.slot_held = True

    def release(self, plan: STSPlan) -> None:
        if plan.slot_held and not plan._released:
            plan._released = True
            self.limiter.release(plan.principal.key_id)

    # input -------------------------------------------------------------------------------
    async def open(self, plan: STSPlan, path: Path) -> None:
        """Decode and check the upload, denoise it if asked, and start the conversion."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.pool, self.open_sync, plan, path)

    def open_sync(self, plan: STSPlan, path: Path) -> None:
        engine = self.engines.peek(plan.model.engine)
        rate = engine.info.input_rate
        try:
            with StreamingDecoder(path, rate, max_seconds=self.settings.max_seconds,
                                  file_format=plan.req.file_format or None, min_chunk=rate * 10) as dec:
                src = dec.read_all()
        except AudioDecodeError as e:
            err = media_input.decode_error(e)
            if err.code == "audio_too_long":
                err = InvalidRequest(f"The audio is longer than the voice changer's limit of "
                                     f"{self.settings.max_seconds / 60:g} minutes.", code="audio_too_long")
            raise err from e
        if src.size == 0:
            raise InvalidRequest("The uploaded audio contains no samples.", code="empty_file")
        plan.input_seconds = len(src) / rate
        # ~15 characters per second of speech is the most a conversion can be charged
        self.services.keys.check_quota(plan.principal.key_id, math.ceil(plan.input_seconds * 15),
                                       self.services.settings.limits.character_limit)
        if plan.req.remove_background_noise:
            src = self._denoise(src, rate)
        request = ConversionRequest(source=src, target_voice=plan.target_voice, tts_engine=plan.tts_engine,
                                    references=self._references_for(plan) if engine.info.target == "reference_audio"
                                    else [], english_only=plan.model.english_only, settings=plan.settings,
                                    seed=plan.req.seed)
        try:
            with self.engines.acquire(plan.model.engine) as eng:
                plan.conversion = eng.convert(request)
        except UnsupportedLanguageError as e:
            raise UnsupportedLanguage(str(e)) from e
        except ValueError as e:
            raise InvalidRequest(str(e), code="invalid_audio") from e
        except RuntimeError as e:
            raise EngineFailure(f"The voice changer could not start: {e}") from e

    def _denoise(self, src: np.ndarray, rate: int) -> np.ndarray:
        """``remove_background_noise``: the voice isolator, before recognition and analysis."""
        from polyvox.services.isolation import IsolationService

        return self.services.component(IsolationService).isolate_array(src, rate)

    def _references_for(self, plan: STSPlan) -> list[np.ndarray]:
        """Target recordings for reference-audio engines: the voice's samples, else renders of its TTS voice."""
        key = plan.voice.voice_id
        if key in self._references:
            return self._references[key]
        rate = self.engines.peek(plan.model.engine).info.input_rate
        refs: list[np.ndarray] = []
        for sample in plan.voice.samples or []:
            blob = sample.get("blob_key") if isinstance(sample, dict) else None
            if blob:
                try:
                    from polyvox.audio import decode_audio

                    pcm, _ = decode_audio(self.services.blobs.get(blob), target_rate=rate)
                    refs.append(pcm)
                except (AudioDecodeError, OSError, KeyError):
                    logger.warning("voice %s: sample %s unreadable", key, blob)
        if not refs:
            engine_name, spec = self._tts_binding(plan.voice)
            with self.engines.acquire(engine_name) as tts:
                for text in _REFERENCE_TEXTS:
                    syn = tts.synthesize(SynthesisRequest(text=text, voice=spec, language="en"))
                    refs.append(dsp.resample(syn.audio, syn.sample_rate, rate))
        self._references[key] = refs
        return refs

    # output ------------------------------------------------------------------------------
    async def stream(self, plan: STSPlan) -> AsyncIterator[bytes]:
        """Encoded bytes of the conversion; records history when the whole stream was made."""
        if plan.conversion is None:
            raise RuntimeError("open() must run before stream()")
        loop = asyncio.get_running_loop()
        conv = plan.conversion
        encoder = StreamEncoder(plan.fmt, conv.sample_rate)
        chunks = iter(conv)
        done = object()
        kept: list[bytes] = []
        samples = 0
        try:
            while True:
                pcm = await loop.run_in_executor(self.pool, _next_chunk, chunks, done)
                if pcm is done:
                    break
                samples += len(pcm)
                data = await loop.run_in_executor(self.pool, encoder.write, pcm)
                if data:
                    kept.append(data)
                    yield data
            tail = await loop.run_in_executor(self.pool, encoder.finish)
            if tail:
                kept.append(tail)
                yield tail
            await loop.run_in_executor(self.pool, self._finish, plan, b"".join(kept), samples / conv.sample_rate)
        finally:
            encoder.close()
            self.release(plan)

    async def convert(self, plan: STSPlan) -> bytes:
        return b"".join([d async for d in self.stream(plan)])

    def _finish(self, plan: STSPlan, audio: bytes, seconds: float) -> None:
        conv = plan.conversion
        self.services.history.record(NewHistoryItem(
            history_item_id=plan.history_item_id, request_id=plan.request_id, key_id=plan.principal.key_id,
            voice_id=plan.voice.voice_id, voice_name=plan.voice.name, voice_category=plan.voice.category,
            model_id=plan.model.model_id, text=conv.text if conv else "", content_type=plan.fmt.media_type,
            output_format=plan.fmt.name, settings=asdict(plan.settings), source="STS", duration_seconds=seconds,
            loudness_lufs=None, speaking_rate=None, alignment=None), audio, log=plan.req.enable_logging)

    def headers(self, plan: STSPlan) -> dict[str, str]:
        h = {"request-id": plan.request_id,
             "current-concurrent-requests": str(self.limiter.current(plan.principal.key_id)),
             "maximum-concurrent-requests": str(self.limiter.per_key)}
        if plan.req.enable_logging:
            h["history-item-id"] = plan.history_item_id
        return h


def _next_chunk(it, done):
    try:
        return next(it, done)
    except (ValueError, RuntimeError) as e:
        raise EngineFailure(f"The voice changer failed mid-stream: {e}") from e


__all__ = [
    "DEFAULT_STS_MODEL",
    "STS_MODELS",
    "STSPlan",
    "STSRequest",
    "StsModel",
    "VoiceChangerService",
    "VoiceChangerSettings",
]
