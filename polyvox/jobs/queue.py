"""The embedded job queue (see the package docstring)."""

from __future__ import annotations

import logging
import queue as _q
import threading
import time
import uuid
from collections.abc import Callable
from enum import Enum
from typing import Any

from sqlalchemy import select

from polyvox.errors import NotFound, PolyvoxError
from polyvox.store.db import Database
from polyvox.store.models import JobRecord

logger = logging.getLogger(__name__)


class JobStatus(str, Enum):
    QUEUED = "queued"
    """Waiting for a worker (also after a restart interrupted it)."""
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """The function raised; ``error`` says why."""
    CANCELLED = "cancelled"


class Cancelled(Exception):
    """Raised inside a job by ``JobContext.progress`` once cancellation was requested."""


class Retry(Exception):
    """Raise from a job to have it run again (up to ``max_attempts``)."""


class Interrupted(Retry):
    """Raised inside a job by ``JobContext.progress`` when the queue is closing: the job goes
    back to ``queued`` (its inputs kept) and resumes at the next start."""


class JobContext:
    def __init__(self, queue: JobQueue, job_id: str) -> None:
        self._queue = queue
        self.job_id = job_id

    def progress(self, fraction: float, message: str = "") -> None:
        self._queue._update(self.job_id, progress=max(0.0, min(1.0, fraction)), message=message)
        if self._queue._cancel_requested(self.job_id):
            raise Cancelled(self.job_id)
        if self._queue._closing.is_set():
            raise Interrupted(self.job_id)


JobFn = Callable[[JobContext, dict[str, Any]], dict[str, Any] | None]


