"""Incidents (veto and downgrade events) and activity records: facts the rules read.

Each write takes the caller's access and checks every id it names (unit, member,
attendees) against the tenant and the caller's reach (:mod:`zhibu.accounts.policy`), so
the pages, the API and the commands refuse alike."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import insert, select

from zhibu import plugins
from zhibu.accounts import policy
from zhibu.accounts.access import TenantAccess
from zhibu.audit import record as audit
from zhibu.db import db
from zhibu.errors import Invalid, NotFound, ServiceError
from zhibu.evaluations import phases, stale
from zhibu.i18n import _
from zhibu.models import ActivityRecord, Incident, Member, OrgUnit, Tenant
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
    access: TenantAccess,
    subject_kind: str,
    subject_id: uuid.UUID,
    kind: str,
    occurred_on: date,
    note: str = "",
) -> Incident:
    """Record a veto or downgrade event of a unit or member; recording them is the
    tenant administrators' (``admin``), within their reach."""
    tenant = db.session.get(Tenant, access.tenant_id)
    known = incident_kinds(tenant)
    if kind not in known:
        raise ServiceError(
            _(
                "未知的事件类型“%(kind)s”(可选:%(known)s)。",
                kind=kind,
                known="、".join(str(title) for title in known.values()),
            ),
            field="kind",
        )
    policy.subject_in_reach(access, "admin", subject_kind, subject_id)
    fed = phases.check_fact(tenant.id, "incidents", occurred_on, [subject_id])
    for cycle in fed:
        stale.mark(cycle, [subject_id])
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


def incident_subject(
    access: TenantAccess, subject: str, archive_code: str = ""
) -> tuple[str, uuid.UUID]:
    """The subject a form names for an incident: ``subject`` as ``org:<id>`` or
    ``member:<id>`` (chosen from a search), or a member's typed ``archive_code``; the unit or
    the member must be the tenant's and within the admin's reach, a member still on the
    roll (在册). Refusals name the field (对象 or 档案编码); nothing is written."""
    subject, archive_code = subject.strip(), archive_code.strip()
    chosen = _chosen_subject(access, subject) if subject else None
    if archive_code:
        member = db.session.scalar(
            select(Member).where(
                Member.tenant_id == access.tenant_id, Member.archive_code == archive_code
            )
        )
        if member is None:
            raise Invalid(
                _("档案编码:本单位没有档案编码为“%(code)s”的党员。", code=archive_code),
                field="archive_code",
            )
        _on_roll(member, "archive_code")
        if chosen is not None and chosen != ("member", member.id):
            raise Invalid(
                _(
                    "档案编码:“%(code)s”是%(name)s的档案编码,与所选的对象不一致;"
                    "请只选对象或只填档案编码。",
                    code=archive_code,
                    name=member.name,
                ),
                field="archive_code",
            )
        policy.member_in_reach(access, "admin", member.id, "archive_code")
        return "member", member.id
    if chosen is None:
        raise Invalid(_("对象:请选择发生事件的组织或党员,或填写党员的档案编码。"), field="subject")
    return chosen


def _chosen_subject(access: TenantAccess, subject: str) -> tuple[str, uuid.UUID]:
    kind, _sep, raw_id = subject.partition(":")
    try:
        subject_id = uuid.UUID(raw_id)
    except ValueError:
        subject_id = None
    if kind not in ("org", "member") or subject_id is None:
        raise Invalid(
            _("对象:“%(value)s”不是可选的组织或党员,请查找后重新选择。", value=subject),
            field="subject",
        )
    model = OrgUnit if kind == "org" else Member
    found = db.session.get(model, (access.tenant_id, subject_id))
    if found is None:
        what = _("组织") if kind == "org" else _("党员")
        raise NotFound(
            _("对象:本单位没有编号为 %(id)s 的%(what)s。", id=subject_id, what=what),
            field="subject",
        )
    if kind == "member":
        _on_roll(found, "subject")
    policy.subject_in_reach(access, "admin", kind, subject_id, "subject")
    return kind, subject_id


def _on_roll(member: Member, field: str) -> None:
    if not member.active:
        label = _("档案编码") if field == "archive_code" else _("对象")
        raise Invalid(
            _(
                "%(label)s:党员%(name)s(%(code)s)已不在册,不能登记事件。",
                label=label,
                name=member.name,
                code=member.archive_code,
            ),
            field=field,
        )


