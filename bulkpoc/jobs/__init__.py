"""The job layer: batches submitted by the scheduler, the web UI and the API, run by workers.

On SQLite (the embedded default) a batch runs in the process that submitted it, one at a
time. On PostgreSQL it is a procrastinate job that any ``bulkpoc worker`` on any machine takes.
"""

from __future__ import annotations

from bulkpoc.jobs.queue import InProcessQueue, JobQueue, queue_for

__all__ = ["InProcessQueue", "JobQueue", "queue_for"]
