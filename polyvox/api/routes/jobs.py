"""Background jobs (a polyvox extension): status and progress, result download, cancel, delete.

Every job is visible only to the API key that created it (admin keys see all); another
key gets 404 as if it did not exist. Jobs are created by the capabilities' own routes
(``POST /v1/speech-to-text`` with ``webhook=true``, ``POST /v1/audio-isolation/jobs``).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.services import async_jobs

router = APIRouter(tags=["jobs"])


@router.get("/v1/jobs/{job_id}")
def get_job(job_id: str, services: ServicesDep, principal: PrincipalDep) -> dict:
    """``status`` (queued, running, succeeded, failed, cancelled), ``progress`` 0..1, ``message``,
    ``result_url`` once it succeeded, ``error`` {status, message} if it failed."""
    return async_jobs.job_json(async_jobs.owned(services, job_id, principal))


@router.get("/v1/jobs/{job_id}/result")
def get_job_result(job_id: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    """The job's output as stored (audio for isolation, JSON for transcription); 409 while running."""
    data, media_type = async_jobs.result_bytes(services, async_jobs.owned(services, job_id, principal))
    return Response(data, media_type=media_type)


@router.post("/v1/jobs/{job_id}/cancel")
def cancel_job(job_id: str, services: ServicesDep, principal: PrincipalDep) -> dict:
    """A queued job is cancelled at once; a running one stops at its next progress report."""
    rec = async_jobs.owned(services, job_id, principal)
    rec = services.jobs.cancel(rec.job_id)
    if rec.status == "cancelled":
        async_jobs.discard_inputs(services, rec.job_id)
    return async_jobs.job_json(rec)


@router.delete("/v1/jobs/{job_id}")
def delete_job(job_id: str, services: ServicesDep, principal: PrincipalDep) -> dict:
    """Cancel if needed, and delete the job with its input and result."""
    async_jobs.remove(services, async_jobs.owned(services, job_id, principal))
    return {"status": "ok"}
