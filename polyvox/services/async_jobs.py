"""Long work as API-visible jobs: the input parked on disk, progress in the job table, the result in the blob store.

    job_id = async_jobs.submit(services, "speech_to_text", params, key_id=..., upload=path)  # moves the file
    rec = async_jobs.owned(services, job_id, principal)          # 404 for another key's job
    async_jobs.job_json(rec)                                     # the /v1/jobs/{id} body

A kind is a module (``KINDS``) with ``run(services, ctx, params) -> dict`` (the job's body; it
stores its output with :func:`save_result`), optionally ``finished(services, record)`` (called
once the job has ended: webhooks) and ``RESULT_URL`` (where the finished result is read).
Kinds are registered with the queue when the services are built, before the queue starts,
so that a job a restart interrupted is picked up again with its parked input.

Files: the upload lives in ``<data_dir>/job-inputs/<job_id>/`` from submission until the job
ends in any way (succeeded, failed, cancelled, deleted); results are blobs under
``jobs/<job_id>/`` until the job is deleted. Leftovers of a crash are swept at start.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from polyvox.errors import NotFound, PolyvoxError
from polyvox.jobs import JobContext, JobStatus, Retry
from polyvox.store.models import JobRecord

logger = logging.getLogger(__name__)

KINDS: dict[str, str] = {
    "speech_to_text": "polyvox.services.stt_jobs",
    "audio_isolation": "polyvox.services.isolation_jobs",
    "voice_clone": "polyvox.services.voice_lab",
}
"""Job kind -> the module that runs it (imported on first use: no engine code at start)."""

_ENDED = {JobStatus.SUCCEEDED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value}


def _module(kind: str):
    return importlib.import_module(KINDS[kind])


def inputs_root(services) -> Path:
    return Path(services.settings.data_dir) / "job-inputs"


def input_path(services, job_id: str, params: dict[str, Any]) -> Path:
    return inputs_root(services) / job_id / params["input_name"]


def discard_inputs(services, job_id: str) -> None:
    shutil.rmtree(inputs_root(services) / job_id, ignore_errors=True)


def register_kinds(services) -> None:
    """Called by ``Services.build``: every kind known to the queue before it starts or resumes."""
    for kind in KINDS:
        services.jobs.register(kind, _runner(services, kind))
    services.jobs.on_finish(lambda rec: _finished(services, rec))
    sweep(services)


def _runner(services, kind: str):
    def run(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any] | None:
        again = False
        try:
            return _module(kind).run(services, ctx, params)
        except Retry:
            again = True  # the input is needed for the next attempt
            raise
        finally:
            if not again:
                discard_inputs(services, ctx.job_id)

    return run


def _finished(services, rec: JobRecord) -> None:
    if rec.kind not in KINDS:
        return
    discard_inputs(services, rec.job_id)
    hook = getattr(_module(rec.kind), "finished", None)
    if hook is not None:
        hook(services, rec)


def submit(services, kind: str, params: dict[str, Any], *, key_id: str | None, upload: Path | None = None) -> str:
    """Queue a job; ``upload`` (a temp file the caller owned) is moved into the job's input folder."""
    job_id = uuid.uuid4().hex[:20]
    params = dict(params)
    if upload is not None:
        folder = inputs_root(services) / job_id
        folder.mkdir(parents=True, exist_ok=True)
        dst = folder / "input"
        try:
            os.replace(upload, dst)
        except OSError:  # another file system
            shutil.move(str(upload), dst)
        params["input_name"] = dst.name
    try:
        return services.jobs.enqueue(kind, params, key_id=key_id, job_id=job_id)
    except BaseException:
        discard_inputs(services, job_id)
        raise


