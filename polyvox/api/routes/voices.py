"""Voices: list, search (v2), get, edit, delete, settings, preview audio."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.api.schemas import VoiceSettingsEdit
from polyvox.errors import InvalidRequest
from polyvox.services.voices import DEFAULT_SETTINGS, settings_from_dict
from polyvox.store.models import Voice

router = APIRouter(tags=["voices"])


def voice_json(v: Voice, base_url: str) -> dict[str, Any]:
    settings = asdict(settings_from_dict(v.settings))
    return {
        "voice_id": v.voice_id, "name": v.name, "category": v.category, "description": v.description,
        "labels": v.labels or {}, "samples": v.samples or None,
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
    for s in voice.samples or []:
        services.blobs.delete(f"voices/{voice_id}/{s['sample_id']}")
    services.blobs.delete(f"voices/{voice_id}/preview.mp3")
    return {"status": "ok"}


@router.get("/v1/voices/{voice_id}/settings")
def get_settings(voice_id: str, services: ServicesDep, _: PrincipalDep) -> dict:
    return asdict(services.voices.settings(voice_id))


@router.post("/v1/voices/{voice_id}/settings/edit")
@router.post("/v1/voices/{voice_id}/settings")
def edit_settings(voice_id: str, body: VoiceSettingsEdit, services: ServicesDep, _: PrincipalDep) -> dict:
    services.voices.edit_settings(voice_id, body.model_dump(exclude_none=True))
    return {"status": "ok"}


@router.post("/v1/voices/{voice_id}/edit")
async def edit_voice(voice_id: str, request: Request, services: ServicesDep, _: PrincipalDep) -> dict:
    form = await request.form()
    labels_raw = form.get("labels")
    labels = None
    if isinstance(labels_raw, str) and labels_raw not in ("", "null"):
        try:
            labels = json.loads(labels_raw)
        except json.JSONDecodeError as e:
            raise InvalidRequest(f"labels must be a JSON object: {e.msg}.", code="invalid_labels") from e
        if not isinstance(labels, dict):
            raise InvalidRequest("labels must be a JSON object.", code="invalid_labels")
    name = form.get("name")
    desc = form.get("description")
    services.voices.edit(voice_id, name=name if isinstance(name, str) else None,
                         description=desc if isinstance(desc, str) and desc != "null" else None, labels=labels)
    return {"status": "ok"}


@router.get("/v1/voices/{voice_id}/preview")
async def preview(voice_id: str, services: ServicesDep) -> Response:
    """A short sample of the voice, rendered on first request and kept."""
    audio = await services.previews.get(voice_id)
    return Response(audio, media_type="audio/mpeg")
