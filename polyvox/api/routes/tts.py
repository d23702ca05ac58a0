"""``/v1/text-to-speech/{voice_id}`` and its ``/stream`` and ``/with-timestamps`` variants."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.api.schemas import TTSBody
from polyvox.audio.formats import parse_output_format
from polyvox.services.tts import FIRST_SEGMENT, Chunk, Plan, TTSRequest, alignment_payload, b64

router = APIRouter(tags=["text-to-speech"])



def _request(voice_id: str, body: TTSBody, output_format: str, enable_logging: bool) -> TTSRequest:
    try:
        parse_output_format(output_format)
    except ValueError as e:
        raise RequestValidationError([{"loc": ("query", "output_format"), "msg": str(e), "type": "enum"}]) from e
    return TTSRequest(
        text=body.text, voice_id=voice_id, model_id=body.model_id, language_code=body.language_code,
        voice_settings=body.voice_settings.model_dump(exclude_none=True) if body.voice_settings else None,
        seed=body.seed, previous_text=body.previous_text, next_text=body.next_text,
        previous_request_ids=body.previous_request_ids or [], next_request_ids=body.next_request_ids or [],
        apply_text_normalization=body.apply_text_normalization or "auto", output_format=output_format,
        enable_logging=enable_logging, enable_ssml_parsing=True,
        pronunciation_dictionary_locators=[(loc.pronunciation_dictionary_id, loc.version_id)
                                           for loc in body.pronunciation_dictionary_locators or []])


def _headers(plan: Plan, services) -> dict[str, str]:
    h = {"request-id": plan.request_id, "character-cost": str(plan.character_cost),
         "x-character-count": str(plan.character_cost),
         "current-concurrent-requests": str(services.limiter.current(plan.principal.key_id)),
         "maximum-concurrent-requests": str(services.limiter.per_key)}
    if plan.req.enable_logging:
        h["history-item-id"] = plan.history_item_id
    return h


def _start(services, principal, voice_id, body, output_format, enable_logging, latency) -> Plan:
    req = _request(voice_id, body, output_format, enable_logging)
    plan = services.tts.plan(principal, req, first_max=FIRST_SEGMENT[latency or 0], latency=latency or 0)
    services.tts.admit(plan)
    return plan


def _alignments(chunks: list[Chunk]) -> dict:
    """``alignment`` over the request's original characters, ``normalized_alignment`` over the spoken text."""
    return {"alignment": alignment_payload(sum((c.chars for c in chunks), []), sum((c.starts for c in chunks), []),
                                           sum((c.ends for c in chunks), [])),
            "normalized_alignment": alignment_payload(sum((c.norm_chars for c in chunks), []),
                                                      sum((c.norm_starts for c in chunks), []),
                                                      sum((c.norm_ends for c in chunks), []))}


OutputFormatQ = Query("mp3_44100_128")
LatencyQ = Query(None, ge=0, le=4)


@router.post("/v1/text-to-speech/{voice_id}")
async def convert(voice_id: str, body: TTSBody, services: ServicesDep, principal: PrincipalDep,
                  output_format: str = OutputFormatQ, enable_logging: bool = True,
                  optimize_streaming_latency: int | None = LatencyQ) -> Response:
    plan = _start(services, principal, voice_id, body, output_format, enable_logging, optimize_streaming_latency)
    audio = b"".join([c.audio async for c in services.tts.stream(plan)])
    return Response(audio, media_type=plan.fmt.media_type, headers=_headers(plan, services))


@router.post("/v1/text-to-speech/{voice_id}/stream")
async def stream(voice_id: str, body: TTSBody, services: ServicesDep, principal: PrincipalDep,
                 output_format: str = OutputFormatQ, enable_logging: bool = True,
                 optimize_streaming_latency: int | None = LatencyQ) -> StreamingResponse:
    plan = _start(services, principal, voice_id, body, output_format, enable_logging, optimize_streaming_latency)

    async def audio() -> AsyncIterator[bytes]:
        async for chunk in services.tts.stream(plan):
            if chunk.audio:
                yield chunk.audio

    return StreamingResponse(audio(), media_type=plan.fmt.media_type, headers=_headers(plan, services),
                             background=BackgroundTask(plan.slot.release))


@router.post("/v1/text-to-speech/{voice_id}/with-timestamps")
async def convert_with_timestamps(voice_id: str, body: TTSBody, services: ServicesDep, principal: PrincipalDep,
                                  output_format: str = OutputFormatQ, enable_logging: bool = True,
                                  optimize_streaming_latency: int | None = LatencyQ) -> JSONResponse:
    plan = _start(services, principal, voice_id, body, output_format, enable_logging, optimize_streaming_latency)
    chunks = [c async for c in services.tts.stream(plan)]
    return JSONResponse({"audio_base64": b64(b"".join(c.audio for c in chunks)), **_alignments(chunks)},
                        headers=_headers(plan, services))


@router.post("/v1/text-to-speech/{voice_id}/stream/with-timestamps")
async def stream_with_timestamps(voice_id: str, body: TTSBody, services: ServicesDep, principal: PrincipalDep,
                                 output_format: str = OutputFormatQ, enable_logging: bool = True,
                                 optimize_streaming_latency: int | None = LatencyQ) -> StreamingResponse:
    plan = _start(services, principal, voice_id, body, output_format, enable_logging, optimize_streaming_latency)

    async def lines() -> AsyncIterator[bytes]:
        held: list[Chunk] = []
        async for chunk in services.tts.stream(plan):
            held.append(chunk)
            if chunk.audio:  # an encoder may hold back a tiny segment; its alignment rides with the next bytes
                yield (json.dumps({"audio_base64": b64(b"".join(c.audio for c in held)), **_alignments(held)})
                       + "\n").encode()
                held = []

    return StreamingResponse(lines(), media_type="application/x-ndjson", headers=_headers(plan, services),
                             background=BackgroundTask(plan.slot.release))
