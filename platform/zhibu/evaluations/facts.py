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
from zhibu.models import ActivityRecord, Incident, OrgUnit, Tenant
from zhibu.tenancy.scope import current_scope

RECORD_KINDS = {
    "general_meeting": "党员大会",
    "committee_meeting": "支委会",
    "group_meeting": "党小组会",
    "party_lecture": "党课",
    "theme_party_day": "主题党日",
    "org_life_meeting": "组织生活会",
    "member_appraisal": "民主评议党员",
    "training": "培训",
    "dues": "党费",
    "election": "换届选举",  # member: the secretary elected; read from before the cycle too
}


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
    _check_record(kind, member_id, month, hours)
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


def _check_record(kind: str, member_id, month, hours) -> None:
    if kind not in RECORD_KINDS:
        raise ServiceError(
            f"unknown record kind {kind!r} (known: {', '.join(RECORD_KINDS)})", field="kind"
        )
    if kind == "dues" and (member_id is None or not month):
        raise ServiceError("a dues record names the member and the month", field="member_id")
    if kind == "training" and hours is None:
        raise ServiceError("a training record gives its hours", field="hours")


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
            _check_record(row.get("kind"), row.get("member_id"), row.get("month"), row.get("hours"))
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