def owned(services, job_id: str, principal, kind: str | None = None, *, code: str = "job_not_found",
          what: str = "job") -> JobRecord:
    """The job if the caller's key created it (admins see every job); 404 otherwise."""
    try:
        rec = services.jobs.get(job_id)
    except NotFound:
        rec = None
    if rec is None or (kind is not None and rec.kind != kind) or \
            (not principal.is_admin and rec.key_id != principal.key_id):
        raise NotFound(f"No {what} with id {job_id!r}.", code=code)
    return rec


def save_result(services, job_id: str, name: str, data: bytes, media_type: str) -> dict[str, Any]:
    key = f"jobs/{job_id}/{name}"
    services.blobs.put(key, data)
    return {"blob_key": key, "media_type": media_type, "bytes": len(data)}


def result_bytes(services, rec: JobRecord) -> tuple[bytes, str]:
    """The finished job's output; the job's own error if it failed; 409 while it has not finished."""
    raise_if_unfinished(rec)
    res = rec.result or {}
    try:
        return services.blobs.get(res["blob_key"]), res.get("media_type", "application/octet-stream")
    except (KeyError, FileNotFoundError) as e:
        raise NotFound(f"The result of job {rec.job_id!r} is gone.", code="result_not_found") from e


def raise_if_unfinished(rec: JobRecord, *, not_ready: PolyvoxError | None = None) -> None:
    if rec.status == JobStatus.SUCCEEDED.value:
        return
    if rec.status == JobStatus.FAILED.value:
        err = (rec.result or {}).get("error") or {}
        raise PolyvoxError(f"The job failed: {rec.error}", code=err.get("status", "job_failed"),
                           status=int(err.get("http_status", 500)))
    if rec.status == JobStatus.CANCELLED.value:
        raise NotFound(f"Job {rec.job_id!r} was cancelled.", code="job_cancelled")
    raise not_ready or PolyvoxError(f"Job {rec.job_id!r} is {rec.status} ({rec.progress:.0%}).",
                                    code="job_not_finished", status=409)


def remove(services, rec: JobRecord) -> None:
    """Cancel if needed and forget the job, its parked input and its result."""
    services.jobs.delete(rec.job_id)
    discard_inputs(services, rec.job_id)
    for key in services.blobs.keys(f"jobs/{rec.job_id}"):
        services.blobs.delete(key)


def job_json(rec: JobRecord) -> dict[str, Any]:
    body: dict[str, Any] = {
        "job_id": rec.job_id, "type": rec.kind, "status": rec.status, "progress": round(rec.progress or 0.0, 4),
        "message": rec.message or "", "created_at_unix": int(rec.created_unix),
        "updated_at_unix": int(rec.updated_unix), "result_url": None, "error": None}
    if rec.status == JobStatus.SUCCEEDED.value and rec.kind in KINDS:
        body["result_url"] = getattr(_module(rec.kind), "RESULT_URL", "/v1/jobs/{job_id}/result").format(
            job_id=rec.job_id)
    if rec.status == JobStatus.FAILED.value:
        err = (rec.result or {}).get("error") or {}
        body["error"] = {"status": err.get("status", "job_failed"), "message": rec.error or ""}
    return body


def sweep(services) -> int:
    """Remove parked inputs of jobs that ended or vanished, and results of deleted jobs."""
    n = 0
    root = inputs_root(services)
    if root.is_dir():
        for folder in root.iterdir():
            rec = _record(services, folder.name)
            if rec is None or rec.status in _ENDED:
                shutil.rmtree(folder, ignore_errors=True)
                n += 1
    for key in services.blobs.keys("jobs"):
        parts = key.split("/")
        if len(parts) >= 3 and _record(services, parts[1]) is None:
            services.blobs.delete(key)
            n += 1
    return n


def _record(services, job_id: str) -> JobRecord | None:
    try:
        return services.jobs.get(job_id)
    except NotFound:
        return None


__all__ = ["KINDS", "discard_inputs", "input_path", "job_json", "owned", "raise_if_unfinished", "register_kinds",
           "remove", "result_bytes", "save_result", "submit", "sweep"]
