"""Sound effects: a text prompt in, a sound of an exact (or automatic) length out.

Service-level API (routes and the CLI)::

    sfx = services.component(SoundEffectsService)
    plan = sfx.plan(principal, SfxRequest(text="a door creaks open", duration_seconds=3.0))
    result = await sfx.generate(plan)      # SfxResult: encoded bytes, cost, what was made

Models (``model_id``) map to engines as data (``SFX_MODELS``): ElevenLabs' ids and
``procedural`` run the embedded procedural sound designer; ``stable-audio-open`` runs
Stable Audio Open when its diffusers folder is installed in
``<models_dir>/stable-audio-open/``. ``POLYVOX_SOUND_EFFECTS__ENGINE=stable-audio-open``
makes it the engine behind the ElevenLabs ids too.

Cost (``character-cost`` header, charged to the key): 100 characters per generation with an
automatic duration, 25 per second when a duration is given (rounded up), as ElevenLabs
documented for its sound-effects model. Sound effects are not history items (the API's
history holds TTS and STS only).
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from polyvox.audio.formats import OutputFormat, parse_output_format
from polyvox.audio.stereo import encode_stereo
from polyvox.engines.sfx.base import MAX_SECONDS, MIN_SECONDS, SoundEffect, SoundRequest
from polyvox.errors import EngineFailure, InvalidOutputFormat, InvalidRequest, ModelNotFound
from polyvox.services.keys import Principal

logger = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 1000


class SoundEffectsSettings(BaseSettings):
    """``POLYVOX_SOUND_EFFECTS__*`` (nested under the main settings once the lead wires them in)."""

    model_config = SettingsConfigDict(env_prefix="POLYVOX_SOUND_EFFECTS__", extra="ignore")

    engine: str = "procedural"
    """Engine behind the ElevenLabs model ids: procedural (embedded) or stable-audio-open."""
    stable_audio_dir: Path | None = None
    """Stable Audio Open in diffusers format; default ``<models_dir>/stable-audio-open``."""
    stable_audio_steps: int = Field(100, ge=1, le=500)


SFX_MODELS: dict[str, str | None] = {
    "eleven_text_to_sound_v2": None, "eleven_text_to_sound_v1": None, "eleven_text_to_sound_v3": None,
    "procedural": "sfx:procedural", "stable-audio-open": "sfx:stable-audio-open",
}
"""model id -> engine key (None: the configured default engine)."""


@dataclass
class SfxRequest:
    text: str
    duration_seconds: float | None = None
    prompt_influence: float | None = 0.3
    loop: bool = False
    model_id: str | None = None
    output_format: str = "mp3_44100_128"
    seed: int | None = None
    """Not on the ElevenLabs wire; the CLI and tests use it for reproducible takes."""


@dataclass
class SfxPlan:
    request_id: str
    principal: Principal
    req: SfxRequest
    engine: str
    fmt: OutputFormat
    cost: int


@dataclass
class SfxResult:
    audio: bytes
    media_type: str
    seconds: float
    effect: SoundEffect


class SoundEffectsService:
    def __init__(self, services, settings: SoundEffectsSettings) -> None:
        self.services = services
        self.settings = settings
        self.engines = services.engines
        self.pool = services.pool
        self.limiter = services.limiter

    @classmethod
    def build(cls, services) -> SoundEffectsService:
        from polyvox.engines.sfx.procedural import ProceduralSfx
        from polyvox.engines.sfx.stable_audio import StableAudioSfx

        settings = getattr(services.settings, "sound_effects", None) or SoundEffectsSettings()
        svc = cls(services, settings)
        names = set(services.engines.names())
        threads = services.settings.engines.threads
        if "sfx:procedural" not in names:
            services.engines.register("sfx:procedural", ProceduralSfx)
        if "sfx:stable-audio-open" not in names:
            services.engines.register("sfx:stable-audio-open", lambda: StableAudioSfx(
                svc.stable_audio_dir, steps=settings.stable_audio_steps, threads=threads))
        return svc

    @property
    def stable_audio_dir(self) -> Path:
        return self.settings.stable_audio_dir or self.services.settings.models_dir / "stable-audio-open"

    def _engine(self, model_id: str | None) -> str:
        mid = (model_id or "").strip()
        if mid in ("", "Ellipsis", "null"):
            mid = "eleven_text_to_sound_v2"
        if mid not in SFX_MODELS:
            raise ModelNotFound(f"Model {mid!r} cannot make sound effects. Sound-effect models: "
                                f"{', '.join(SFX_MODELS)}.")
        key = SFX_MODELS[mid] or f"sfx:{self.settings.engine}"
        if key == "sfx:stable-audio-open":
            from polyvox.engines.sfx.stable_audio import installed

            if not installed(self.stable_audio_dir):
                raise ModelNotFound(f"Stable Audio Open is not installed: put the diffusers-format model in "
                                    f"{self.stable_audio_dir} (see docs/sound-effects.md).")
        if key not in self.engines.names():
            raise ModelNotFound(f"No sound-effects engine {key[4:]!r} on this server.")
        return key

    def plan(self, principal: Principal, req: SfxRequest) -> SfxPlan:
        text = (req.text or "").strip()
        if not text:
            raise InvalidRequest("text must not be empty.", code="empty_text")
        if len(text) > MAX_PROMPT_CHARS:
            raise InvalidRequest(f"text is {len(text)} characters long; at most {MAX_PROMPT_CHARS} are allowed.",
                                 code="max_character_limit_exceeded")
        if req.duration_seconds is not None and not MIN_SECONDS <= req.duration_seconds <= MAX_SECONDS:
            raise InvalidRequest(f"duration_seconds must be between {MIN_SECONDS} and {MAX_SECONDS}, got "
                                 f"{req.duration_seconds}.", code="invalid_duration")
        if req.prompt_influence is not None and not 0.0 <= req.prompt_influence <= 1.0:
            raise InvalidRequest("prompt_influence must be between 0 and 1.", code="invalid_prompt_influence")
        try:
            fmt = parse_output_format(req.output_format)
        except ValueError as e:
            raise InvalidOutputFormat(str(e)) from e
        engine = self._engine(req.model_id)
        cost = 100 if req.duration_seconds is None else math.ceil(25 * req.duration_seconds)
        self.services.keys.check_quota(principal.key_id, cost, self.services.settings.limits.character_limit)
        return SfxPlan(request_id=uuid.uuid4().hex, principal=principal, req=req, engine=engine, fmt=fmt, cost=cost)

    def render(self, plan: SfxPlan) -> SfxResult:
        """Synthesize and encode (blocking: run it in the engine pool)."""
        req = plan.req
        influence = 0.3 if req.prompt_influence is None else float(req.prompt_influence)
        try:
            with self.engines.acquire(plan.engine) as engine:
                effect = engine.generate(SoundRequest(text=req.text.strip(), duration=req.duration_seconds,
                                                      prompt_influence=influence, loop=bool(req.loop), seed=req.seed))
        except ValueError as e:
            raise InvalidRequest(str(e)) from e
        except RuntimeError as e:
            raise EngineFailure(f"The {plan.engine[4:]} engine failed: {e}") from e
        data = encode_stereo(effect.audio, effect.sample_rate, plan.fmt)
        logger.info("sound effect %s: %s", plan.request_id, effect.description.get("layers", effect.description))
        return SfxResult(data, plan.fmt.media_type, effect.duration, effect)

    async def generate(self, plan: SfxPlan) -> SfxResult:
        """Render under a concurrency slot in the engine pool; charges the key on success."""
        self.limiter.acquire(plan.principal.key_id)
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self.pool, self.render, plan)
        finally:
            self.limiter.release(plan.principal.key_id)
        if plan.principal.key_id:
            self.services.keys.charge(plan.principal.key_id, plan.cost)
        return result

    def headers(self, plan: SfxPlan) -> dict[str, str]:
        return {"request-id": plan.request_id, "character-cost": str(plan.cost),
                "x-character-count": str(plan.cost)}


__all__ = ["SFX_MODELS", "SfxPlan", "SfxRequest", "SfxResult", "SoundEffectsService", "SoundEffectsSettings"]
