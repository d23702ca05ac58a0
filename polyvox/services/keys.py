"""API keys: created with a secret shown once, stored as a sha256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from polyvox.errors import NotFound, QuotaExceeded, Unauthorized
from polyvox.store.db import Database
from polyvox.store.models import ApiKey


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and whether it may manage the server."""

    key_id: str
    name: str
    is_admin: bool


@dataclass(frozen=True)
class NewKey:
    key_id: str
    name: str
    secret: str


class KeyService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str, *, is_admin: bool = False, secret: str | None = None,
               character_limit: int | None = None) -> NewKey:
        secret = secret or "sk_" + secrets.token_hex(24)
        key = ApiKey(key_id=uuid.uuid4().hex[:20], name=name, key_hash=_hash(secret), preview=secret[:6] + "…",
                     is_admin=is_admin, created_unix=int(time.time()), character_limit=character_limit,
                     character_count=0)
        with self.db.session() as s:
            s.add(key)
        return NewKey(key.key_id, name, secret)

    def ensure(self, name: str, secret: str, *, is_admin: bool) -> bool:
        """Install ``secret`` as a key unless a key with that secret exists; True if created."""
        with self.db.session() as s:
            if s.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(secret))) is not None:
                return False
        self.create(name, is_admin=is_admin, secret=secret)
        return True

    def any_admin(self) -> bool:
        with self.db.session() as s:
            return s.scalar(select(ApiKey).where(ApiKey.is_admin, ApiKey.revoked_unix.is_(None))) is not None

    def authenticate(self, secret: str | None) -> Principal:
        if not secret:
            raise Unauthorized("No API key was provided. Pass it in the 'xi-api-key' header.", code="needs_authorization")
        with self.db.session() as s:
            key = s.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(secret)))
            if key is None or key.revoked_unix is not None:
                raise Unauthorized("Invalid API key.")
            return Principal(key.key_id, key.name, key.is_admin)

    def list(self) -> list[ApiKey]:
        with self.db.session() as s:
            return list(s.scalars(select(ApiKey).order_by(ApiKey.created_unix)))

    def revoke(self, key_id: str) -> None:
        with self.db.session() as s:
            key = s.get(ApiKey, key_id)
            if key is None:
                raise NotFound(f"No API key with id {key_id!r}.", code="api_key_not_found")
            key.revoked_unix = int(time.time())

    # usage accounting -------------------------------------------------------------
    def check_quota(self, key_id: str, characters: int, global_limit: int) -> None:
        with self.db.session() as s:
            key = s.get(ApiKey, key_id)
            limit = key.character_limit if key and key.character_limit is not None else global_limit
            if key and limit and key.character_count + characters > limit:
                raise QuotaExceeded(
                    f"This request exceeds your quota of {limit} characters. You have "
                    f"{max(0, limit - key.character_count)} characters remaining, while {characters} are required."
                )

    def charge(self, key_id: str, characters: int) -> tuple[int, int]:
        """Add ``characters`` to the key's count; returns (before, after)."""
        with self.db.session() as s:
            key = s.get(ApiKey, key_id, with_for_update=True)
            if key is None:
                return (0, 0)
            before = key.character_count
            key.character_count = before + characters
            return before, key.character_count

    def usage(self, key_id: str) -> ApiKey | None:
        with self.db.session() as s:
            return s.get(ApiKey, key_id)


__all__ = ["KeyService", "NewKey", "Principal"]
