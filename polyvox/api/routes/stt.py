"""``POST /v1/speech-to-text`` (ElevenLabs Scribe) and ``POST /v1/audio/transcriptions`` (OpenAI).

``webhook=true`` queues the work as a job (202 with the transcription id); the transcript is
then read with ``GET /v1/speech-to-text/transcripts/{id}`` (see ``services/stt_jobs.py``).

The body is read by :mod:`polyvox.api.streamed_upload` (to disk, size-limited while it
streams) instead of FastAPI form parameters, so the fields are parsed here and documented
in ``openapi_extra``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.api.streamed_upload import MultipartForm, invalid, missing, read_form
from polyvox.services import async_jobs, stt_jobs
from polyvox.services.stt import SttRequest, SttService
from polyvox.services.stt_formats import OPENAI_FORMATS, elevenlabs_body, openai_verbose, srt, vtt

router = APIRouter(tags=["speech-to-text"])


def _bool(form: MultipartForm, name: str, default: bool) -> bool:
    v = form.get(name)
    if v is None or v == "" or v == "null":
        return default
    if v.lower() in ("true", "1", "yes", "on"):
        return True
    if v.lower() in ("false", "0", "no", "off"):
        return False
    raise invalid(name, "Input should be a valid boolean")


def _num(form: MultipartForm, name: str, kind: type) -> Any:
    v = form.get(name)
    if v is None or v == "" or v == "null":
        return None
    try:
        return kind(v)
    except ValueError:
        raise invalid(name, f"Input should be a valid {'integer' if kind is int else 'number'}") from None


def _str(form: MultipartForm, name: str) -> str | None:
    v = form.get(name)
    return None if v is None or v.strip() in ("", "null") else v.strip()


def _scribe_request(form: MultipartForm) -> SttRequest:
    model_id = _str(form, "model_id")
    if model_id is None:
        raise missing("model_id")
    granularity = _str(form, "timestamps_granularity") or "word"
    if granularity not in ("none", "word", "character"):
        raise invalid("timestamps_granularity", "Input should be 'none', 'word' or 'character'")
    file_format = _str(form, "file_format")
    if file_format not in (None, "pcm_s16le_16", "other"):
        raise invalid("file_format", "Input should be 'pcm_s16le_16' or 'other'")
    num_speakers = _num(form, "num_speakers", int)
    if num_speakers is not None and not 1 <= num_speakers <= 32:
        raise invalid("num_speakers", "Input should be between 1 and 32")
    return SttRequest(model_id=model_id, language_code=_str(form, "language_code"),
                      tag_audio_events=_bool(form, "tag_audio_events", True), num_speakers=num_speakers,
                      timestamps_granularity=granularity, diarize=_bool(form, "diarize", False),
                      diarization_threshold=_num(form, "diarization_threshold", float), file_format=file_format,
                      temperature=_num(form, "temperature", float))


async def _source(stt: SttService, form: MultipartForm, url_fields: tuple[str, ...]) -> tuple[Path, Path | None]:
    """The file to read: the upload, or a URL fetched into a temp file (returned second, to delete)."""
    upload = form.files.get("file")
    url = next((u for f in url_fields if (u := _str(form, f))), None)
    if upload is not None and url:
        raise invalid("file", "Provide exactly one of file or cloud_storage_url")
    if upload is None and not url:
        raise missing("file")
    if upload is not None:
        return upload.path, None
    fetched = await stt.fetch(url)
    return fetched, fetched


_SCRIBE_FIELDS = {
    "model_id": {"type": "string", "description": "scribe_v1 (Whisper base here), whisper-1, or a local Whisper model"},
    "file": {"type": "string", "format": "binary"},
    "cloud_storage_url": {"type": "string", "description": "http(s) URL fetched by the server instead of file"},
    "language_code": {"type": "string"},
    "tag_audio_events": {"type": "boolean", "default": True},
    "num_speakers": {"type": "integer", "minimum": 1, "maximum": 32},
    "timestamps_granularity": {"type": "string", "enum": ["none", "word", "character"], "default": "word"},
    "diarize": {"type": "boolean", "default": False},
    "diarization_threshold": {"type": "number"},
    "file_format": {"type": "string", "enum": ["pcm_s16le_16", "other"], "default": "other"},
    "temperature": {"type": "number"},
    "webhook": {"type": "boolean", "default": False,
                "description": "Answer at once (202) and transcribe in the background; poll "
                               "/v1/speech-to-text/transcripts/{transcription_id} or receive a webhook"},
    "webhook_id": {"type": "string", "description": "One of the webhooks in POLYVOX_STT__WEBHOOKS (default: all)"},
    "webhook_metadata": {"type": "string", "description": "JSON object echoed in the webhook (16 KB, depth 2)"},
}


def _multipart(fields: dict, required: list[str]) -> dict:
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "properties": fields, "required": required}}}}}


def _webhook_metadata(form: MultipartForm) -> Any:
    """A JSON object (as a string, as the SDKs send it), at most 16 KB and 2 levels deep."""
    raw = _str(form, "webhook_metadata")
    if raw is None:
        return None
    if len(raw.encode()) > 16 * 1024:
        raise invalid("webhook_metadata", "webhook_metadata must be at most 16 KB")
    try:
        value = json.loads(raw)
        if isinstance(value, str):  # the SDK JSON-encodes what it is given, a JSON string included
            value = json.loads(value)
    except ValueError:
        raise invalid("webhook_metadata", "webhook_metadata must be a JSON object") from None
    if not isinstance(value, dict):
        raise invalid("webhook_metadata", "webhook_metadata must be a JSON object")

    def depth(v: Any) -> int:
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        return 0

    if depth(value) > 2:
        raise invalid("webhook_metadata", "webhook_metadata may nest at most 2 levels")
    return value


@router.post("/v1/speech-to-text", openapi_extra=_multipart(_SCRIBE_FIELDS, ["model_id"]))
async def speech_to_text(request: Request, services: ServicesDep, principal: PrincipalDep,
                         enable_logging: bool = True) -> JSONResponse:
    stt = services.component(SttService)
    form = await read_form(request, max_file_bytes=stt.max_bytes, tmp_dir=stt.tmp_dir)
    fetched = None
    try:
        req = _scribe_request(form)
        webhook = _bool(form, "webhook", False)
        webhook_id = _str(form, "webhook_id")
        if webhook_id is not None and not webhook:
            raise invalid("webhook_id", "webhook_id is only valid when webhook is true")
        metadata = _webhook_metadata(form)
        plan = stt.plan(req)
        if webhook:
            stt_jobs.targets(stt, webhook_id)  # an unknown webhook_id fails before the upload is kept
        path, fetched = await _source(stt, form, ("cloud_storage_url", "source_url"))
        if webhook:
            await run_in_threadpool(stt.probe, path, plan)  # bad audio answers now, not in the job
            job_id = stt_jobs.submit(services, req, path, principal.key_id, webhook_id=webhook_id,
                                     webhook_metadata=metadata)
            return JSONResponse({"message": stt_jobs.ACCEPTED, "request_id": job_id, "transcription_id": job_id},
                                status_code=202)
        result = await stt.transcribe(path, plan, principal.key_id)
        return JSONResponse(elevenlabs_body(result, req.timestamps_granularity))
    finally:
        form.cleanup()
        if fetched is not None:
            fetched.unlink(missing_ok=True)


def _transcript_job(services, transcription_id: str, principal):
    return async_jobs.owned(services, transcription_id, principal, stt_jobs.KIND, code="transcript_not_found",
                            what="transcript")


@router.get("/v1/speech-to-text/transcripts/{transcription_id}")
def get_transcript(transcription_id: str, services: ServicesDep, principal: PrincipalDep) -> JSONResponse:
    """A ``webhook=true`` transcription, in the synchronous answer's shape; 404 ``transcript_not_ready``
    while it runs (``GET /v1/jobs/{id}`` shows progress), the job's own error if it failed."""
    rec = _transcript_job(services, transcription_id, principal)
    return JSONResponse(stt_jobs.transcript(services, rec))


