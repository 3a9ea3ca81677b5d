"""A running job tells how far it is: ``done`` of ``total`` and the current step.

On a worker the figures go into the RQ job's ``meta`` (``save_meta()``), where the API
reads them; inline they go into the job's handle. Outside a job the call does nothing,
so services can report progress without knowing who runs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from rq import get_current_job

_inline: ContextVar[dict[str, Any] | None] = ContextVar("zhibu_inline_job_meta", default=None)


def report_progress(done: int, total: int, step: str, detail: str | None = None) -> None:
    """Record the current job's progress (no-op outside a job).

    :param done: units of work finished so far.
    :param total: units of work in all (the same unit as ``done``).
    :param step: the stage the job is in, a key of :data:`zhibu.jobs.names.STAGE_NAMES`
        (which names it for users); an undeclared key is refused.
    :param detail: what the stage works on, in the user's words (a report's title).
    """
    from zhibu.jobs.names import STAGE_NAMES

    if step not in STAGE_NAMES:
        raise ValueError(f"job stage {step!r} has no name in zhibu.jobs.names.STAGE_NAMES")
    figures: dict[str, Any] = {"done": int(done), "total": int(total), "step": step}
    if detail:
        figures["detail"] = str(detail)
    meta = _inline.get()
    if meta is not None:
        meta["progress"] = figures
        return
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = figures
        job.save_meta()


def current_meta() -> dict[str, Any] | None:
    """The running job's meta dict (inline or on a worker); None outside a job."""
    meta = _inline.get()
    if meta is not None:
        return meta
    job = get_current_job()
    return job.meta if job is not None else None


def save_current_meta() -> None:
    """Persist changes made to :func:`current_meta` (needed on a worker only)."""
    job = get_current_job()
    if _inline.get() is None and job is not None:
        job.save_meta()


@contextmanager
def inline_meta(meta: dict[str, Any]) -> Iterator[None]:
    """While an inline job runs, its progress goes to ``meta``."""
    token = _inline.set(meta)
    try:
        yield
    finally:
        _inline.reset(token)
