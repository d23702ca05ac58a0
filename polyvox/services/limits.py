"""Admission control: per-key concurrency (429 too_many_concurrent_requests) and a global
queue bound (429 system_busy). A slot is held for the life of a generation, streaming
included, and released however the generation ends."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from polyvox.errors import SystemBusy, TooManyConcurrentRequests


class Limiter:
    def __init__(self, per_key: int, max_total: int) -> None:
        self.per_key = per_key
        self.max_total = max_total
        self._active: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, key_id: str) -> None:
        with self._lock:
            if sum(self._active.values()) >= self.max_total:
                raise SystemBusy("The server is handling too many requests right now; please retry shortly.")
            if self._active[key_id] >= self.per_key:
                raise TooManyConcurrentRequests(
                    f"Too many concurrent requests for this API key (limit {self.per_key}). "
                    "Wait for one to finish or raise POLYVOX_LIMITS__PER_KEY_CONCURRENCY."
                )
            self._active[key_id] += 1

    def release(self, key_id: str) -> None:
        with self._lock:
            self._active[key_id] -= 1
            if self._active[key_id] <= 0:
                del self._active[key_id]

    def current(self, key_id: str) -> int:
        with self._lock:
            return self._active[key_id]

    @contextmanager
    def slot(self, key_id: str) -> Iterator[None]:
        self.acquire(key_id)
        try:
            yield
        finally:
            self.release(key_id)


__all__ = ["Limiter"]
