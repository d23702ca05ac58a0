"""``POST /v1/audio-isolation`` and ``/v1/audio-isolation/stream`` (multipart ``audio``; audio/mpeg out).

Beyond the spec, ``output_format`` (query) picks another ElevenLabs format and ``engine``
(query: dfn3, gtcrn, dtln) another isolation engine; ``POST /v1/audio-isolation/jobs`` runs the
same work as a background job (202; progress at ``/v1/jobs/{id}``, audio at ``/v1/jobs/{id}/result``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.types import Receive, Scope, Send

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.api.streamed_upload import invalid, missing, read_form
from polyvox.services import isolation_jobs
from polyvox.services.isolation import IsolationService

router = APIRouter(tags=["audio-isolation"])

_FIELDS = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["audio"], "properties": {
        "audio": {"type": "string", "format": "binary", "description": "Audio or video file"},
        "file_format": {"type": "string", "enum": ["pcm_s16le_16", "other"], "default": "other"}}}}}},
    "responses": {"200": {"content": {"audio/mpeg": {}}}}}


def _file_format(value: str | None) -> str | None:
    if value in (None, "", "null", "other"):
        return None
    if value != "pcm_s16le_16":
        raise invalid("file_format", "Input should be 'pcm_s16le_16' or 'other'")
    return value


async def _open(request: Request, iso: IsolationService, engine: str | None):
    form = await read_form(request, max_file_bytes=iso.max_bytes, tmp_dir=iso.tmp_dir, file_fields=("audio",))
    try:
        upload = form.files.get("audio")
        if upload is None:
            raise missing("audio")
        job = await iso.open_async(upload.path, engine=engine, file_format=_file_format(form.get("file_format")))
    except BaseException:
        form.cleanup()
        raise
    return form, job


class _SentOnce(FileResponse):
    """A rendered file, deleted once sent, and also when sending fails (a client gone, an error):
    a background task would only run after a complete send."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            Path(self.path).unlink(missing_ok=True)


@router.post("/v1/audio-isolation", openapi_extra=_FIELDS, response_class=FileResponse)
async def audio_isolation(request: Request, services: ServicesDep, principal: PrincipalDep,
                          output_format: str | None = None, engine: str | None = None) -> FileResponse:
    iso = services.component(IsolationService)
    fmt = iso.output_format(output_format)
    form, job = await _open(request, iso, engine)
    try:
        out = await iso.render_async(job, principal.key_id, fmt.name)
    finally:
        form.cleanup()
    return _SentOnce(out, media_type=fmt.media_type)


@router.post("/v1/audio-isolation/stream", openapi_extra=_FIELDS)
async def audio_isolation_stream(request: Request, services: ServicesDep, principal: PrincipalDep,
                                 output_format: str | None = None, engine: str | None = None) -> StreamingResponse:
    iso = services.component(IsolationService)
    fmt = iso.output_format(output_format)
    services.limiter.acquire(principal.key_id)
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            services.limiter.release(principal.key_id)

    try:
        form, job = await _open(request, iso, engine)
    except BaseException:
        release()
        raise

    async def body():
        try:
            async for data in iso.stream_async(job, fmt.name):
                yield data
        finally:
            form.cleanup()
            release()

    def finish() -> None:  # also covers a response whose body never started
        job.close()
        form.cleanup()
        release()

    return StreamingResponse(body(), media_type=fmt.media_type, background=BackgroundTask(finish))


@router.post("/v1/audio-isolation/jobs", openapi_extra=_FIELDS, status_code=202)
async def audio_isolation_job(request: Request, services: ServicesDep, principal: PrincipalDep,
                              output_format: str | None = None, engine: str | None = None) -> JSONResponse:
    """Queue the isolation of a long file; answers at once with the job id (a polyvox extension)."""
    iso = services.component(IsolationService)
    fmt = iso.output_format(output_format)
    form, job = await _open(request, iso, engine)  # validates the audio now
    try:
        await run_in_threadpool(job.close)
        job_id = isolation_jobs.submit(services, form.files["audio"].path, principal.key_id, engine=engine,
                                       file_format=_file_format(form.get("file_format")), output_format=fmt.name)
    finally:
        form.cleanup()
    return JSONResponse({"job_id": job_id, "status_url": f"/v1/jobs/{job_id}",
                         "result_url": isolation_jobs.RESULT_URL.format(job_id=job_id)}, status_code=202)
