"""Background jobs: RQ on Redis when ``ZHIBU_REDIS_URL`` is set, inline otherwise.

A job receives ids and the tenant id, never ORM objects (Redash habit). The same
:func:`enqueue` serves both modes, so callers do not know which one runs.
"""

from zhibu.jobs.queue import JobHandle, enqueue, fetch, redis_connection

__all__ = ["JobHandle", "enqueue", "fetch", "redis_connection"]
