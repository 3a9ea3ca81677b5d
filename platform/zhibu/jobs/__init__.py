"""Background jobs: RQ on Redis when ``ZHIBU_REDIS_URL`` is set, inline otherwise.

A job receives ids and the tenant id, never ORM objects (Redash habit). The same
:func:`enqueue` serves both modes, so callers do not know which one runs; a job tells
its progress with :func:`report_progress`; a failed job can be run again with
:func:`retry`.
"""

from zhibu.jobs.progress import report_progress
from zhibu.jobs.queue import JobHandle, enqueue, fetch, job_for, redis_connection, retry

__all__ = [
    "JobHandle",
    "enqueue",
    "fetch",
    "job_for",
    "redis_connection",
    "report_progress",
    "retry",
]
