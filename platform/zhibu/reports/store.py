"""Generate every report of a cycle and keep the files: the job behind "generate the
report set", and the list and downloads of what it stored.

The files live in the ``report_files`` table (the web app and the workers share the
database and nothing else); a new run replaces the cycle's files in one transaction, so
readers see the old set or the new one, never half of each.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select

from zhibu import audit
from zhibu.db import db
from zhibu.errors import NotFound
from zhibu.evaluations import compute
from zhibu.i18n import _
from zhibu.models import Cycle, ReportFile
from zhibu.reports import service
from zhibu.reports.html import render_html
from zhibu.reports.xlsx import render_xlsx
from zhibu.tenancy.scope import current_scope

Progress = Callable[..., None]  # (done, total, step[, detail])
LISTED = (
    ReportFile.id,
    ReportFile.key,
    ReportFile.fmt,
    ReportFile.title,
    ReportFile.personal,
    ReportFile.size,
    ReportFile.result_set_id,
    ReportFile.created_at,
)


def _quiet(done: int, total: int, step: str, detail: str | None = None) -> None:
    pass


def generate_all(
    tenant_id: uuid.UUID,
    cycle_id: uuid.UUID,
    progress: Progress | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """Build every report of the cycle as .xlsx and HTML and store them, replacing the
    cycle's earlier set. Runs in the caller's scope (a job's: its tenant).

    :param progress: called as ``progress(done, total, step)`` before each report is
        built and at the end (``done == total``).
    :return: what was stored: id, key, fmt, title and size of each file.
    """
    progress = progress or _quiet
    cycle = _locked(tenant_id, cycle_id)
    builders = sorted(service.builders_for(cycle).values(), key=lambda b: b.key)
    total = len(builders) + 2
    progress(0, total, "loading results")
    current = compute.current_set(cycle)
    data = service.report_data(cycle, today, result_set=current)
    files = []
    for done, found in enumerate(builders, start=1):
        progress(done, total, "building report", str(found.title))
        tables = found.build(data)
        personal = found.personal or service.names_a_member(tables, data)
        name = f"{found.title}-{cycle.label}"
        for fmt, content in (
            ("xlsx", render_xlsx(tables)),
            ("html", render_html(tables, name).encode("utf-8")),
        ):
            files.append(_file(cycle, found, fmt, content, current, personal))
    progress(total - 1, total, "storing files")
    _replace(cycle, files)
    progress(total, total, "done")
    return [{k: f[k] for k in ("id", "key", "fmt", "title", "size")} for f in files]


def _locked(tenant_id: uuid.UUID, cycle_id: uuid.UUID) -> Cycle:
    """The cycle, its row locked until the new set is stored (``FOR UPDATE`` on
    PostgreSQL): a second run on the cycle waits instead of colliding on the files'
    unique key."""
    cycle = db.session.get(Cycle, (tenant_id, cycle_id), with_for_update=True)
    if cycle is None:
        raise NotFound(_("没有找到这个考评周期。"))
    return cycle


def _replace(cycle: Cycle, files: list[dict[str, Any]]) -> None:
    """Swap the cycle's stored files for ``files`` in one transaction (bulk statements:
    the audit log gets one summary, not the bytes)."""
    db.session.execute(
        delete(ReportFile).where(
            ReportFile.tenant_id == cycle.tenant_id, ReportFile.cycle_id == cycle.id
        )
    )
    db.session.execute(insert(ReportFile), files)
    audit.record(
        db.session,
        action="generate",
        entity="report_files",
        entity_id=str(cycle.id),
        tenant_id=cycle.tenant_id,
        after={"files": [f"{f['key']}.{f['fmt']}" for f in files]},
    )
    db.session.commit()
    for f in files:
        f["id"] = str(f["id"])


def _file(cycle: Cycle, found, fmt: str, content: bytes, current, personal: bool) -> dict[str, Any]:
    return {
        "tenant_id": cycle.tenant_id,
        "id": uuid.uuid4(),
        "cycle_id": cycle.id,
        "key": found.key,
        "fmt": fmt,
        "title": found.title,
        "personal": personal,  # the builder says so, or a member's name is in it
        "size": len(content),
        "content": content,
        "result_set_id": current.id if current else None,
        "user_id": current_scope().user_id,
    }


def stored(cycle: Cycle, personal: bool = True, results: bool = True) -> list[Any]:
    """The cycle's stored files (without their content), by key and format; without
    ``personal``, those with members' personal data are left out (:func:`is_personal`);
    without ``results``, those showing results (:func:`shows_results`)."""
    query = select(*LISTED).where(
        ReportFile.tenant_id == cycle.tenant_id, ReportFile.cycle_id == cycle.id
    )
    if not personal:
        query = query.where(
            ReportFile.personal.is_(False), ReportFile.key.not_in(_personal_keys(cycle))
        )
    if not results:
        query = query.where(ReportFile.key.in_(_keys_without_results(cycle)))
    return db.session.execute(query.order_by(ReportFile.key, ReportFile.fmt)).all()


def _personal_keys(cycle: Cycle) -> list[str]:
    return [key for key, b in service.builders_for(cycle).items() if b.personal]


def _keys_without_results(cycle: Cycle) -> list[str]:
    return [key for key, b in service.builders_for(cycle).items() if not b.results]


def shows_results(cycle: Cycle, found) -> bool:
    """A stored file shows results unless its builder says it shows none (a file whose
    builder is gone counts as showing them)."""
    return found.key not in _keys_without_results(cycle)


def is_personal(cycle: Cycle, found) -> bool:
    """A stored file shows personal data if it was found to when stored, or its builder
    says so now (a file stored before its builder was marked)."""
    return bool(found.personal) or found.key in _personal_keys(cycle)


def stored_file(cycle: Cycle, file_id: uuid.UUID) -> ReportFile:
    found = db.session.scalar(
        select(ReportFile).where(
            ReportFile.tenant_id == cycle.tenant_id,
            ReportFile.cycle_id == cycle.id,
            ReportFile.id == file_id,
        )
    )
    if found is None:
        raise NotFound(_("这个考评周期中没有这份已生成的报表文件。"), field="file_id")
    return found


def filename(cycle: Cycle, title: str, fmt: str) -> str:
    return f"{title}-{cycle.label}.{fmt}"
