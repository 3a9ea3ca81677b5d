"""The platform's jobs. Each takes ids and plain values, never ORM objects, runs inside
the app context and its tenant's scope (see :func:`zhibu.jobs.queue.run_job`), reports
progress, writes its results to the database and returns ids and counts. All are safe to
run twice: recompute is idempotent by input hash, an import re-applied changes nothing,
reports overwrite their files, reminders are unique per thing and day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import current_app

from zhibu.db import db
from zhibu.jobs.progress import report_progress
from zhibu.models import Tenant, User
from zhibu.tenancy import current_scope


def recompute_cycle(cycle_id: str) -> dict[str, Any]:
    """Recompute one cycle of the job's tenant; the new result set is written in one
    transaction and switched in at its end, so a killed job leaves the old one whole.
    Inputs the engine refuses end the job with ``refused`` (their count) and ``problems``
    (each in Chinese, ``text``, with its English apart, ``en``), shown to each reader in
    their language; the old results stay."""
    from zhibu.evaluations import compute
    from zhibu.evaluations.cycles import get_cycle

    cycle = get_cycle(_tenant_id(), uuid.UUID(cycle_id))
    try:
        result_set = compute.recompute(cycle, progress=report_progress)
    except compute.InputRefused as exc:  # the inputs' fault: a retry would not help
        db.session.rollback()
        return {"refused": len(exc.problems), "problems": compute.kept(exc.problems)}
    return {"result_set_id": str(result_set.id), "subjects": result_set.subjects}


def generate_reports(cycle_id: str) -> dict[str, Any]:
    """Build and store every report of one cycle (.xlsx and HTML), replacing the cycle's
    earlier set; the files are listed at ``GET …/reports/files``."""
    from zhibu.reports.store import generate_all

    files = generate_all(_tenant_id(), uuid.UUID(cycle_id), progress=report_progress)
    return {"files": len(files), "bytes": sum(f["size"] for f in files)}


def import_roster(upload_id: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Commit a roster workbook stashed by :func:`zhibu.jobs.uploads.stash`, as the user
    who uploaded it, in the tenant it was uploaded to (the upload is found only there and
    only for them; their reach limits what it may touch). All or nothing."""
    from zhibu.accounts.access import access_for
    from zhibu.jobs.uploads import take
    from zhibu.members import importer

    tenant_id = _tenant_id()
    user_id = current_scope().user_id
    report_progress(0, 2, "reading the workbook")
    upload = take(upload_id, tenant_id=tenant_id, user_id=user_id)
    user = db.session.get(User, user_id) if user_id else None
    access = access_for(user, tenant_id) if user else None
    if access is None:
        raise PermissionError("the user who started the import no longer has access")
    tenant = db.session.get(Tenant, tenant_id)
    report_progress(1, 2, "importing members")
    try:
        report = importer.commit(
            tenant, access, upload.data, importer.Options.from_dict(options), filename=upload.name
        )
    except importer.ImportRejected as exc:  # the file's fault: a retry would not help
        db.session.rollback()
        report = exc.report
    report_progress(2, 2, "done")
    return _summary(report.as_dict())


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    """A job's result keeps the counts and the problems, not every row."""
    return {k: v for k, v in report.items() if k not in ("rows", "absent", "headers")}


def send_reminders(today: str | None = None) -> dict[str, int]:
    """The daily job: reminders for phase deadlines and rectification items due within
    ``ZHIBU_REMINDER_DAYS`` days or overdue, for every active tenant (or the job's one)."""
    from zhibu.evaluations import reminders

    day = date.fromisoformat(today) if today else date.today()
    window = current_app.config["ZHIBU_REMINDER_DAYS"]
    scope = current_scope()
    if not scope.all_tenants:
        tenant = db.session.get(Tenant, _tenant_id())
        return {tenant.code: reminders.remind_tenant(tenant.id, day, window)}
    return reminders.remind_all(day, window)


def _tenant_id() -> uuid.UUID:
    scope = current_scope()
    if scope.all_tenants or len(scope.write) != 1:
        raise ValueError("this job works for one tenant: enqueue it with tenant_id")
    return next(iter(scope.write))
