"""History of generations: recorded atomically after a generation completes.

The audio blob is written first (atomically), then the row and the character charge are
committed in one transaction. A crash between the two leaves only an orphan blob, which
``sweep_orphans`` removes at start; a row never points at missing audio.
"""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from polyvox.errors import HistoryItemNotFound, InvalidRequest
from polyvox.store.blobs import LocalBlobStore
from polyvox.store.db import Database
from polyvox.store.models import ApiKey, HistoryItem, RequestStitch


@dataclass
class NewHistoryItem:
    history_item_id: str
    request_id: str
    key_id: str | None
    voice_id: str
    voice_name: str
    voice_category: str
    model_id: str
    text: str
    content_type: str
    output_format: str
    settings: dict[str, Any]
    source: str
    duration_seconds: float
    loudness_lufs: float | None
    speaking_rate: float | None
    alignment: dict[str, Any] | None


class HistoryService:
    def __init__(self, db: Database, blobs: LocalBlobStore) -> None:
        self.db = db
        self.blobs = blobs

    def record(self, item: NewHistoryItem, audio: bytes, *, log: bool) -> tuple[int, int]:
        """Charge the key and, when ``log``, store the item and its audio; returns (before, after) counts."""
        # unique per write: a failed record can only ever delete its own blob
        blob_key = f"history/{item.history_item_id}-{uuid.uuid4().hex[:8]}.{_ext(item.output_format)}"
        if log:
            self.blobs.put(blob_key, audio)
        try:
            with self.db.session() as s:
                before = after = 0
                if item.key_id:
                    key = s.get(ApiKey, item.key_id, with_for_update=True)
                    if key is not None:
                        before = key.character_count
                        key.character_count = after = before + len(item.text)
                if log:
                    s.add(HistoryItem(
                        history_item_id=item.history_item_id, request_id=item.request_id, key_id=item.key_id,
                        voice_id=item.voice_id, voice_name=item.voice_name, voice_category=item.voice_category,
                        model_id=item.model_id, text=item.text, date_unix=int(time.time()),
                        character_count_change_from=before, character_count_change_to=after,
                        content_type=item.content_type, output_format=item.output_format, settings=item.settings,
                        source=item.source, blob_key=blob_key, duration_seconds=item.duration_seconds,
                        loudness_lufs=item.loudness_lufs, alignment=item.alignment))
                    s.add(RequestStitch(request_id=item.request_id, text=item.text, voice_id=item.voice_id,
                                        loudness_lufs=item.loudness_lufs, speaking_rate=item.speaking_rate,
                                        created_unix=int(time.time())))
            return before, after
        except BaseException:
            if log:
                self.blobs.delete(blob_key)
            raise

    def stitch_info(self, request_ids: list[str]) -> list[RequestStitch]:
        if not request_ids:
            return []
        with self.db.session() as s:
            rows = {r.request_id: r for r in s.scalars(select(RequestStitch).where(
                RequestStitch.request_id.in_(request_ids)))}
        return [rows[r] for r in request_ids if r in rows]

    def list(self, *, key_id: str | None, page_size: int = 100, start_after: str | None = None,
             voice_id: str | None = None, search: str | None = None, source: str | None = None,
             model_id: str | None = None) -> tuple[list[HistoryItem], bool]:
        q = select(HistoryItem)
        if key_id is not None:
            q = q.where(HistoryItem.key_id == key_id)
        if voice_id:
            q = q.where(HistoryItem.voice_id == voice_id)
        if model_id:
            q = q.where(HistoryItem.model_id == model_id)
        if source:
            q = q.where(HistoryItem.source == source)
        if search:
            like = f"%{search}%"
            q = q.where(or_(HistoryItem.text.like(like), HistoryItem.voice_name.like(like)))
        with self.db.session() as s:
            if start_after:
                anchor = s.get(HistoryItem, start_after)
                if anchor is None:
                    raise HistoryItemNotFound(f"History item {start_after!r} not found.")
                q = q.where(or_(HistoryItem.date_unix < anchor.date_unix,
                                (HistoryItem.date_unix == anchor.date_unix)
                                & (HistoryItem.history_item_id < anchor.history_item_id)))
            q = q.order_by(HistoryItem.date_unix.desc(), HistoryItem.history_item_id.desc()).limit(page_size + 1)
            rows = list(s.scalars(q))
        return rows[:page_size], len(rows) > page_size

    def get(self, history_item_id: str, key_id: str | None) -> HistoryItem:
        with self.db.session() as s:
            item = s.get(HistoryItem, history_item_id)
        if item is None or (key_id is not None and item.key_id != key_id):
            raise HistoryItemNotFound(f"History item {history_item_id!r} not found.")
        return item

    def audio(self, history_item_id: str, key_id: str | None) -> tuple[bytes, HistoryItem]:
        item = self.get(history_item_id, key_id)
        return self.blobs.get(item.blob_key), item

    def delete(self, history_item_id: str, key_id: str | None) -> None:
        item = self.get(history_item_id, key_id)
        with self.db.session() as s:
            row = s.get(HistoryItem, item.history_item_id)
            if row is not None:
                s.delete(row)
        self.blobs.delete(item.blob_key)

    def download(self, ids: list[str], key_id: str | None) -> tuple[bytes, str, str]:
        """One item: its audio; several: a zip. Returns (bytes, media type, file name)."""
        if not ids:
            raise InvalidRequest("history_item_ids must not be empty.", code="invalid_history_item_ids")
        items = [self.get(i, key_id) for i in ids]
        if len(items) == 1:
            it = items[0]
            return self.blobs.get(it.blob_key), it.content_type, f"{it.history_item_id}.{_ext(it.output_format)}"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            for it in items:
                stamp = time.strftime("%Y-%m-%d_%H-%M-%S", time.gmtime(it.date_unix))
                z.writestr(f"{it.voice_name}_{stamp}_{it.history_item_id}.{_ext(it.output_format)}",
                           self.blobs.get(it.blob_key))
        return buf.getvalue(), "application/zip", "history.zip"

    def sweep_orphans(self) -> int:
        """Delete blobs with no history row (a crash between blob write and commit)."""
        self.blobs.sweep_temp()
        with self.db.session() as s:
            known = set(s.scalars(select(HistoryItem.blob_key)))
        n = 0
        for key in self.blobs.keys("history"):
            if key not in known:
                self.blobs.delete(key)
                n += 1
        return n


def _ext(output_format: str) -> str:
    family = output_format.split("_", 1)[0]
    return {"mp3": "mp3", "pcm": "pcm", "ulaw": "ulaw", "alaw": "alaw", "opus": "ogg", "wav": "wav"}.get(family, "bin")


__all__ = ["HistoryService", "NewHistoryItem"]
