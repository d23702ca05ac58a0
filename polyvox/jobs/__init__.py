"""Durable background jobs: status in the database, run by an in-process worker pool.

    queue = JobQueue(db, workers=1)
    queue.register("dub", run_dub)          # run_dub(ctx: JobContext, params: dict) -> dict
    job_id = queue.enqueue("dub", {...}, key_id=...)
    queue.start()                           # resumes jobs left queued/running by a restart

A job function reports ``ctx.progress(fraction, message)``, checks cancellation there (it
raises ``Cancelled``), and may raise ``Retry`` to be run again. Tests call ``drain()``,
which runs queued jobs in the calling thread until none is left (no sleeps). At scale the
same protocol is served by a standard task queue; this module is the embedded default.
"""

from __future__ import annotations

from polyvox.jobs.queue import Cancelled, Interrupted, JobContext, JobQueue, JobStatus, Retry

__all__ = ["Cancelled", "Interrupted", "JobContext", "JobQueue", "JobStatus", "Retry"]
