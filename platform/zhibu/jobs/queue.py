"""Enqueue a job on RQ, or run it inline when no Redis is configured.

A job is a dotted path to a function plus plain-data arguments (ids, never ORM objects)
and the tenant it works for. Both modes answer with the same :class:`JobHandle`.
"""

from __future__ import annotations

import importlib
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue
from rq.exceptions import InvalidJobOperation
from rq.job import Job

from zhibu.errors import Conflict
from zhibu.i18n import _
from zhibu.jobs.progress import inline_meta

INLINE_JOBS_KEY = "zhibu.inline_jobs"
INLINE_KEEP = 500  # inline handles kept per process, newest last
FAILURE_TTL = 30 * 24 * 3600  # a failed job keeps its error (and can be retried) a month
RESULT_TTL = 7 * 24 * 3600


@dataclass
class JobHandle:
    """What a caller may know of a job, in either mode."""

    id: str
    status: str  # queued, started, finished, failed (RQ's names)
    tenant_id: str | None
    kind: str = ""
    result: Any = None
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    enqueued_at: datetime | None = None
    ended_at: datetime | None = None
    call: tuple[str, tuple, dict] | None = field(default=None, repr=False)  # inline retry

    @property
    def progress(self) -> dict[str, Any] | None:
        return self.meta.get("progress")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "tenant_id": self.tenant_id,
            "progress": self.progress,
            "result": self.result,
            "error": self.error,
            "meta": self.meta,
            "enqueued_at": self.enqueued_at,
            "ended_at": self.ended_at,
        }


def redis_connection(url: str | None = None) -> Redis:
    url = url or current_app.config["ZHIBU_REDIS_URL"]
    if not url:
        raise RuntimeError("ZHIBU_REDIS_URL is not set: jobs run inline, there is no queue")
    return Redis.from_url(url)


def _queue() -> Queue:
    return Queue(current_app.config["ZHIBU_JOB_QUEUE"], connection=redis_connection())


def job_path(func: Callable[..., Any] | str) -> str:
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


def enqueue(
    func: Callable[..., Any] | str,
    *args: Any,
    tenant_id: Any = None,
    user_id: Any = None,
    timeout: int = 3600,
    **kwargs: Any,
) -> JobHandle:
    """Run ``func(*args, **kwargs)`` as a job and return its handle.

    :param func: an importable function (or its dotted path); args must be plain data.
    :param tenant_id: the tenant the job works for, kept in the job's meta; None runs the
        job for the whole platform.
    :param user_id: the user the job acts for (its writes are audited under their name).
    :param timeout: seconds after which a worker gives the job up as failed.
    """
    tenant = str(tenant_id) if tenant_id is not None else None
    user = str(user_id) if user_id is not None else None
    path = job_path(func)
    kind = path.rpartition(".")[2]
    if not current_app.config.get("ZHIBU_REDIS_URL"):
        return _run_inline(path, args, kwargs, tenant, kind, user)
    job = _queue().enqueue(
        run_job,
        path,
        tenant,
        args,
        kwargs,
        user,
        job_timeout=timeout,
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
        description=kind,
        meta={"tenant_id": tenant, "kind": kind, "user_id": user},
    )
    return _handle(job)


def run_job(
    path: str, tenant_id: str | None, args: tuple, kwargs: dict, user_id: str | None = None
) -> Any:
    """What a worker (or the inline runner) executes: the job's function inside the scope
    of its tenant — that tenant alone, or every tenant for a platform-wide job — acting
    for ``user_id`` when a user started it (parameters added later keep defaults, so jobs
    queued by an older release still run)."""
    from zhibu.tenancy.scope import Scope, system_scope, use_scope

    module, _, name = path.rpartition(".")
    func = getattr(importlib.import_module(module), name)
    who = {"username": "job", "user_id": uuid.UUID(user_id) if user_id else None}
    if tenant_id is None:
        scope = system_scope(**who)
    else:
        tenant = uuid.UUID(tenant_id)
        scope = Scope.for_tenants([tenant], [tenant], **who)
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


def job_for(access: Any, job_id: Any) -> JobHandle | None:
    """The job as ``access`` (a :class:`~zhibu.accounts.access.TenantAccess`) may read
    it: a job of that tenant, for its admins and the user who started it; else None."""
    handle = fetch(str(job_id))
    if handle is None or handle.tenant_id != str(access.tenant_id):
        return None
    if not access.is_admin and handle.meta.get("user_id") != str(access.user.id):
        return None
    return handle


