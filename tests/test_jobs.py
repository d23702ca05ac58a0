"""The embedded job queue: progress, failure, retry, cancel, resume after restart (no sleeps)."""

from __future__ import annotations

import pytest

from polyvox.jobs import JobQueue, JobStatus, Retry
from polyvox.store.db import Database


@pytest.fixture()
def db(tmp_path):
    d = Database(f"sqlite:///{tmp_path / 'j.db'}")
    d.migrate()
    yield d
    d.dispose()


def test_progress_and_result(db):
    q = JobQueue(db)
    seen = []

    def work(ctx, params):
        for i in range(4):
            ctx.progress(i / 4, f"step {i}")
            seen.append(q.get(ctx.job_id).progress)
        return {"sum": params["a"] + params["b"]}

    q.register("add", work)
    jid = q.enqueue("add", {"a": 2, "b": 3})
    assert q.get(jid).status == JobStatus.QUEUED
    q.drain()
    rec = q.get(jid)
    assert rec.status == JobStatus.SUCCEEDED and rec.result == {"sum": 5} and rec.progress == 1.0
    assert seen == [0, 0.25, 0.5, 0.75]


def test_failure_is_recorded_and_retry(db):
    q = JobQueue(db, max_attempts=3)
    calls = []

    def flaky(ctx, params):
        calls.append(1)
        if len(calls) < 2:
            raise Retry("not yet")
        return {}

    q.register("flaky", flaky)
    q.register("broken", lambda ctx, p: 1 / 0)
    a, b = q.enqueue("flaky", {}), q.enqueue("broken", {})
    q.drain()
    assert q.get(a).status == JobStatus.SUCCEEDED and len(calls) == 2
    assert q.get(b).status == JobStatus.FAILED and "division" in q.get(b).error


def test_cancel_queued_and_running(db):
    q = JobQueue(db)

    def long(ctx, params):
        q.cancel(ctx.job_id)  # as if another request cancelled it mid-run
        ctx.progress(0.5)
        return {}

    q.register("long", long)
    a, b = q.enqueue("long", {}), q.enqueue("long", {})
    q.cancel(b)
    q.drain()
    assert q.get(a).status == JobStatus.CANCELLED and q.get(b).status == JobStatus.CANCELLED


def test_resume_after_restart(db):
    q1 = JobQueue(db)
    q1.register("x", lambda ctx, p: {"ok": True})
    jid = q1.enqueue("x", {})
    q1._update(jid, status=JobStatus.RUNNING.value)  # the process died mid-job
    q2 = JobQueue(db)
    q2.register("x", lambda ctx, p: {"ok": True})
    q2.start()
    q2.close()  # workers finish the pending job before the stop marker
    assert q2.get(jid).status == JobStatus.SUCCEEDED


def test_domain_errors_keep_their_code_and_deleted_jobs_are_skipped(db):
    from polyvox.errors import InvalidRequest

    q = JobQueue(db)
    ran = []

    def bad(ctx, params):
        raise InvalidRequest("not audio", code="invalid_audio")

    def gone(ctx, params):
        q.delete(ctx.job_id)  # deleted by a request while it runs: the worker carries on
        ran.append(ctx.job_id)
        return {"x": 1}

    q.register("bad", bad)
    q.register("gone", gone)
    a, b, c = q.enqueue("bad", {}), q.enqueue("gone", {}), q.enqueue("gone", {})
    q.delete(c)  # deleted while still queued: never runs
    q.drain()
    rec = q.get(a)
    assert rec.status == JobStatus.FAILED and rec.error == "not audio"
    assert rec.result == {"error": {"status": "invalid_audio", "http_status": 400}}
    assert ran == [b]
    for jid in (b, c):
        with pytest.raises(Exception, match="No job"):
            q.get(jid)
