"""Voices: the premade catalogue seeded into the database, user edits, settings, lookup.

A voice is metadata plus engine bindings: for each engine, the engine's own voice spec
(a Kokoro style or blend, a Piper voice file). ``resolve`` picks the binding the model's
engine needs and fails clearly when a voice cannot be rendered by that engine.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, or_, select

from polyvox.engines.tts.base import VoiceSettings
from polyvox.errors import InvalidRequest, PolyvoxError, VoiceNotFound
from polyvox.services.catalogue import PREMADE_VOICES
from polyvox.store.db import Database
from polyvox.store.models import Voice

DEFAULT_SETTINGS = VoiceSettings(stability=0.5, similarity_boost=0.75, style=0.0, use_speaker_boost=True, speed=1.0)

_ESPEAK_LANG = {"american": "en-us", "british": "en-gb", "australian": "en-us", "irish": "en-gb"}


def settings_from_dict(d: dict[str, Any] | None, base: VoiceSettings = DEFAULT_SETTINGS) -> VoiceSettings:
    if not d:
        return base
    merged = asdict(base) | {k: v for k, v in d.items() if k in VoiceSettings.__dataclass_fields__ and v is not None}
    return VoiceSettings(**merged)


class VoiceService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def seed_premade(self) -> None:
        """Insert or refresh the premade catalogue; user edits to names/settings are kept."""
        now = int(time.time())
        with self.db.session() as s:
            existing = {v.voice_id: v for v in s.scalars(select(Voice).where(Voice.category == "premade"))}
            for p in PREMADE_VOICES:
                engines = {k: v for k, v in (("kokoro", p.kokoro), ("piper", p.piper)) if v}
                labels = {"accent": p.accent, "description": p.description.split(" ")[0].lower(),
                          "age": p.age, "gender": p.gender, "use_case": p.use_case}
                row = existing.get(p.voice_id)
                if row is None:
                    s.add(Voice(voice_id=p.voice_id, name=p.name, category="premade", description=p.description,
                                labels=labels, settings=None, engines=engines, language=p.language, samples=[],
                                created_unix=now))
                else:
                    row.engines = engines
                    row.language = p.language

    # queries -----------------------------------------------------------------------
    def get(self, voice_id: str) -> Voice:
        with self.db.session() as s:
            v = s.get(Voice, voice_id)
        if v is None:
            raise VoiceNotFound(f"A voice with voice_id {voice_id!r} does not exist.")
        return v

    def list(self) -> list[Voice]:
        with self.db.session() as s:
            return list(s.scalars(select(Voice).order_by(Voice.category.desc(), Voice.created_unix, Voice.name)))

    def search(self, *, search: str | None = None, category: str | None = None, voice_type: str | None = None,
               gender: str | None = None, age: str | None = None, accent: str | None = None,
               language: list[str] | None = None, voice_ids: list[str] | None = None,
               sort: str = "created_at_unix", direction: str = "desc", page_size: int = 10,
               next_page_token: str | None = None) -> tuple[list[Voice], int, str | None]:
        """``/v2/voices``: filter, sort and paginate with an opaque offset token."""
        q = select(Voice)
        if search:
            like = f"%{search.lower()}%"
            q = q.where(or_(func.lower(Voice.name).like(like), func.lower(Voice.description).like(like)))
        if category:
            q = q.where(Voice.category == category)
        if voice_type in ("personal", "non-default"):
            q = q.where(Voice.category != "premade")
        elif voice_type == "default":
            q = q.where(Voice.category == "premade")
        if voice_ids:
            q = q.where(Voice.voice_id.in_(voice_ids))
        if language:
            q = q.where(Voice.language.in_(language))
        with self.db.session() as s:
            rows = list(s.scalars(q))
        wanted = {"gender": gender, "age": age, "accent": accent}
        rows = [v for v in rows if all(not want or (v.labels or {}).get(k, "").lower() == want.lower()
                                       for k, want in wanted.items())]
        key = (lambda v: v.name.lower()) if sort == "name" else (lambda v: (v.created_unix, v.voice_id))
        rows.sort(key=key, reverse=direction != "asc")
        offset = int(next_page_token) if next_page_token and next_page_token.isdigit() else 0
        page = rows[offset: offset + page_size]
        nxt = str(offset + page_size) if offset + page_size < len(rows) else None
        return page, len(rows), nxt

    def settings(self, voice_id: str) -> VoiceSettings:
        return settings_from_dict(self.get(voice_id).settings)

    # mutations ---------------------------------------------------------------------
    def edit(self, voice_id: str, *, name: str | None, description: str | None,
             labels: dict[str, str] | None) -> None:
        with self.db.session() as s:
            v = s.get(Voice, voice_id)
            if v is None:
                raise VoiceNotFound(f"A voice with voice_id {voice_id!r} does not exist.")
            if name is not None:
                if not name.strip():
                    raise InvalidRequest("Voice name must not be empty.", code="invalid_name")
                v.name = name.strip()
            if description is not None:
                v.description = description
            if labels is not None:
                v.labels = {str(k): str(val) for k, val in labels.items()}

    def edit_settings(self, voice_id: str, values: dict[str, Any]) -> None:
        with self.db.session() as s:
            v = s.get(Voice, voice_id)
            if v is None:
                raise VoiceNotFound(f"A voice with voice_id {voice_id!r} does not exist.")
            v.settings = asdict(settings_from_dict(values, settings_from_dict(v.settings)))

    def create(self, *, voice_id: str, name: str, category: str, description: str, labels: dict[str, str],
               engines: dict[str, str], language: str, samples: list[dict], owner_key_id: str | None,
               lab: dict | None) -> Voice:
        """Insert a made voice (cloned, generated); its assets are already stored."""
        v = Voice(voice_id=voice_id, name=name, category=category, description=description,
                  labels={str(k): str(x) for k, x in labels.items()}, settings=None, engines=engines,
                  language=language, samples=samples, owner_key_id=owner_key_id,
                  created_unix=int(time.time()), lab=lab)
        with self.db.session() as s:
            s.add(v)
        return self.get(voice_id)

    def update_made(self, voice_id: str, *, engines: dict[str, str] | None = None, samples: list[dict] | None = None,
                    lab: dict | None = None) -> None:
        """Swap a made voice's engine bindings, samples or lab record in one transaction."""
        with self.db.session() as s:
            v = s.get(Voice, voice_id)
            if v is None:
                raise VoiceNotFound(f"A voice with voice_id {voice_id!r} does not exist.")
            if engines is not None:
                v.engines = engines
            if samples is not None:
                v.samples = samples
            if lab is not None:
                v.lab = lab

    def delete(self, voice_id: str) -> Voice:
        with self.db.session() as s:
            v = s.get(Voice, voice_id)
            if v is None:
                raise VoiceNotFound(f"A voice with voice_id {voice_id!r} does not exist.")
            if v.category == "premade":
                raise PolyvoxError("Premade voices cannot be deleted.", code="voice_not_deletable", status=400)
            s.delete(v)
            return v

    # engine binding ----------------------------------------------------------------
    @staticmethod
    def binding(voice: Voice, engine: str, language: str) -> str:
        """The engine's voice spec for ``voice``, or a clear error when it has none."""
        spec = (voice.engines or {}).get(engine)
        if spec:
            return spec
        if engine == "espeak":
            gender = (voice.labels or {}).get("gender", "male")
            base = _ESPEAK_LANG.get((voice.labels or {}).get("accent", ""), language) if language == "en" else language
            return f"{base}+{'f3' if gender == 'female' else 'm3'}"
        have = ", ".join(sorted(voice.engines or {})) or "none"
        raise InvalidRequest(
            f"Voice {voice.name!r} ({voice.voice_id}) cannot be rendered by the {engine} engine "
            f"(it has bindings for: {have}). Choose a model on one of those engines.",
            code="voice_not_supported_by_model",
        )


__all__ = ["DEFAULT_SETTINGS", "VoiceService", "settings_from_dict"]
