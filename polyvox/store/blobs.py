"""Blob storage behind one small protocol; a local folder by default.

Writes are atomic (temp file + rename), so a crash never leaves a half-written blob
under a real key. A later S3 store implements the same four methods.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9_.\-/]+$")


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key.split("/"):
            raise ValueError(f"invalid blob key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def keys(self, prefix: str = "") -> list[str]:
        base = self.root / prefix if prefix else self.root
        if not base.exists():
            return []
        return [str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file() and not p.name.startswith(".")]

    def sweep_temp(self) -> int:
        """Remove temp files left by a crash mid-write."""
        n = 0
        for p in self.root.rglob(".*.tmp"):
            p.unlink(missing_ok=True)
            n += 1
        return n


__all__ = ["BlobStore", "LocalBlobStore"]
