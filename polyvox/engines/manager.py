"""Lazy loading and idle unloading of engines, shared by every capability.

``with manager.acquire("kokoro") as engine:`` loads the engine on first use, counts the
user, and after the last user leaves schedules an unload once the engine has been idle
for ``ttl`` seconds (-1 never, 0 at once). An engine in use is never unloaded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class _Slot:
    factory: Callable[[], Any]
    hooks: list[Callable[[Any], None]] = field(default_factory=list)
    instance: Any = None
    users: int = 0
    last_used: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


class EngineManager:
    def __init__(self, ttl: float = -1, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def register(self, name: str, factory: Callable[[], Any]) -> None:
        """``factory`` builds an unloaded engine; its ``load()`` runs on first acquire."""
        with self._lock:
            if name in self._slots:
                raise ValueError(f"engine {name!r} is already registered")
            self._slots[name] = _Slot(factory)

    def configure(self, name: str, hook: Callable[[Any], None]) -> None:
        """Run ``hook(engine)`` on the engine now (if built) and on every instance built later
        (after an idle unload): how the service layer hands engines its loaders."""
        slot = self._slot(name)
        with slot.lock:
            slot.hooks.append(hook)
            if slot.instance is not None:
                hook(slot.instance)

    @staticmethod
    def _create(slot: _Slot) -> Any:
        instance = slot.factory()
        instance._polyvox_loaded = False
        for hook in slot.hooks:
            hook(instance)
        return instance

    def names(self) -> list[str]:
        return list(self._slots)

    def _slot(self, name: str) -> _Slot:
        try:
            return self._slots[name]
        except KeyError:
            raise KeyError(f"no engine named {name!r}; registered: {', '.join(self._slots)}") from None

    def peek(self, name: str) -> Any:
        """The engine object without loading it (for its declared ``info``)."""
        slot = self._slot(name)
        with slot.lock:
            if slot.instance is None:
                slot.instance = self._create(slot)
            return slot.instance

    def get_loaded(self, name: str) -> Any:
        slot = self._slot(name)
        with slot.lock:
            if slot.instance is None:
                slot.instance = self._create(slot)
            if not slot.instance._polyvox_loaded:
                t0 = time.perf_counter()
                slot.instance.load()
                slot.instance._polyvox_loaded = True
                logger.info("loaded engine %s in %.2fs", name, time.perf_counter() - t0)
            return slot.instance

    @contextmanager
    def acquire(self, name: str) -> Iterator[Any]:
        slot = self._slot(name)
        engine = self.get_loaded(name)
        with slot.lock:
            slot.users += 1
        try:
            yield engine
        finally:
            with slot.lock:
                slot.users -= 1
                slot.last_used = self._clock()
            self.collect()

    def collect(self) -> list[str]:
        """Unload engines idle for longer than the TTL; returns the names unloaded."""
        if self.ttl < 0:
            return []
        gone = []
        for name, slot in self._slots.items():
            with slot.lock:
                idle = self._clock() - slot.last_used
                if slot.instance is not None and slot.users == 0 and idle >= self.ttl:
                    unload = getattr(slot.instance, "unload", None)
                    if unload:
                        unload()
                    slot.instance = None
                    gone.append(name)
        return gone


__all__ = ["EngineManager"]
