"""Enqueue a job on RQ, or run it inline when no Redis is configured."""

from __future__ import annotations

import importlib
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue
from rq.job import Job

INLINE_JOBS_KEY = "zhibu.inline_jobs"


@dataclass
class JobHandle:
    """What a caller may know of a job, in either mode."""

    id: str
    status: str  # queued, started, finished, failed
    tenant_id: str | None
    result: Any = None
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "tenant_id": self.tenant_id,
            "result": self.result,
            "error": self.error,
            "meta": self.meta,
        }


def redis_connection(url: str | None = None) -> Redis:
    url = url or current_app.config["ZHIBU_REDIS_URL"]
    if not url:
        raise RuntimeError("ZHIBU_REDIS_URL is not set: jobs run inline, there is no queue")
    return Redis.from_url(url)


def _queue() -> Queue:
    return Queue(current_app.config["ZHIBU_JOB_QUEUE"], connection=redis_connection())


def enqueue(
    func: Callable[..., Any] | str,
    *args: Any,
    tenant_id: Any = None,
    timeout: int = 3600,
    **kwargs: Any,
) -> JobHandle:
    """Run ``func(*args, **kwargs)`` as a job and return its handle.

    :param func: an importable function (or its dotted path); args must be plain data.
    :param tenant_id: the tenant the job works for, kept in the job's meta.
    """
    tenant = str(tenant_id) if tenant_id is not None else None
    path = func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"
    if not current_app.config.get("ZHIBU_REDIS_URL"):
        return _run_inline(path, args, kwargs, tenant)
    job = _queue().enqueue(
        run_job, path, tenant, args, kwargs, job_timeout=timeout, meta={"tenant_id": tenant}
    )
    return _handle(job)


def run_job(path: str, tenant_id: str | None, args: tuple, kwargs: dict) -> Any:
    """What a worker (or the inline runner) executes: the job's function inside the scope
    of its tenant — that tenant alone, or every tenant for a platform-wide job."""
    from zhibu.tenancy.scope import Scope, system_scope, use_scope

    module, _, name = path.rpartition(".")
    func = getattr(importlib.import_module(module), name)
    if tenant_id is None:
        scope = system_scope(username="job")
    else:
        tenant = uuid.UUID(tenant_id)
        scope = Scope.for_tenants([tenant], [tenant], username="job")
    with use_scope(scope):
        return func(*args, **kwargs)


def fetch(job_id: str) -> JobHandle | None:
    """The handle of a job enqueued earlier, or None if it is unknown (or expired)."""
    if not current_app.config.get("ZHIBU_REDIS_URL"):
        return current_app.extensions.setdefault(INLINE_JOBS_KEY, {}).get(job_id)
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except Exception:  # rq raises NoSuchJobError, or a deserialization error for foreign keys
        return None
    return _handle(job)


def _handle(job: Job) -> JobHandle:
    status = job.get_status(refresh=True)
    error = None
    if status == "failed":
        result = job.latest_result()
        error = result.exc_string if result else "failed"
    return JobHandle(
        id=job.id,
        status=str(status.value if hasattr(status, "value") else status),
        tenant_id=job.meta.get("tenant_id"),
        result=job.return_value() if status == "finished" else None,
        error=error,
        meta={k: v for k, v in job.meta.items() if k != "tenant_id"},
    )


def _run_inline(path: str, args, kwargs, tenant: str | None) -> JobHandle:
    handle = JobHandle(id=str(uuid.uuid4()), status="started", tenant_id=tenant)
    current_app.extensions.setdefault(INLINE_JOBS_KEY, {})[handle.id] = handle
    try:
        handle.result = run_job(path, tenant, args, kwargs)
        handle.status = "finished"
    except Exception:
        handle.status = "failed"
        handle.error = traceback.format_exc()
    return handle
