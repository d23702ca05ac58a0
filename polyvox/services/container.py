"""Builds every service from the settings, once, for the app's lifespan (or the CLI)."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from polyvox.engines.manager import EngineManager
from polyvox.jobs import JobQueue
from polyvox.services.history import HistoryService
from polyvox.services.keys import KeyService, Principal
from polyvox.services.limits import Limiter
from polyvox.services.previews import PreviewService
from polyvox.services.tts import TTSService
from polyvox.services.voices import VoiceService
from polyvox.settings import Settings
from polyvox.store.blobs import LocalBlobStore
from polyvox.store.db import Database

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _register_engines(manager: EngineManager, settings: Settings) -> None:
    from polyvox.engines.tts import EspeakEngine, KokoroEngine, PiperEngine

    models = settings.models_dir
    # every call may use every core: a lone stream gets its first audio soonest (2 cores, Kokoro
    # TTFB 275 -> 222 ms); concurrent calls share the cores (threads sleep, never spin), which
    # costs ~15 % of the throughput of 4 streams (bench/README.md). threads=1 favours throughput.
    threads = settings.engines.threads or max(1, os.cpu_count() or 1)
    manager.register("kokoro", lambda: KokoroEngine(models, threads=threads,
                                                    voices_dir=settings.engines.kokoro_voices_dir))
    manager.register("piper", lambda: PiperEngine(models, threads=threads,
                                                  voices_dir=settings.engines.piper_voices_dir))
    manager.register("espeak", lambda: EspeakEngine(models))


def _register_job_kinds(svc: Services) -> None:
    """Job kinds are known before ``jobs.start()``, so that jobs a restart interrupted resume."""
    from polyvox.services.async_jobs import register_kinds

    register_kinds(svc)


def _wire_voice_lab(svc: Services) -> None:
    """Made voices live in the blob store: engines reach them through the voice lab's loaders;
    the user-installed cloning and design engines register here when configured."""
    from polyvox.engines.tts import f5, parler
    from polyvox.services.voice_lab import VoiceLabService

    def lab() -> VoiceLabService:
        return svc.component(VoiceLabService)

    if "kokoro" in svc.engines.names():
        svc.engines.configure("kokoro", lambda e: setattr(e, "custom_loader", lambda key: lab().load_kokoro_asset(key)))
    if "f5" not in svc.engines.names():
        f5.register(svc.engines, svc.settings, reference_loader=lambda key: lab().load_reference(key))
    if "parler" not in svc.engines.names():
        parler.register(svc.engines, svc.settings)


@dataclass
class Services:
    settings: Settings
    db: Database
    blobs: LocalBlobStore
    keys: KeyService
    voices: VoiceService
    history: HistoryService
    engines: EngineManager
    limiter: Limiter
    pool: ThreadPoolExecutor
    tts: TTSService
    previews: PreviewService
    jobs: JobQueue
    _components: dict = field(default_factory=dict)
    _component_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: Settings, *, engines: EngineManager | None = None) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.db_url)
        db.migrate()
        blobs = LocalBlobStore(settings.blobs_dir)
        keys = KeyService(db)
        voices = VoiceService(db)
        voices.seed_premade()
        history = HistoryService(db, blobs)
        history.sweep_orphans()
        if engines is None:
            engines = EngineManager(ttl=settings.engines.ttl_seconds)
            _register_engines(engines, settings)
        limiter = Limiter(settings.limits.per_key_concurrency, settings.limits.max_queue)
        pool = ThreadPoolExecutor(max_workers=settings.engines.workers, thread_name_prefix="engine")
        tts = TTSService(engines=engines, voices=voices, history=history, keys=keys, limiter=limiter, pool=pool,
                         character_limit=settings.limits.character_limit)
        previews = PreviewService(tts, voices, blobs, keys)
        jobs = JobQueue(db, workers=settings.jobs_workers)
        svc = cls(settings, db, blobs, keys, voices, history, engines, limiter, pool, tts, previews, jobs)
        _register_job_kinds(svc)
        _wire_voice_lab(svc)
        return svc

    def component(self, cls: type[T]) -> T:
        """A per-app singleton of a capability's service, built on first use by ``cls.build(self)``.

        Capabilities added later (speech to text, isolation, dubbing, ...) live in their own
        modules and are reached through this, so the container needn't know them.
        """
        with self._component_lock:
            inst = self._components.get(cls)
            if inst is None:
                inst = self._components[cls] = cls.build(self)
            return inst

    def bootstrap_admin(self) -> str | None:
        """Install POLYVOX_ADMIN_KEY, or create a first admin key; returns a new secret to print once."""
        if self.settings.admin_key is not None:
            self.keys.ensure("admin (POLYVOX_ADMIN_KEY)", self.settings.admin_key.get_secret_value(), is_admin=True)
            return None
        if not self.keys.any_admin():
            return self.keys.create("admin", is_admin=True).secret
        return None

    def local_principal(self) -> Principal:
        """Who an unauthenticated caller is when auth is switched off: the first admin key."""
        for k in self.keys.list():
            if k.is_admin and k.revoked_unix is None:
                return Principal(k.key_id, k.name, True)
        new = self.keys.create("local", is_admin=True)
        return Principal(new.key_id, new.name, True)

    def close(self) -> None:
        self.jobs.close()
        for inst in self._components.values():
            close = getattr(inst, "close", None)
            if close:
                close()
        self.tts.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.db.dispose()


__all__ = ["Services"]
