"""The job layer: batches submitted by the scheduler, the web UI and the API, run by workers.

On SQLite (the embedded default) a batch runs in the process that submitted it, one at a
time. On PostgreSQL it is a procrastinate job that any ``bulkpoc worker`` on any machine takes.
"""