@router.delete("/v1/speech-to-text/transcripts/{transcription_id}")
def delete_transcript(transcription_id: str, services: ServicesDep, principal: PrincipalDep) -> dict:
    """Delete a transcript (a running transcription is cancelled)."""
    async_jobs.remove(services, _transcript_job(services, transcription_id, principal))
    return {"status": "ok"}


_OPENAI_FIELDS = {
    "file": {"type": "string", "format": "binary"},
    "model": {"type": "string", "description": "whisper-1 (Whisper base here) or a local Whisper model"},
    "language": {"type": "string"},
    "prompt": {"type": "string"},
    "response_format": {"type": "string", "enum": list(OPENAI_FORMATS), "default": "json"},
    "temperature": {"type": "number"},
    "timestamp_granularities[]": {"type": "array", "items": {"type": "string", "enum": ["word", "segment"]}},
}


@router.post("/v1/audio/transcriptions", tags=["openai-compatible"],
             openapi_extra=_multipart(_OPENAI_FIELDS, ["file", "model"]))
async def openai_transcriptions(request: Request, services: ServicesDep, principal: PrincipalDep) -> Response:
    stt = services.component(SttService)
    form = await read_form(request, max_file_bytes=stt.max_bytes, tmp_dir=stt.tmp_dir)
    try:
        model = _str(form, "model")
        if model is None:
            raise missing("model")
        if "file" not in form.files:
            raise missing("file")
        fmt = _str(form, "response_format") or "json"
        if fmt not in OPENAI_FORMATS:
            raise invalid("response_format", f"Input should be one of {', '.join(OPENAI_FORMATS)}")
        granularities = set(form.get_list("timestamp_granularities")) or {"segment"}
        req = SttRequest(model_id=model, language_code=_str(form, "language"), tag_audio_events=False,
                         prompt=_str(form, "prompt"), temperature=_num(form, "temperature", float))
        plan = services.component(SttService).plan(req)
        result = await stt.transcribe(form.files["file"].path, plan, principal.key_id)
    finally:
        form.cleanup()
    if fmt == "text":
        return PlainTextResponse(result.text + "\n")
    if fmt == "srt":
        return PlainTextResponse(srt(result))
    if fmt == "vtt":
        return PlainTextResponse(vtt(result), media_type="text/vtt")
    if fmt == "verbose_json":
        return JSONResponse(openai_verbose(result, "word" in granularities, "segment" in granularities
                                           or "word" not in granularities))
    return JSONResponse({"text": result.text})
