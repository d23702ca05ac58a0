"""Voice isolation as a job (``POST /v1/audio-isolation/jobs``, a polyvox extension).

``/v1/audio-isolation/stream`` already answers within ~100 ms of processing and never holds
the file in memory, but it ties a connection up for the whole file (an hour of audio takes
minutes); a job suits clients behind proxies with short timeouts and scripts that want to
poll. The job decodes, denoises and encodes exactly as the synchronous route does, reports
the fraction of the input's duration processed, and stores the encoded file as its result
(``GET /v1/jobs/{id}/result``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyvox.jobs import JobContext
from polyvox.services import async_jobs
from polyvox.services.isolation import IsolationService

KIND = "audio_isolation"
RESULT_URL = "/v1/jobs/{job_id}/result"


def submit(services, path: Path, key_id: str | None, *, engine: str | None, file_format: str | None,
           output_format: str) -> str:
    params = {"engine": engine, "file_format": file_format, "output_format": output_format}
    return async_jobs.submit(services, KIND, params, key_id=key_id, upload=path)


def run(services, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    iso = services.component(IsolationService)
    fmt = iso.output_format(params["output_format"])
    job = iso.open(async_jobs.input_path(services, ctx.job_id, params), engine=params["engine"],
                   file_format=params["file_format"])
    total = job.duration_hint
    dst = iso.new_output_path(fmt)
    try:
        ctx.progress(0.0, "isolating speech")

        def progress(fraction: float) -> None:
            ctx.progress(fraction, f"processed {fraction * total:.0f} of {total:.0f} s" if total else "")

        seconds = iso.render(job, dst, fmt.name, progress)
        out = async_jobs.save_result(services, ctx.job_id, f"isolated.{fmt.codec}", dst.read_bytes(),
                                     fmt.media_type)
    finally:
        job.close()
        dst.unlink(missing_ok=True)
    return {**out, "duration_secs": round(seconds, 3)}


__all__ = ["KIND", "RESULT_URL", "run", "submit"]
