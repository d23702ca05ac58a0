"""Asynchronous speech to text (``webhook=true``): a queued job, polled or delivered by webhook.

ElevenLabs' wire format: ``POST /v1/speech-to-text`` with ``webhook=true`` answers at once with
``{"message", "request_id", "transcription_id"}``; the finished transcript is read with
``GET /v1/speech-to-text/transcripts/{transcription_id}`` in the same shape as the synchronous
answer, and POSTed to the configured webhooks as

    {"type": "speech_to_text_transcription", "event_timestamp": <unix>,
     "data": {"request_id", "transcription_id", "transcription": {...}, "webhook_metadata": ...}}

(``"error": {"status", "message"}`` in place of ``transcription`` when it failed). The job id is
the transcription id, so ``GET /v1/jobs/{id}`` shows its progress: the fraction of the audio's
duration that Whisper has decoded (from its segment end times), then diarization and events.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from polyvox.errors import NotFound
from polyvox.jobs import JobContext, JobStatus
from polyvox.services import async_jobs
from polyvox.services.stt import SAMPLE_RATE, SttRequest, SttService
from polyvox.services.webhooks import WebhookTarget, deliver
from polyvox.store.models import JobRecord

KIND = "speech_to_text"
RESULT_URL = "/v1/speech-to-text/transcripts/{job_id}"
ACCEPTED = "Request accepted. Transcription result will be sent to the webhook."


def targets(stt: SttService, webhook_id: str | None) -> list[WebhookTarget]:
    hooks = list(stt.settings.webhooks)
    if webhook_id is None:
        return hooks
    picked = [h for h in hooks if h.webhook_id == webhook_id]
    if not picked:
        raise NotFound(f"No speech-to-text webhook with id {webhook_id!r} is configured on this server "
                       "(POLYVOX_STT__WEBHOOKS).", code="webhook_not_found")
    return picked


def submit(services, req: SttRequest, path: Path, key_id: str | None, *, webhook_id: str | None = None,
           webhook_metadata: Any = None) -> str:
    """Queue ``path`` (moved into the job's folder) for transcription; returns the transcription id."""
    params = {"request": dataclasses.asdict(req), "webhook_id": webhook_id, "webhook_metadata": webhook_metadata}
    return async_jobs.submit(services, KIND, params, key_id=key_id, upload=path)


def run(services, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    from polyvox.services.stt_formats import elevenlabs_body

    stt = services.component(SttService)
    req = SttRequest(**params["request"])
    plan = stt.plan(req)
    ctx.progress(0.0, "decoding the audio")
    audio = stt.decode(async_jobs.input_path(services, ctx.job_id, params), plan)
    seconds = audio.shape[0] / SAMPLE_RATE
    share = 0.9 if req.diarize else 1.0  # the rest is speaker finding

    def progress(fraction: float) -> None:
        if fraction < share:
            ctx.progress(fraction, f"transcribed {fraction / share * seconds:.0f} of {seconds:.0f} s")
        else:
            ctx.progress(fraction, "finding speakers" if fraction < 1.0 else "done")

    result = stt.transcribe_array(audio, plan, progress)
    body = elevenlabs_body(result, req.timestamps_granularity)
    body["transcription_id"] = ctx.job_id
    data = json.dumps(body, ensure_ascii=False).encode()
    out = async_jobs.save_result(services, ctx.job_id, "transcript.json", data, "application/json")
    return {**out, "audio_duration_secs": round(result.duration, 3)}


def transcript(services, rec: JobRecord) -> dict[str, Any]:
    """The finished transcript, or the error the API should answer with."""
    async_jobs.raise_if_unfinished(rec, not_ready=NotFound(
        f"Transcription {rec.job_id!r} is not ready yet ({rec.status}, {rec.progress:.0%}); "
        f"GET /v1/jobs/{rec.job_id} shows its progress.", code="transcript_not_ready"))
    data, _ = async_jobs.result_bytes(services, rec)
    return json.loads(data)


def finished(services, rec: JobRecord) -> None:
    """Deliver the outcome to the webhooks (all configured ones, or the one the request named)."""
    if rec.status == JobStatus.CANCELLED.value:
        return
    stt = services.component(SttService)
    params = rec.params or {}
    try:
        hooks = targets(stt, params.get("webhook_id"))
    except NotFound:  # removed from the settings since the request was accepted
        services.jobs.note(rec.job_id, f"webhook {params.get('webhook_id')!r} is no longer configured")
        return
    if not hooks:
        return
    data: dict[str, Any] = {"request_id": rec.job_id, "transcription_id": rec.job_id,
                            "webhook_metadata": params.get("webhook_metadata")}
    if rec.status == JobStatus.SUCCEEDED.value:
        data["transcription"] = transcript(services, rec)
    else:
        err = (rec.result or {}).get("error") or {}
        data["error"] = {"status": err.get("status", "job_failed"), "message": rec.error or ""}
    event = {"type": "speech_to_text_transcription", "event_timestamp": int(time.time()), "data": data}
    outcomes = [deliver(h, event, timeout=stt.settings.webhook_timeout_seconds,
                        attempts=stt.settings.webhook_attempts) for h in hooks]
    services.jobs.note(rec.job_id, "; ".join(
        f"webhook {d.webhook_id}: {'delivered' if d.ok else 'failed'} ({d.detail})" for d in outcomes))


__all__ = ["ACCEPTED", "KIND", "RESULT_URL", "finished", "run", "submit", "targets", "transcript"]
