"""Pronunciation dictionaries and their versions (see ``polyvox.services.pronunciation``).

A dictionary is a name plus a chain of immutable versions; every change (add or remove
rules) writes a new version with the complete rule list, so a request that cites an old
``version_id`` keeps getting exactly the old pronunciations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from polyvox.store.models import Base


class PronunciationDictionary(Base):
    __tablename__ = "pronunciation_dictionaries"

    dictionary_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Key id of the creator."""
    creation_time_unix: Mapped[int] = mapped_column(BigInteger, index=True)
    latest_version_id: Mapped[str] = mapped_column(String(32))
    latest_version_rules_num: Mapped[int] = mapped_column(Integer, default=0)
    workspace_access: Mapped[str | None] = mapped_column(String(16), nullable=True)
    archived_time_unix: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class PronunciationDictionaryVersion(Base):
    __tablename__ = "pronunciation_dictionary_versions"

    version_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dictionary_id: Mapped[str] = mapped_column(
        ForeignKey("pronunciation_dictionaries.dictionary_id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    rules: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """The complete, ordered rule list of this version (``LexRule.to_dict`` items)."""
    rules_num: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str | None] = mapped_column(String(35), nullable=True)
    """``xml:lang`` of the PLS it came from; None: applies to every language."""
    alphabet: Mapped[str] = mapped_column(String(16), default="ipa")
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    creation_time_unix: Mapped[int] = mapped_column(BigInteger)


__all__ = ["PronunciationDictionary", "PronunciationDictionaryVersion"]
