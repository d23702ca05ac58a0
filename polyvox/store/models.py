"""Database tables (SQLAlchemy 2). Changes go through an Alembic migration in ``migrations/``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ApiKey(Base):
    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    """sha256 of the secret; the secret itself is never stored."""
    preview: Mapped[str] = mapped_column(String(16))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_unix: Mapped[int] = mapped_column(BigInteger)
    revoked_unix: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    character_limit: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    character_count: Mapped[int] = mapped_column(BigInteger, default=0)


class Voice(Base):
    __tablename__ = "voices"

    voice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """Stored voice settings; ``None`` means the defaults."""
    engines: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Engine name -> that engine's voice spec (``{"kokoro": "af_heart"}``)."""
    language: Mapped[str] = mapped_column(String(16), default="en")
    samples: Mapped[list[Any]] = mapped_column(JSON, default=list)
    owner_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_unix: Mapped[int] = mapped_column(BigInteger)
    lab: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """Made voices (cloned, generated): method, state, report and asset blob keys."""


class HistoryItem(Base):
    __tablename__ = "history"
    __table_args__ = (Index("ix_history_date", "date_unix"),)

    history_item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.key_id", ondelete="SET NULL"), nullable=True)
    voice_id: Mapped[str] = mapped_column(String(64), index=True)
    voice_name: Mapped[str] = mapped_column(String(200))
    voice_category: Mapped[str] = mapped_column(String(32))
    model_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    date_unix: Mapped[int] = mapped_column(BigInteger)
    character_count_change_from: Mapped[int] = mapped_column(BigInteger)
    character_count_change_to: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(64))
    output_format: Mapped[str] = mapped_column(String(32))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(8), default="TTS")
    blob_key: Mapped[str] = mapped_column(String(200))
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    loudness_lufs: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Measured loudness, reused to keep later requests that cite this one at the same level."""
    alignment: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RequestStitch(Base):
    """What request stitching needs of a past request (kept only when logging is on)."""

    __tablename__ = "request_stitch"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    voice_id: Mapped[str] = mapped_column(String(64))
    loudness_lufs: Mapped[float | None] = mapped_column(Float, nullable=True)
    speaking_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Characters per second of speech, for pace continuity."""
    created_unix: Mapped[int] = mapped_column(BigInteger)


class Meta(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)




class JobRecord(Base):
    """A durable background job (see ``polyvox.jobs``)."""

    __tablename__ = "jobs"

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[int] = mapped_column(BigInteger, default=0)
    created_unix: Mapped[float] = mapped_column(Float)
    updated_unix: Mapped[float] = mapped_column(Float)


__all__ = ["ApiKey", "Base", "HistoryItem", "JobRecord", "Meta", "RequestStitch", "Voice"]