class JobQueue:
    def __init__(self, db: Database, *, workers: int = 1, max_attempts: int = 3) -> None:
        self.db = db
        self.workers = workers
        self.max_attempts = max_attempts
        self._fns: dict[str, JobFn] = {}
        self._pending: _q.Queue[str | None] = _q.Queue()
        self._threads: list[threading.Thread] = []
        self._cancel: set[str] = set()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[JobRecord], None]] = []
        self._closing = threading.Event()

    def register(self, kind: str, fn: JobFn) -> None:
        if not callable(fn):
            raise TypeError(f"job function for {kind!r} is not callable")
        if kind in self._fns:
            raise ValueError(f"job kind {kind!r} is already registered")
        self._fns[kind] = fn
        if self._threads:  # registered after start: pick up this kind's interrupted jobs too
            self._resume(kind)

    def on_finish(self, listener: Callable[[JobRecord], None]) -> None:
        """Call ``listener(record)`` whenever a job ends (webhooks, notifications)."""
        self._listeners.append(listener)

    # producer side ---------------------------------------------------------------------
    def enqueue(self, kind: str, params: dict[str, Any], *, key_id: str | None = None,
                job_id: str | None = None) -> str:
        if kind not in self._fns:
            raise ValueError(f"unknown job kind {kind!r}")
        job_id = job_id or uuid.uuid4().hex[:20]
        now = time.time()
        with self.db.session() as s:
            s.add(JobRecord(job_id=job_id, kind=kind, status=JobStatus.QUEUED.value, progress=0.0, message="",
                            params=params, key_id=key_id, attempts=0, created_unix=now, updated_unix=now))
        self._pending.put(job_id)
        return job_id

    def get(self, job_id: str) -> JobRecord:
        with self.db.session() as s:
            rec = s.get(JobRecord, job_id)
        if rec is None:
            raise NotFound(f"No job with id {job_id!r}.", code="job_not_found")
        return rec

    def cancel(self, job_id: str) -> JobRecord:
        rec = self.get(job_id)
        if rec.status == JobStatus.QUEUED.value:
            self._update(job_id, status=JobStatus.CANCELLED.value, message="cancelled")
        elif rec.status == JobStatus.RUNNING.value:
            with self._lock:
                self._cancel.add(job_id)
        return self.get(job_id)

    def note(self, job_id: str, message: str) -> None:
        """Replace a job's message (e.g. how a webhook delivery after the end went)."""
        self._update(job_id, message=message)

    def delete(self, job_id: str) -> None:
        """Forget a job: a running one is asked to stop, and its record goes now (the worker copes)."""
        rec = self.get(job_id)
        if rec.status == JobStatus.RUNNING.value:
            with self._lock:
                self._cancel.add(job_id)
        with self.db.session() as s:
            row = s.get(JobRecord, job_id)
            if row is not None:
                s.delete(row)

    def _find(self, job_id: str) -> JobRecord | None:
        with self.db.session() as s:
            return s.get(JobRecord, job_id)

    # worker side -----------------------------------------------------------------------
    def _resume(self, kind: str | None = None) -> None:
        kinds = [kind] if kind else list(self._fns)
        with self.db.session() as s:
            stale = list(s.scalars(select(JobRecord).where(
                JobRecord.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]),
                JobRecord.kind.in_(kinds)).order_by(JobRecord.created_unix)))
            for rec in stale:
                rec.status = JobStatus.QUEUED.value
        for rec in stale:
            self._pending.put(rec.job_id)

    def start(self) -> None:
        """Resume interrupted jobs of the registered kinds, then start the worker threads."""
        self._closing.clear()
        self._resume()
        for i in range(self.workers):
            t = threading.Thread(target=self._loop, name=f"polyvox-job-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def close(self, timeout: float = 10.0) -> None:
        """Stop taking jobs; running ones stop at their next progress report (back to ``queued``,
        resumed at the next start), or are left ``running`` and resumed at next start."""
        self._closing.set()
        for _ in self._threads:
            self._pending.put(None)
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    def drain(self) -> None:
        """Run queued jobs in this thread until none is left (tests, CLI)."""
        while True:
            try:
                job_id = self._pending.get_nowait()
            except _q.Empty:
                return
            if job_id is not None:
                self._run(job_id)

    def _loop(self) -> None:
        while True:
            job_id = self._pending.get()
            if job_id is None:
                return
            self._run(job_id)

    def _run(self, job_id: str) -> None:
        rec = self._find(job_id)
        if rec is None or rec.status != JobStatus.QUEUED.value:  # deleted or cancelled while waiting
            return
        fn = self._fns[rec.kind]
        self._update(job_id, status=JobStatus.RUNNING.value, attempts=rec.attempts + 1)
        try:
            result = fn(JobContext(self, job_id), dict(rec.params or {}))
        except Cancelled:
            self._update(job_id, status=JobStatus.CANCELLED.value, message="cancelled")
        except Interrupted:
            self._update(job_id, status=JobStatus.QUEUED.value, message="interrupted by a shutdown; resumes at start")
            return
        except Retry as e:
            if rec.attempts + 1 < self.max_attempts:
                self._update(job_id, status=JobStatus.QUEUED.value, message=f"retrying: {e}")
                self._pending.put(job_id)
                return
            self._update(job_id, status=JobStatus.FAILED.value, error=str(e) or "gave up after retries")
        except Exception as e:  # the job failed; its record says why, the worker lives on
            logger.exception("job %s (%s) failed", job_id, rec.kind)
            # a domain error keeps its wire code and HTTP status, so an API can answer with them later
            code = {"status": e.code, "http_status": e.status} if isinstance(e, PolyvoxError) else None
            self._update(job_id, status=JobStatus.FAILED.value, error=getattr(e, "message", None) or str(e),
                         result={"error": code} if code else None)
        else:
            self._update(job_id, status=JobStatus.SUCCEEDED.value, progress=1.0, result=result or {})
        finally:
            with self._lock:
                self._cancel.discard(job_id)
        final = self._find(job_id)
        if final is None:  # deleted while it ran
            return
        for listener in self._listeners:
            try:
                listener(final)
            except Exception:
                logger.exception("job listener failed for %s", job_id)

    def _cancel_requested(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._cancel

    def _update(self, job_id: str, **fields: Any) -> None:
        with self.db.session() as s:
            rec = s.get(JobRecord, job_id)
            if rec is None:
                return
            for k, v in fields.items():
                setattr(rec, k, v)
            rec.updated_unix = time.time()


__all__ = ["Cancelled", "Interrupted", "JobContext", "JobQueue", "JobStatus", "Retry"]
