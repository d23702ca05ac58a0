"""Voice changer: ``POST /v1/speech-to-speech/{voice_id}`` and ``/stream``, and the later aliases
``/v1/voice-changer/{voice_id}`` and ``/stream`` (SDK 2.x calls those).

Multipart form: ``audio`` (file, required; any audio or video container, or raw 16 kHz PCM
with ``file_format=pcm_s16le_16``), ``model_id`` (``eleven_english_sts_v2`` default,
``eleven_multilingual_sts_v2``), ``voice_settings`` (a JSON string), ``seed``,
``remove_background_noise``. Query: ``output_format``, ``enable_logging``,
``optimize_streaming_latency`` (accepted; the first phrase is always sent as soon as it is
ready). Uploads stream to disk with the 50 MB limit enforced while reading; audio longer
than 5 minutes is refused before any conversion work.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.api.streamed_upload import MultipartForm, invalid, missing, read_form
from polyvox.audio.formats import parse_output_format
from polyvox.services.voice_changer import STSPlan, STSRequest, VoiceChangerService

router = APIRouter(tags=["speech-to-speech"])

_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["audio"], "properties": {
        "audio": {"type": "string", "format": "binary"},
        "model_id": {"type": "string", "default": "eleven_english_sts_v2"},
        "voice_settings": {"type": "string", "description": "JSON-encoded voice settings"},
        "seed": {"type": "integer"},
        "remove_background_noise": {"type": "boolean", "default": False},
        "file_format": {"type": "string", "enum": ["pcm_s16le_16", "other"], "default": "other"}}}}}},
    "responses": {"200": {"content": {"audio/mpeg": {}}}}}

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", "", "null", "none"}


def _bool(form: MultipartForm, name: str) -> bool:
    v = (form.get(name) or "").strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise invalid(name, "Input should be a valid boolean")


def _request(voice_id: str, form: MultipartForm, output_format: str, enable_logging: bool) -> STSRequest:
    settings = None
    raw = form.get("voice_settings")
    if raw not in (None, "", "null", "None"):
        try:
            settings = json.loads(raw)
        except json.JSONDecodeError as e:
            raise invalid("voice_settings", f"voice_settings must be a JSON object: {e.msg}") from e
        if not isinstance(settings, dict):
            raise invalid("voice_settings", "voice_settings must be a JSON object")
        for k, v in settings.items():
            if k in ("stability", "similarity_boost", "style", "speed") and v is not None \
                    and not isinstance(v, (int, float)):
                raise invalid("voice_settings", f"voice_settings.{k} must be a number")
    seed = None
    raw_seed = (form.get("seed") or "").strip()
    if raw_seed not in ("", "null", "None"):
        try:
            seed = int(raw_seed)
        except ValueError as e:
            raise invalid("seed", "Input should be a valid integer") from e
    file_format = form.get("file_format")
    if file_format in ("", "null", "other"):
        file_format = None
    elif file_format not in (None, "pcm_s16le_16"):
        raise invalid("file_format", "Input should be 'pcm_s16le_16' or 'other'")
    model_id = form.get("model_id")
    return STSRequest(voice_id=voice_id, model_id=None if model_id in (None, "", "null") else model_id,
                      voice_settings=settings, seed=seed, remove_background_noise=_bool(form, "remove_background_noise"),
                      output_format=output_format, enable_logging=enable_logging, file_format=file_format)


async def _start(request: Request, services, principal, voice_id: str, output_format: str,
                 enable_logging: bool) -> tuple[VoiceChangerService, STSPlan, MultipartForm]:
    try:
        parse_output_format(output_format)
    except ValueError as e:
        raise RequestValidationError([{"loc": ("query", "output_format"), "msg": str(e), "type": "enum"}]) from e
    vc = services.component(VoiceChangerService)
    form = await read_form(request, max_file_bytes=vc.max_bytes, tmp_dir=vc.tmp_dir, file_fields=("audio",))
    plan = None
    try:
        upload = form.files.get("audio")
        if upload is None:
            raise missing("audio")
        plan = vc.plan(principal, _request(voice_id, form, output_format, enable_logging))
        vc.admit(plan)
        await vc.open(plan, upload.path)
    except BaseException:
        if plan is not None:
            vc.release(plan)
        form.cleanup()
        raise
    form.cleanup()  # the audio is decoded; the upload is no longer needed
    return vc, plan, form


async def _convert(request: Request, services, principal, voice_id: str, output_format: str,
                   enable_logging: bool) -> Response:
    vc, plan, _ = await _start(request, services, principal, voice_id, output_format, enable_logging)
    audio = await vc.convert(plan)
    headers = vc.headers(plan)
    headers["character-cost"] = str(len(plan.conversion.text) if plan.conversion else 0)
    return Response(audio, media_type=plan.fmt.media_type, headers=headers)


async def _stream(request: Request, services, principal, voice_id: str, output_format: str,
                  enable_logging: bool) -> StreamingResponse:
    vc, plan, _ = await _start(request, services, principal, voice_id, output_format, enable_logging)

    async def body() -> AsyncIterator[bytes]:
        async for data in vc.stream(plan):
            yield data

    return StreamingResponse(body(), media_type=plan.fmt.media_type, headers=vc.headers(plan),
                             background=BackgroundTask(vc.release, plan))


OutputFormatQ = Query("mp3_44100_128")
LatencyQ = Query(None, ge=0, le=4)


@router.post("/v1/speech-to-speech/{voice_id}", openapi_extra=_FORM, response_class=Response)
async def speech_to_speech(voice_id: str, request: Request, services: ServicesDep, principal: PrincipalDep,
                           output_format: str = OutputFormatQ, enable_logging: bool = True,
                           optimize_streaming_latency: int | None = LatencyQ) -> Response:
    return await _convert(request, services, principal, voice_id, output_format, enable_logging)


@router.post("/v1/speech-to-speech/{voice_id}/stream", openapi_extra=_FORM)
async def speech_to_speech_stream(voice_id: str, request: Request, services: ServicesDep, principal: PrincipalDep,
                                  output_format: str = OutputFormatQ, enable_logging: bool = True,
                                  optimize_streaming_latency: int | None = LatencyQ) -> StreamingResponse:
    return await _stream(request, services, principal, voice_id, output_format, enable_logging)


@router.post("/v1/voice-changer/{voice_id}", openapi_extra=_FORM, response_class=Response)
async def voice_changer(voice_id: str, request: Request, services: ServicesDep, principal: PrincipalDep,
                        output_format: str = OutputFormatQ, enable_logging: bool = True,
                        optimize_streaming_latency: int | None = LatencyQ) -> Response:
    return await _convert(request, services, principal, voice_id, output_format, enable_logging)


@router.post("/v1/voice-changer/{voice_id}/stream", openapi_extra=_FORM)
async def voice_changer_stream(voice_id: str, request: Request, services: ServicesDep, principal: PrincipalDep,
                               output_format: str = OutputFormatQ, enable_logging: bool = True,
                               optimize_streaming_latency: int | None = LatencyQ) -> StreamingResponse:
    return await _stream(request, services, principal, voice_id, output_format, enable_logging)
