"""Incidents (veto and downgrade events) and activity records: facts the rules read."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import insert, select

from zhibu import plugins
from zhibu.audit import record as audit
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations.sheets import subject_row
from zhibu.i18n import _
from zhibu.models import ActivityRecord, Incident, OrgUnit, Tenant
from zhibu.tenancy.scope import current_scope


def record_kinds() -> dict:
    """Every kind of activity record, the core's and the plugins' (``zhibu_record_kinds``),
    by key: :class:`zhibu.plugins.RecordKind`."""
    return plugins.registry().record_kinds


def incident_kinds(tenant: Tenant) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for key in tenant.scheme_keys:
        kinds.update(plugins.registry().scheme(key).incident_kinds)
    return kinds


def add_incident(
    tenant: Tenant,
    subject_kind: str,
    subject_id: uuid.UUID,
    kind: str,
    occurred_on: date,
    note: str = "",
) -> Incident:
    known = incident_kinds(tenant)
    if kind not in known:
        raise ServiceError(
            f"unknown incident kind {kind!r} (known: {', '.join(sorted(known))})", field="kind"
        )
    subject_row(tenant.id, subject_kind, subject_id)
    incident = Incident(
        tenant_id=tenant.id,
        subject_kind=subject_kind,
        subject_id=subject_id,
        kind=kind,
        occurred_on=occurred_on,
        note=note,
        user_id=current_scope().user_id,
    )
    db.session.add(incident)
    db.session.commit()
    return incident


def add_record(
    tenant: Tenant,
    org_id: uuid.UUID,
    kind: str,
    held_on: date,
    *,
    attendees: list[uuid.UUID] = (),
    member_id: uuid.UUID | None = None,
    month: str | None = None,
    hours: float | None = None,
    topic: str = "",
) -> ActivityRecord:
    _check_record(kind, member_id, month, hours, attendees)
    subject_row(tenant.id, "org", org_id)
    record = ActivityRecord(
        tenant_id=tenant.id,
        org_id=org_id,
        kind=kind,
        held_on=held_on,
        attendees=[str(a) for a in attendees],
        member_id=member_id,
        month=month,
        hours=hours,
        topic=topic,
    )
    db.session.add(record)
    db.session.commit()
    return record


NEEDED = {  # what a record kind may need, and the name of each as users read it
    "member": ("member_id", "党员"),
    "month": ("month", "月份"),
    "hours": ("hours", "学时"),
    "attendees": ("attendees", "参加人员"),
}


def check_kind(kind: str):
    """The :class:`~zhibu.plugins.RecordKind` of ``kind``; an unknown one is refused,
    naming the known ones."""
    known = record_kinds()
    if kind not in known:
        raise ServiceError(
            _(
                "未知的活动记录类型 %(kind)s(可选:%(known)s)",
                kind=repr(kind),
                known=", ".join(known),
            ),
            field="kind",
        )
    return known[kind]


def _check_record(kind: str, member_id, month, hours, attendees=()) -> None:
    """The record's kind is known and the record gives what its kind needs."""
    record_kind = check_kind(kind)
    given = {"member": member_id is not None, "month": bool(month), "hours": hours is not None}
    given["attendees"] = bool(attendees)
    missing = [need for need in record_kind.needs if not given[need]]
    if missing:
        raise ServiceError(
            _(
                "%(kind)s记录须填写:%(fields)s",
                kind=record_kind.title,
                fields="、".join(_(NEEDED[need][1]) for need in missing),
            ),
            field=NEEDED[missing[0]][0],
        )


RECORD_FIELDS = ("org_id", "kind", "held_on", "attendees", "member_id", "month", "hours", "topic")


def add_records(tenant: Tenant, rows: list[dict]) -> int:
    """Add many records at once (a year of a company's meetings and dues): every row is
    checked first, each problem naming its row (``record 12: …``), and nothing is written
    if one is refused; then one bulk insert and one audit entry. Rows take the keyword
    arguments of :func:`add_record` (``org_id``, ``kind``, ``held_on`` …)."""
    units = set(db.session.scalars(select(OrgUnit.id).where(OrgUnit.tenant_id == tenant.id)))
    problems = []
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - set(RECORD_FIELDS))
        try:
            if unknown:
                raise ServiceError(f"unknown field(s) {', '.join(unknown)}")
            _check_record(
                row.get("kind"),
                row.get("member_id"),
                row.get("month"),
                row.get("hours"),
                row.get("attendees"),
            )
            if row.get("org_id") not in units:
                raise ServiceError(f"no org {row.get('org_id')} in this tenant")
            if not isinstance(row.get("held_on"), date):
                raise ServiceError("held_on: a date is required")
        except ServiceError as exc:
            problems.append(f"record {number}: {exc.message}")
    if problems:
        raise ServiceError(problems[0], errors={"records": problems})
    values = [
        {
            "tenant_id": tenant.id,
            "id": uuid.uuid4(),
            "org_id": row["org_id"],
            "kind": row["kind"],
            "held_on": row["held_on"],
            "attendees": [str(a) for a in row.get("attendees") or ()],
            "member_id": row.get("member_id"),
            "month": row.get("month"),
            "hours": row.get("hours"),
            "topic": row.get("topic", ""),
        }
        for row in rows
    ]
    if values:
        db.session.execute(insert(ActivityRecord), values)
    audit(
        db.session,
        action="add_records",
        entity="activity_records",
        tenant_id=tenant.id,
        after={"records": len(values)},
    )
    db.session.commit()
    return len(values)