def retry(job_id: str) -> JobHandle | None:
    """Run a failed job again with the same arguments (jobs are idempotent, so a retry
    after a partial run is safe). Refuses a job that has not failed."""
    if not current_app.config.get("ZHIBU_REDIS_URL"):
        handle = fetch(job_id)
        if handle is None:
            return None
        _refuse_unless_failed(handle.status)
        path, args, kwargs = handle.call
        handle.meta["retries"] = handle.meta.get("retries", 0) + 1
        return _execute_inline(handle, path, args, kwargs)
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except Exception:
        return None
    _refuse_unless_failed(_handle(job).status)
    job.meta.pop("progress", None)
    job.meta["retries"] = job.meta.get("retries", 0) + 1
    try:  # of two retries at once, one requeues, one is refused; the meta is saved with
        # the requeue, before a worker can start the job and save its own copy over it
        job = job.requeue()
    except InvalidJobOperation:
        raise Conflict(_("这项任务刚刚已被重新执行,请稍候查看结果。"), field="status") from None
    return _handle(job)


JOB_STATES = {
    "queued": "正在排队",
    "started": "正在执行",
    "finished": "已经完成",
    "deferred": "正在等待",
    "scheduled": "已安排",
    "stopped": "已停止",
    "canceled": "已取消",
}


def _job_state(status: str) -> str:
    key = status.rpartition(".")[2].lower()
    return _(JOB_STATES[key]) if key in JOB_STATES else status


def _refuse_unless_failed(status: str) -> None:
    if status.rpartition(".")[2].lower() != "failed":
        raise Conflict(
            _("只有执行失败的任务才能重新执行;这项任务%(state)s。", state=_job_state(status)),
            field="status",
        )


def _handle(job: Job) -> JobHandle:
    status = job.get_status(refresh=True)
    if status == "started" and _abandoned(job):
        status = job.get_status(refresh=True)
    error = None
    if status == "failed":
        result = job.latest_result()
        error = result.exc_string if result else "failed"
        if "AbandonedJobError" in error:
            error = _("运行这项任务的工作进程已停止(被终止或崩溃),可以重试。")
    meta = dict(job.get_meta(refresh=True))
    return JobHandle(
        id=job.id,
        status=str(status.value if hasattr(status, "value") else status),
        tenant_id=meta.pop("tenant_id", None),
        kind=meta.pop("kind", job.description or ""),
        result=job.return_value() if status == "finished" else None,
        error=error,
        meta=meta,
        enqueued_at=job.enqueued_at,
        ended_at=job.ended_at,
    )


def _abandoned(job: Job) -> bool:
    """A started job its worker no longer vouches for (killed, its machine lost: see
    :class:`zhibu.jobs.worker.AppWorker`) is failed now, by RQ's own clean-up of the
    queue's started jobs, rather than at the next maintenance of a surviving worker
    (every ten minutes). True when the job was among them."""
    registry = job.started_job_registry
    if job.id not in registry.get_expired_job_ids():
        return False
    registry.cleanup()
    return True


def _run_inline(path: str, args, kwargs, tenant: str | None, kind: str, user) -> JobHandle:
    handle = JobHandle(
        id=str(uuid.uuid4()),
        status="queued",
        tenant_id=tenant,
        kind=kind,
        enqueued_at=datetime.now(UTC),
        call=(path, tuple(args), dict(kwargs)),
        meta={"user_id": user},
    )
    jobs = current_app.extensions.setdefault(INLINE_JOBS_KEY, {})
    jobs[handle.id] = handle
    while len(jobs) > INLINE_KEEP:
        jobs.pop(next(iter(jobs)))
    return _execute_inline(handle, path, args, kwargs)


def _execute_inline(handle: JobHandle, path: str, args, kwargs) -> JobHandle:
    handle.status, handle.error, handle.result = "started", None, None
    handle.meta.pop("progress", None)
    try:
        with inline_meta(handle.meta):
            user = handle.meta.get("user_id")
            handle.result = run_job(path, handle.tenant_id, args, kwargs, user)
        handle.status = "finished"
    except Exception:
        from zhibu.db import db

        db.session.rollback()
        handle.status = "failed"
        handle.error = traceback.format_exc()
    handle.ended_at = datetime.now(UTC)
    return handle
