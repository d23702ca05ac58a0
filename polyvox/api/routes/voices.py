"""Voices: list, search (v2), get, edit, delete, settings, preview audio, instant cloning and samples."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.api.schemas import VoiceSettingsEdit
from polyvox.api.streamed_upload import MultipartForm, invalid, missing, read_form
from polyvox.errors import InvalidRequest
from polyvox.services.voice_lab import SampleUpload, VoiceLabService
from polyvox.services.voices import DEFAULT_SETTINGS, settings_from_dict
from polyvox.store.models import Voice

router = APIRouter(tags=["voices"])


def voice_json(v: Voice, base_url: str) -> dict[str, Any]:
    settings = asdict(settings_from_dict(v.settings))
    return {
        "voice_id": v.voice_id, "name": v.name, "category": v.category, "description": v.description,
        "labels": v.labels or {}, "samples": v.samples or None,
        "lab": v.lab,  # polyvox: how a cloned/generated voice was made, and whether its search is done
        "fine_tuning": {"is_allowed_to_fine_tune": False, "state": {}, "verification_failures": [],
                        "verification_attempts_count": 0, "manual_verification_requested": False},
        "preview_url": f"{base_url}v1/voices/{v.voice_id}/preview",
        "available_for_tiers": [], "settings": settings, "sharing": None,
        "high_quality_base_model_ids": [], "verified_languages": [{"language": v.language, "model_id": None,
                                                                     "accent": (v.labels or {}).get("accent")}],
        "safety_control": None, "voice_verification": None, "permission_on_resource": None,
        "is_owner": v.category != "premade", "is_legacy": False, "is_mixed": False,
        "created_at_unix": v.created_unix,
    }


@router.get("/v1/voices")
def list_voices(request: Request, services: ServicesDep, _: PrincipalDep, show_legacy: bool = False) -> dict:
    return {"voices": [voice_json(v, str(request.base_url)) for v in services.voices.list()]}


@router.get("/v2/voices")
def search_voices(request: Request, services: ServicesDep, _: PrincipalDep, next_page_token: str | None = None,
                  page_size: int = 10, search: str | None = None, sort: str | None = None,
                  sort_direction: str | None = None, voice_type: str | None = None, category: str | None = None,
                  gender: str | None = None, age: str | None = None, accent: str | None = None,
                  language: list[str] | None = Query(None), voice_ids: list[str] | None = Query(None),
                  include_total_count: bool = True) -> dict:
    if not 1 <= page_size <= 100:
        raise InvalidRequest("page_size must be between 1 and 100.", code="invalid_page_size")
    rows, total, nxt = services.voices.search(
        search=search, category=category, voice_type=voice_type, gender=gender, age=age, accent=accent,
        language=language, voice_ids=voice_ids, sort=sort or "created_at_unix",
        direction=sort_direction or "desc", page_size=page_size, next_page_token=next_page_token)
    return {"voices": [voice_json(v, str(request.base_url)) for v in rows], "has_more": nxt is not None,
            "total_count": total, "next_page_token": nxt}


@router.get("/v1/voices/settings/default")
def default_settings() -> dict:
    return asdict(DEFAULT_SETTINGS)


@router.get("/v1/voices/{voice_id}")
def get_voice(voice_id: str, request: Request, services: ServicesDep, _: PrincipalDep,
              with_settings: bool = True) -> dict:
    return voice_json(services.voices.get(voice_id), str(request.base_url))


@router.delete("/v1/voices/{voice_id}")
def delete_voice(voice_id: str, services: ServicesDep, _: PrincipalDep) -> dict:
    voice = services.voices.delete(voice_id)
    services.component(VoiceLabService).delete_assets(voice)
    return {"status": "ok"}


@router.get("/v1/voices/{voice_id}/settings")
def get_settings(voice_id: str, services: ServicesDep, _: PrincipalDep) -> dict:
    return asdict(services.voices.settings(voice_id))


@router.post("/v1/voices/{voice_id}/settings/edit")
@router.post("/v1/voices/{voice_id}/settings")
def edit_settings(voice_id: str, body: VoiceSettingsEdit, services: ServicesDep, _: PrincipalDep) -> dict:
    services.voices.edit_settings(voice_id, body.model_dump(exclude_none=True))
    return {"status": "ok"}


def _labels(form: MultipartForm) -> dict[str, str] | None:
    raw = form.get("labels")
    if raw is None or raw in ("", "null"):
        return None
    try:
        labels = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidRequest(f"labels must be a JSON object: {e.msg}.", code="invalid_labels") from e
    if not isinstance(labels, dict):
        raise InvalidRequest("labels must be a JSON object.", code="invalid_labels")
    return {str(k): str(v) for k, v in labels.items()}


def _flag(form: MultipartForm, name: str) -> bool:
    v = (form.get(name) or "").strip().lower()
    if v in ("true", "1", "yes", "on"):
        return True
    if v in ("false", "0", "no", "off", "", "null", "none"):
        return False
    raise invalid(name, "Input should be a valid boolean")


async def _voice_form(request: Request, services) -> MultipartForm:
    from polyvox.services.media_input import temp_dir

    return await read_form(request, max_file_bytes=services.settings.limits.voice_sample_bytes,
                           tmp_dir=temp_dir(services.settings.data_dir), file_fields=("files", "files[]"),
                           multi_fields=("files", "files[]"))


def _uploads(form: MultipartForm) -> list[SampleUpload]:
    return [SampleUpload(path=u.path, filename=u.filename, content_type=u.content_type)
            for name in ("files", "files[]") for u in form.many.get(name, [])]


_ADD_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["name", "files"], "properties": {
        "name": {"type": "string"}, "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "remove_background_noise": {"type": "boolean", "default": False}, "description": {"type": "string"},
        "labels": {"type": "string", "description": "JSON-encoded labels"}}}}}}}


@router.post("/v1/voices/add", openapi_extra=_ADD_FORM)
async def add_voice(request: Request, services: ServicesDep, principal: PrincipalDep) -> dict:
    """Instant voice cloning: usable at once, refined by a background job (see services/voice_lab.py)."""
    form = await _voice_form(request, services)
    try:
        name = form.get("name")
        if name is None:
            raise missing("name")
        uploads = _uploads(form)
        if not uploads:
            raise missing("files")
        lab = services.component(VoiceLabService)
        desc = form.get("description")
        voice = await run_in_threadpool(
            lab.add_voice, name=name, uploads=uploads, description=None if desc in (None, "null") else desc,
            labels=_labels(form), remove_background_noise=_flag(form, "remove_background_noise"),
            key_id=principal.key_id)
    finally:
        form.cleanup()
    return {"voice_id": voice.voice_id, "requires_verification": False}


@router.post("/v1/voices/{voice_id}/edit")
async def edit_voice(voice_id: str, request: Request, services: ServicesDep, principal: PrincipalDep) -> dict:
    form = await _voice_form(request, services)
    try:
        name = form.get("name")
        desc = form.get("description")
        services.voices.edit(voice_id, name=name, description=desc if desc not in (None, "null") else None,
                             labels=_labels(form))
        uploads = _uploads(form)
        if uploads:
            lab = services.component(VoiceLabService)
            await run_in_threadpool(lab.add_samples, voice_id, uploads,
                                    remove_background_noise=_flag(form, "remove_background_noise"),
                                    key_id=principal.key_id)
    finally:
        form.cleanup()
    return {"status": "ok"}


@router.get("/v1/voices/{voice_id}/samples/{sample_id}/audio")
def sample_audio(voice_id: str, sample_id: str, services: ServicesDep, _: PrincipalDep) -> Response:
    data, mime = services.component(VoiceLabService).sample_audio(voice_id, sample_id)
    return Response(data, media_type=mime)


@router.delete("/v1/voices/{voice_id}/samples/{sample_id}")
def delete_sample(voice_id: str, sample_id: str, services: ServicesDep, principal: PrincipalDep) -> dict:
    services.component(VoiceLabService).delete_sample(voice_id, sample_id, principal.key_id)
    return {"status": "ok"}


@router.get("/v1/voices/{voice_id}/preview")
async def preview(voice_id: str, services: ServicesDep) -> Response:
    """A short sample of the voice, rendered on first request and kept."""
    audio = await services.previews.get(voice_id)
    return Response(audio, media_type="audio/mpeg")
