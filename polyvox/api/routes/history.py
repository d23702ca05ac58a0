"""History: list with filters and pagination, get, audio, delete, download (zip for several)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from polyvox.api.deps import PrincipalDep, ServicesDep
from polyvox.api.schemas import HistoryDownloadBody
from polyvox.store.models import HistoryItem

router = APIRouter(tags=["history"])


def item_json(h: HistoryItem) -> dict:
    return {
        "history_item_id": h.history_item_id, "request_id": h.request_id, "voice_id": h.voice_id,
        "model_id": h.model_id, "voice_name": h.voice_name, "voice_category": h.voice_category, "text": h.text,
        "date_unix": h.date_unix, "character_count_change_from": h.character_count_change_from,
        "character_count_change_to": h.character_count_change_to, "content_type": h.content_type,
        "state": "created", "settings": h.settings, "feedback": None, "share_link_id": None, "source": h.source,
        "alignments": None, "output_format": h.output_format, "duration_seconds": round(h.duration_seconds, 3),
    }


def _scope(principal) -> str | None:
    """Admins see every key's history; other keys see their own."""
    return None if principal.is_admin else principal.key_id


@router.get("/v1/history")
def list_history(services: ServicesDep, principal: PrincipalDep, page_size: int = Query(100, ge=1, le=1000),
                 start_after_history_item_id: str | None = None, voice_id: str | None = None,
                 search: str | None = None, source: Literal["TTS", "STS"] | None = None,
                 model_id: str | None = None) -> dict:
    rows, more = services.history.list(key_id=_scope(principal), page_size=page_size,
                                       start_after=start_after_history_item_id, voice_id=voice_id, search=search,
                                       source=source, model_id=model_id)
    return {"history": [item_json(r) for r in rows], "has_more": more,
            "last_history_item_id": rows[-1].history_item_id if rows else None}


@router.get("/v1/history/{history_item_id}")
def get_item(history_item_id: str, services: ServicesDep, principal: PrincipalDep) -> dict:
    return item_json(services.history.get(history_item_id, _scope(principal)))


@router.get("/v1/history/{history_item_id}/audio")
def get_audio(history_item_id: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    audio, item = services.history.audio(history_item_id, _scope(principal))
    return Response(audio, media_type=item.content_type)


@router.delete("/v1/history/{history_item_id}")
def delete_item(history_item_id: str, services: ServicesDep, principal: PrincipalDep) -> dict:
    services.history.delete(history_item_id, _scope(principal))
    return {"status": "ok"}


@router.post("/v1/history/download")
def download(body: HistoryDownloadBody, services: ServicesDep, principal: PrincipalDep) -> Response:
    data, media, name = services.history.download(body.history_item_ids, _scope(principal))
    return Response(data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})
