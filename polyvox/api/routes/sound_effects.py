"""``POST /v1/sound-generation``: a prompt in, a sound effect (audio/mpeg by default) out.

Body (JSON): ``text``, ``duration_seconds`` (0.5-22, or null for automatic),
``prompt_influence`` (0-1, default 0.3), and the later ``loop`` and ``model_id``.
``output_format`` is a query parameter (SDK 1.54 and 2.x send it there).
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.audio.formats import parse_output_format
from polyvox.services.sound_effects import SfxRequest, SoundEffectsService

router = APIRouter(tags=["sound-generation"])


class SoundGenerationBody(BaseModel):
    text: str = Field(..., description="The text that will get converted into a sound effect.")
    duration_seconds: float | None = Field(None, ge=0.5, le=22, description="0.5-22 s; null: chosen from the prompt.")
    prompt_influence: float | None = Field(0.3, ge=0, le=1)
    loop: bool | None = Field(False, description="Make the end run seamlessly into the start.")
    model_id: str | None = None


@router.post("/v1/sound-generation", response_class=Response,
             responses={200: {"content": {"audio/mpeg": {}}, "headers": {"character-cost": {"schema": {"type": "string"}}}}})
async def sound_generation(body: SoundGenerationBody, services: ServicesDep, principal: PrincipalDep,
                           output_format: str = Query("mp3_44100_128"), enable_logging: bool = True) -> Response:
    try:
        parse_output_format(output_format)
    except ValueError as e:
        raise RequestValidationError([{"loc": ("query", "output_format"), "msg": str(e), "type": "enum"}]) from e
    sfx = services.component(SoundEffectsService)
    plan = sfx.plan(principal, SfxRequest(text=body.text, duration_seconds=body.duration_seconds,
                                          prompt_influence=body.prompt_influence, loop=bool(body.loop),
                                          model_id=body.model_id, output_format=output_format))
    result = await sfx.generate(plan)
    return Response(result.audio, media_type=result.media_type, headers=sfx.headers(plan))