def add_record(
    access: TenantAccess,
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
    """Record a meeting, lecture, training or dues payment of a unit: the unit, the member
    and every attendee must be the tenant's and within the caller's reach (``registry``:
    a branch secretary records their own branch's)."""
    _check_record(kind, member_id, month, hours, attendees)
    policy.unit_in_reach(access, "registry", org_id)
    if member_id is not None:
        policy.member_in_reach(access, "registry", member_id)
    policy.members_in_reach(access, "registry", attendees, "attendees")
    touched = [org_id, member_id, *attendees]
    for cycle in phases.check_fact(access.tenant_id, "records", held_on, touched):
        stale.mark(cycle, touched)
    record = ActivityRecord(
        tenant_id=access.tenant_id,
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
                known="、".join(k.title for k in known.values()),
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


def add_records(access: TenantAccess, rows: list[dict]) -> int:
    """Add many records at once (a year of a company's meetings and dues): every row is
    checked first, each problem naming its row (``record 12: …``), and nothing is written
    if one is refused; then one bulk insert and one audit entry. Rows take the keyword
    arguments of :func:`add_record` (``org_id``, ``kind``, ``held_on`` …), and their units
    and members are checked as it checks them."""
    units, members = _tenant_tree(access)
    problems = []
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - set(RECORD_FIELDS))
        try:
            if unknown:
                raise ServiceError(_("不认识的字段:%(fields)s。", fields="、".join(unknown)))
            _check_record(
                row.get("kind"),
                row.get("member_id"),
                row.get("month"),
                row.get("hours"),
                row.get("attendees"),
            )
            if row.get("org_id") not in units:
                raise ServiceError(_("没有找到所填的组织,或它不在您管理的范围内。"))
            if not isinstance(row.get("held_on"), date):
                raise ServiceError(_("请填写开展日期(held_on)。"))
            _check_people(access, row, units, members)
        except ServiceError as exc:
            problems.append(
                _("第 %(number)s 条记录:%(problem)s", number=number, problem=exc.message)
            )
    if problems:
        raise ServiceError(problems[0], errors={"records": problems})
    _check_phases(access, rows)
    values = [
        {
            "tenant_id": access.tenant_id,
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
        tenant_id=access.tenant_id,
        after={"records": len(values)},
    )
    db.session.commit()
    return len(values)


def _check_phases(access: TenantAccess, rows: list[dict]) -> None:
    """Every cycle the rows feed still takes records (:mod:`zhibu.evaluations.phases`;
    409 naming the first row refused, nothing written); their subjects are marked out of
    date. The tenant's cycles are read (and share-locked) once for the whole batch."""
    cycles = phases.cycles_of_tenant(access.tenant_id)
    touched_by: dict = {}
    for number, row in enumerate(rows, start=1):
        touched = [row["org_id"], row.get("member_id"), *(row.get("attendees") or ())]
        touched = [_member_id(t, "attendees") if isinstance(t, str) else t for t in touched]
        for cycle in cycles:
            if not cycle.starts_on <= row["held_on"] <= cycle.ends_on:
                continue
            try:
                phases.check(cycle, "records", touched)
            except ServiceError as exc:
                exc.message = _("第 %(n)s 条记录:", n=number) + exc.message
                raise
            touched_by.setdefault(cycle.id, (cycle, set()))[1].update(touched)
    for cycle, touched in touched_by.values():
        stale.mark(cycle, touched)


def _tenant_tree(access: TenantAccess) -> tuple[dict, dict]:
    """The tenant's units (id → path) and members (id → unit id), in two queries."""
    units = select(OrgUnit.id, OrgUnit.path).where(OrgUnit.tenant_id == access.tenant_id)
    members = select(Member.id, Member.org_id).where(Member.tenant_id == access.tenant_id)
    return dict(db.session.execute(units).all()), dict(db.session.execute(members).all())


def _check_people(access: TenantAccess, row: dict, units: dict, members: dict) -> None:
    """The row's unit, member and attendees: the tenant's, within the caller's reach."""
    if not policy.reaches(access, "registry", units[row["org_id"]]):
        raise ServiceError(_("该组织不在您的管辖范围内。"), field="org_id")
    people = [row["member_id"]] if row.get("member_id") is not None else []
    for field, ids in (("member_id", people), ("attendees", row.get("attendees") or ())):
        for given in ids:
            member_id = _member_id(given, field)
            if member_id not in members:
                raise ServiceError(_("本单位没有编号为 %(id)s 的党员。", id=member_id), field=field)
            if not policy.reaches(access, "registry", units[members[member_id]]):
                raise ServiceError(_("该党员不在您的管辖范围内。"), field=field)


def _member_id(value, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise ServiceError(_("“%(value)s”不是党员编号。", value=value), field=field) from None
