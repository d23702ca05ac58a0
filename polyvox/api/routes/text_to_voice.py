"""Voice design (``/v1/text-to-voice``): previews from a description, saving one as a voice, streaming it.

``POST /v1/text-to-voice/create-previews`` (SDK 1.x and 2.x ``create_previews``) and
``POST /v1/text-to-voice/design`` (SDK 2.x ``design``) return three previews; ``POST
/v1/text-to-voice`` (2.x ``create``) and ``POST /v1/text-to-voice/create-voice-from-preview``
(1.x) save one; ``GET /v1/text-to-voice/{generated_voice_id}/stream`` returns a preview's
mp3. How each parameter is honoured: ``services/voice_design.py`` and docs/voice-design.md.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.api.routes.voices import voice_json
from polyvox.audio.formats import parse_output_format
from polyvox.errors import InvalidRequest
from polyvox.services.voice_design import DESCRIPTION_CHARS, TEXT_CHARS, DesignRequest, VoiceDesignService

router = APIRouter(tags=["text-to-voice"])

_DESC = Field(..., min_length=DESCRIPTION_CHARS[0], max_length=DESCRIPTION_CHARS[1],
              description="Description to use for the created voice.")


class PreviewsBody(BaseModel):
    voice_description: str = _DESC
    text: str | None = Field(None, description="100-1000 characters; ignored when auto_generate_text is true.")
    auto_generate_text: bool | None = False
    loudness: float | None = Field(0.5, ge=-1, le=1)
    quality: float | None = Field(None, ge=-1, le=1)
    seed: int | None = Field(None, ge=0, le=2_147_483_647)
    guidance_scale: float | None = Field(5.0, ge=0, le=100)
    should_enhance: bool | None = False
    model_id: str | None = Field(None, description="polyvox: a design model, as in /design (default: Kokoro).")


class DesignBody(PreviewsBody):
    model_id: str | None = "eleven_multilingual_ttv_v2"
    stream_previews: bool | None = False
    remixing_session_id: str | None = None
    remixing_session_iteration_id: str | None = None
    reference_audio_base64: str | None = None
    prompt_strength: float | None = Field(None, ge=0, le=1)


class SaveBody(BaseModel):
    voice_name: str
    voice_description: str = _DESC
    generated_voice_id: str
    labels: dict[str, str | None] | None = None
    played_not_selected_voice_ids: list[str] | None = None


def _checked(body: PreviewsBody, output_format: str) -> DesignRequest:
    """Conditions the schema cannot state, as the same 422 list FastAPI gives for the others."""
    errors = []
    if not body.auto_generate_text:
        n = len((body.text or "").strip())
        if not TEXT_CHARS[0] <= n <= TEXT_CHARS[1]:
            errors.append({"loc": ("body", "text"), "type": "string_length",
                           "msg": f"text must be {TEXT_CHARS[0]}-{TEXT_CHARS[1]} characters long (it is {n}), "
                                  "or set auto_generate_text"})
    try:
        parse_output_format(output_format)
    except ValueError as e:
        errors.append({"loc": ("query", "output_format"), "type": "enum", "msg": str(e)})
    if errors:
        raise RequestValidationError(errors)
    if getattr(body, "reference_audio_base64", None):
        raise InvalidRequest("Designing from reference audio is not supported here; clone the voice with "
                             "POST /v1/voices/add instead.", code="reference_audio_not_supported")
    return DesignRequest(voice_description=body.voice_description, text=body.text,
                         auto_generate_text=bool(body.auto_generate_text), model_id=body.model_id,
                         output_format=output_format, seed=body.seed, guidance_scale=body.guidance_scale,
                         quality=body.quality, loudness=body.loudness)


async def _design(body: PreviewsBody, services, principal, output_format: str, include_audio: bool) -> dict:
    out = await services.component(VoiceDesignService).design(principal, _checked(body, output_format))
    return {"previews": [{"audio_base_64": base64.b64encode(p.audio).decode() if include_audio else "",
                          "generated_voice_id": p.generated_voice_id, "media_type": p.media_type,
                          "duration_secs": p.duration_secs, "language": p.language} for p in out.previews],
            "text": out.text}


@router.post("/v1/text-to-voice/create-previews")
async def create_previews(body: PreviewsBody, services: ServicesDep, principal: PrincipalDep,
                          output_format: str = Query("mp3_44100_192")) -> dict:
    """Three previews of a described voice (Kokoro design; ``model_id`` as in /design)."""
    return await _design(body, services, principal, output_format, include_audio=True)


@router.post("/v1/text-to-voice/design")
async def design(body: DesignBody, services: ServicesDep, principal: PrincipalDep,
                 output_format: str = Query("mp3_44100_192")) -> dict:
    """Three previews; ``stream_previews`` leaves the audio out (read it from .../{id}/stream)."""
    return await _design(body, services, principal, output_format, include_audio=not body.stream_previews)


def _save(body: SaveBody, request: Request, services, principal) -> dict:
    voice = services.component(VoiceDesignService).save(
        principal, body.generated_voice_id, name=body.voice_name, description=body.voice_description,
        labels={k: v for k, v in (body.labels or {}).items() if v is not None})
    return voice_json(voice, str(request.base_url))


@router.post("/v1/text-to-voice")
def create_voice(body: SaveBody, request: Request, services: ServicesDep, principal: PrincipalDep) -> dict:
    return _save(body, request, services, principal)


@router.post("/v1/text-to-voice/create-voice-from-preview")
def create_voice_from_preview(body: SaveBody, request: Request, services: ServicesDep,
                              principal: PrincipalDep) -> dict:
    return _save(body, request, services, principal)


@router.get("/v1/text-to-voice/{generated_voice_id}/stream", response_class=Response,
            responses={200: {"content": {"audio/mpeg": {}}}})
def stream_preview(generated_voice_id: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    audio = services.component(VoiceDesignService).preview_audio(generated_voice_id, principal)
    return Response(audio, media_type="audio/mpeg")
