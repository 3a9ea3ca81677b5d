"""Read-only queries the pages need that no service offers yet. Each runs inside the
request's tenant scope (set by :func:`zhibu.web.guard.page_access`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, select

from zhibu.accounts.access import TenantAccess
from zhibu.db import db
from zhibu.evaluations.sheets import items_of
from zhibu.members.service import visible_members
from zhibu.models import (
    Cycle,
    EvaluationResult,
    FollowUp,
    Incident,
    Member,
    OrgUnit,
    RectificationItem,
    ResultSet,
    RoleAssignment,
    ScoreItem,
    ScoreSheet,
    User,
)
from zhibu.orgs.service import in_tree_order, subtree_query


def cycles_of(tenant_id: uuid.UUID) -> list[Cycle]:
    """The tenant's cycles, newest first."""
    return list(
        db.session.scalars(
            select(Cycle)
            .where(Cycle.tenant_id == tenant_id)
            .order_by(Cycle.starts_on.desc(), Cycle.created_at.desc(), Cycle.label.desc())
        )
    )


def current_cycle(tenant_id: uuid.UUID) -> Cycle | None:
    """The cycle people work on: the newest one not yet final, else the newest."""
    cycles = cycles_of(tenant_id)
    return next((c for c in cycles if c.phase != "final"), cycles[0] if cycles else None)


def units_in_reach(access: TenantAccess, kinds: set[str] | None = None) -> list[OrgUnit]:
    """Active units the caller reaches (a secretary's subtrees; else the whole tree), in
    tree order (siblings by code, as the users' pages show them; a path is made of ids)."""
    if access.whole_tree:
        query = select(OrgUnit).where(OrgUnit.tenant_id == access.tenant_id)
    elif access.subtrees:
        query = subtree_query(access.tenant_id, access.subtrees)
    else:
        return []
    units = in_tree_order(list(db.session.scalars(query.where(OrgUnit.status == "active"))))
    return units if kinds is None else [u for u in units if u.kind in kinds]


def rated(units: list[OrgUnit]) -> list[OrgUnit]:
    """Of ``units``, those a cycle rates: neither retired (离退休) nor exempt (暂不列入星级
    管理). Those two are listed with their results, not rated, so nobody is asked to enter
    scores for them (the rule ``evaluations.entered`` counts by, on units already read)."""
    return [u for u in units if not u.retired and not u.exempt]


def in_unit_order(members: Select) -> Select:
    """``members`` (a ``select(Member)``) by their units' codes, then archive codes: one
    unit's members together, units in a stable order (ids are random)."""
    unit = and_(OrgUnit.tenant_id == Member.tenant_id, OrgUnit.id == Member.org_id)
    return members.join(OrgUnit, unit).order_by(OrgUnit.code, Member.archive_code)


def org_of(member: Member) -> OrgUnit:
    return db.session.get(OrgUnit, (member.tenant_id, member.org_id))


def members_in_reach(
    access: TenantAccess,
    org_ids: list[uuid.UUID] | None = None,
    *,
    name: str = "",
    limit: int | None = None,
) -> list:
    """Active members the caller reaches, by unit; of ``org_ids`` only, whose name or
    archive code holds ``name``, the first ``limit`` only, if given."""
    query = visible_members(access).where(Member.active)
    if org_ids is not None:
        query = query.where(Member.org_id.in_(org_ids))
    if name:
        query = query.where(
            Member.name.contains(name, autoescape=True)
            | Member.archive_code.contains(name, autoescape=True)
        )
    query = in_unit_order(query)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def units_holding_members(access: TenantAccess) -> set[uuid.UUID]:
    """The units with active members of their own (a month sheet's branches), one
    grouped query."""
    query = select(Member.org_id).where(Member.tenant_id == access.tenant_id, Member.active)
    return set(db.session.scalars(query.distinct()))


def find_sheet(cycle: Cycle, subject_id: uuid.UUID, source: str, rater: str, period: str = ""):
    """One rater's sheet (and its items) of a subject and source, or (None, [])."""
    sheet = db.session.scalar(
        select(ScoreSheet).where(
            ScoreSheet.tenant_id == cycle.tenant_id,
            ScoreSheet.cycle_id == cycle.id,
            ScoreSheet.subject_id == subject_id,
            ScoreSheet.source == source,
            ScoreSheet.rater == rater,
            ScoreSheet.period == period,
        )
    )
    return sheet, (items_of(sheet) if sheet else [])


def raters_of(cycle: Cycle, subject_id: uuid.UUID, source: str, period: str = "") -> list:
    """Every rater's sheet of a subject and source: (id, rater, score) rows by rater (a
    subject has a handful: its assessment team, its committee)."""
    return db.session.execute(
        select(ScoreSheet.id, ScoreSheet.rater, ScoreSheet.score)
        .where(
            ScoreSheet.tenant_id == cycle.tenant_id,
            ScoreSheet.cycle_id == cycle.id,
            ScoreSheet.subject_id == subject_id,
            ScoreSheet.source == source,
            ScoreSheet.period == period,
        )
        .order_by(ScoreSheet.rater)
    ).all()


def sheets_by_subject(
    cycle: Cycle, source: str, rater: str, period: str = "", subjects: list | None = None
) -> dict:
    """subject id → that rater's sheet of the source (and sub-period), in one query; of
    ``subjects`` only, if given (a page of a table)."""
    query = select(ScoreSheet).where(
        ScoreSheet.tenant_id == cycle.tenant_id,
        ScoreSheet.cycle_id == cycle.id,
        ScoreSheet.source == source,
        ScoreSheet.rater == rater,
        ScoreSheet.period == period,
    )
    if subjects is not None:
        query = query.where(ScoreSheet.subject_id.in_(subjects))
    rows = db.session.scalars(query)
    return {s.subject_id: s for s in rows}


def result_of(tenant_id: uuid.UUID, result_id: uuid.UUID) -> EvaluationResult | None:
    return db.session.get(EvaluationResult, (tenant_id, result_id))


def current_results_of(access: TenantAccess, subject_ids: list[uuid.UUID]) -> list[tuple]:
    """(cycle, result) of the subjects in every cycle's current result set, newest first;
    only cycles whose results the caller may see yet (:meth:`TenantAccess.sees_results`)."""
    if not subject_ids:
        return []
    tenant_id = access.tenant_id
    rows = db.session.execute(
        select(Cycle, EvaluationResult)
        .join(
            ResultSet,
            (ResultSet.tenant_id == EvaluationResult.tenant_id)
            & (ResultSet.id == EvaluationResult.result_set_id),
        )
        .join(
            Cycle,
            (Cycle.tenant_id == EvaluationResult.tenant_id)
            & (Cycle.id == EvaluationResult.cycle_id),
        )
        .where(
            EvaluationResult.tenant_id == tenant_id,
            EvaluationResult.subject_id.in_(subject_ids),
            ResultSet.current,
        )
        .order_by(Cycle.starts_on.desc(), Cycle.label.desc())
    )
    return [(cycle, result) for cycle, result in rows if access.sees_results(cycle.phase)]


# kinds of unit that lead other party organizations: a secretary of one is not a 支部's
LEADING_KINDS = ("committee", "general_branch", "township")


def leads_other_units(access: TenantAccess) -> bool:
    """A branch secretary's units include one that leads other party organizations (a
    township's 组织委员, a 党总支's secretary): their page is 本单位, not 本支部 (党小组
    under a 支部 do not count). One statement."""
    if not access.subtrees:
        return False
    found = select(OrgUnit.id).where(
        OrgUnit.tenant_id == access.tenant_id,
        OrgUnit.path.in_(access.subtrees),
        OrgUnit.kind.in_(LEADING_KINDS),
    )
    return bool(db.session.scalar(select(found.limit(1).exists())))


def follow_ups_by_item(tenant_id: uuid.UUID, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    """The 回头看 of these rectification items (a ledger page's), oldest first, by item:
    one statement."""
    found: dict[uuid.UUID, list] = {}
    if not item_ids:
        return found
    for check in db.session.scalars(
        select(FollowUp)
        .where(FollowUp.tenant_id == tenant_id, FollowUp.item_id.in_(item_ids))
        .order_by(FollowUp.checked_on)
    ):
        found.setdefault(check.item_id, []).append(check)
    return found


def sheets_filled_by(cycle: Cycle, rater: str, subject_ids) -> set[tuple[uuid.UUID, str]]:
    """(subject, source) of the cycle's paper sheets ``rater`` filled, among these subjects
    (a list page's; one statement)."""
    ids = list(subject_ids)
    if not ids:
        return set()
    rows = db.session.execute(
        select(ScoreSheet.subject_id, ScoreSheet.source)
        .where(
            ScoreSheet.tenant_id == cycle.tenant_id,
            ScoreSheet.cycle_id == cycle.id,
            ScoreSheet.rater == rater,
            ScoreSheet.subject_id.in_(ids),
        )
        .distinct()
    )
    return {(subject, source) for subject, source in rows}


def subject_names(tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of the units and members with these ids (what a results table shows)."""
    if not ids:
        return {}
    names = dict(
        db.session.execute(
            select(OrgUnit.id, OrgUnit.name).where(
                OrgUnit.tenant_id == tenant_id, OrgUnit.id.in_(ids)
            )
        ).all()
    )
    names |= dict(
        db.session.execute(
            select(Member.id, Member.name).where(Member.tenant_id == tenant_id, Member.id.in_(ids))
        ).all()
    )
    return names


def _ledger_query(access: TenantAccess, overdue_on: date | None, signed_off: bool | None = None):
    query = select(RectificationItem).where(RectificationItem.tenant_id == access.tenant_id)
    if signed_off is not None:  # 已销号, or not yet (未销号: open or rectified)
        done = RectificationItem.status == "signed_off"
        query = query.where(done if signed_off else ~done)
    if overdue_on is not None:
        query = query.where(
            RectificationItem.status != "signed_off", RectificationItem.deadline < overdue_on
        )
    if not access.whole_tree:
        units = subtree_query(access.tenant_id, access.subtrees or ("-",)).with_only_columns(
            OrgUnit.id
        )
        query = query.where(RectificationItem.org_id.in_(units))
    return query


def ledger_items(access: TenantAccess, *, overdue_on: date | None = None) -> list:
    """Rectification items within the caller's part of the tree, by deadline."""
    query = _ledger_query(access, overdue_on)
    return list(db.session.scalars(query.order_by(RectificationItem.deadline)))


def ledger_page(
    access: TenantAccess,
    page: int,
    size: int,
    *,
    overdue_on: date | None = None,
    signed_off: bool | None = None,
) -> tuple[list, int]:
    """One page of :func:`ledger_items` (by deadline) and how many there are in all;
    ``signed_off`` True or False keeps only the items signed off (已销号) or not (未销号)."""
    query = _ledger_query(access, overdue_on, signed_off)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(
        query.order_by(RectificationItem.deadline, RectificationItem.id)
        .offset((page - 1) * size)
        .limit(size)
    )
    return list(rows), total


def ledger_count(access: TenantAccess, *, overdue_on: date | None = None) -> int:
    """How many :func:`ledger_items` there are, counted by the database."""
    query = _ledger_query(access, overdue_on).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def overdue_counts(tenant_ids: list[uuid.UUID], today: date) -> dict[uuid.UUID, int]:
    rows = db.session.execute(
        select(RectificationItem.tenant_id, func.count())
        .where(
            RectificationItem.tenant_id.in_(tenant_ids),
            RectificationItem.status != "signed_off",
            RectificationItem.deadline < today,
        )
        .group_by(RectificationItem.tenant_id)
    )
    return {tenant: count for tenant, count in rows}


def results_of_kind(cycles: list[Cycle], kind: str) -> list[dict[str, Any]]:
    """Current results of units of ``kind`` (e.g. townships) in these cycles, best first
    within each scheme (totals of different schemes are not comparable)."""
    found = []
    for cycle in cycles:
        rows = db.session.execute(
            select(EvaluationResult, OrgUnit.name)
            .join(ResultSet, ResultSet.id == EvaluationResult.result_set_id)
            .join(
                OrgUnit,
                (OrgUnit.tenant_id == EvaluationResult.tenant_id)
                & (OrgUnit.id == EvaluationResult.subject_id),
            )
            .where(
                EvaluationResult.tenant_id == cycle.tenant_id,
                EvaluationResult.cycle_id == cycle.id,
                EvaluationResult.kind == kind,
                ResultSet.current,
            )
        )
        found += [{"cycle": cycle, "result": r, "name": name} for r, name in rows]
    return sorted(found, key=lambda x: (x["cycle"].scheme_key, -(x["result"].total or 0)))


def deductions_of(cycle: Cycle, subject_ids: list[uuid.UUID]) -> list[tuple]:
    """(deduction, sheet) of the subjects' sheets in the cycle, and whether an item was
    already raised for it: what a rectification can be raised from."""
    if not subject_ids:
        return []
    rows = db.session.execute(
        select(ScoreItem, ScoreSheet)
        .join(
            ScoreSheet,
            (ScoreSheet.tenant_id == ScoreItem.tenant_id) & (ScoreSheet.id == ScoreItem.sheet_id),
        )
        .where(
            ScoreItem.tenant_id == cycle.tenant_id,
            ScoreItem.kind == "deduction",
            ScoreSheet.cycle_id == cycle.id,
            ScoreSheet.subject_id.in_(subject_ids),
        )
        .order_by(ScoreSheet.source, ScoreSheet.period, ScoreItem.indicator)
    ).all()
    refs = {f"deduction:{item.id}" for item, _sheet in rows}
    raised = set(
        db.session.scalars(
            select(RectificationItem.origin_ref).where(
                RectificationItem.tenant_id == cycle.tenant_id,
                RectificationItem.origin_ref.in_(refs),
            )
        )
    )
    return [(item, sheet, f"deduction:{item.id}" in raised) for item, sheet in rows]


def reopen_choices(cycle: Cycle, kinds: set[str] | None = None) -> dict[str, str]:
    """Subject id (text) → name, for choosing a subject to reopen: the tenant's units (of
    ``kinds``, the kinds the scheme rates, and those with members of their own: their
    month sheets), and the members and units already reopened."""
    rows = db.session.execute(
        select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.code, OrgUnit.name, OrgUnit.kind).where(
            OrgUnit.tenant_id == cycle.tenant_id
        )
    ).all()
    opened_ids = set((cycle.reopened or {}).get("subjects", {}))
    holding = set()
    if kinds is not None:
        holding = set(
            db.session.scalars(
                select(Member.org_id).where(Member.tenant_id == cycle.tenant_id).distinct()
            )
        )
    names = {
        str(u.id): u.name
        for u in in_tree_order(rows)
        if kinds is None or u.kind in kinds or u.id in holding or str(u.id) in opened_ids
    }
    opened = [uuid.UUID(s) for s in (cycle.reopened or {}).get("subjects", {}) if s not in names]
    if opened:
        names |= {
            str(i): n
            for i, n in db.session.execute(
                select(Member.id, Member.name).where(
                    Member.tenant_id == cycle.tenant_id, Member.id.in_(opened)
                )
            )
        }
    return names


ACTORS = {  # who acted when it was no user: the commands and the system, as users call them
    "system": _l("系统"),
    "cli": _l("命令行"),
    "zhibu demo": _l("示范数据"),
    "zhibu members": _l("命令行导入"),
}


def person_names(tenant_id: uuid.UUID, usernames) -> dict[str, str]:
    """How a page names people recorded by login name: the user's display name, else the
    name of the member whose login it is in this tenant; the login name only when neither
    exists; an actor that is no user (a command) as :data:`ACTORS` names it. Two queries
    whatever the count."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(User.id, User.username, User.display_name).where(User.username.in_(wanted))
    ).all()
    names = {row.username: row.display_name for row in rows if row.display_name}
    unnamed = {row.id: row.username for row in rows if not row.display_name}
    if unnamed:
        found = db.session.execute(
            select(RoleAssignment.user_id, Member.name)
            .join(
                Member,
                (Member.tenant_id == RoleAssignment.tenant_id)
                & (Member.id == RoleAssignment.member_id),
            )
            .where(
                RoleAssignment.tenant_id == tenant_id,
                RoleAssignment.user_id.in_(unnamed),
            )
        )
        for user_id, name in found:
            names[unnamed[user_id]] = name
    return {u: names.get(u) or str(ACTORS.get(u, u)) for u in wanted}


@dataclass(frozen=True)
class IncidentFilter:
    """The 事件登记 list's filter; empty fields filter nothing. ``subject_kind`` is
    ``org`` or ``member``; ``since`` and ``until`` bound the date (both included)."""

    kind: str = ""
    subject_kind: str = ""
    since: date | None = None
    until: date | None = None

    def args(self) -> dict[str, str]:
        """The filter as query arguments (for the pager's links)."""
        values = {
            "kind": self.kind,
            "subject_kind": self.subject_kind,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in values.items() if value}


def incident_page(
    access: TenantAccess, wanted: IncidentFilter, page: int, size: int
) -> tuple[list[Incident], int]:
    """One page of the tenant's incidents (newest first) and how many match in all: two
    statements whatever the count. Without ``personal_data`` (overseers) units' only."""
    query = select(Incident).where(Incident.tenant_id == access.tenant_id)
    if not access.personal_data:
        query = query.where(Incident.subject_kind == "org")
    if wanted.subject_kind:
        query = query.where(Incident.subject_kind == wanted.subject_kind)
    if wanted.kind:
        query = query.where(Incident.kind == wanted.kind)
    if wanted.since:
        query = query.where(Incident.occurred_on >= wanted.since)
    if wanted.until:
        query = query.where(Incident.occurred_on <= wanted.until)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if (page - 1) * size >= total:
        return [], total
    rows = db.session.scalars(
        query.order_by(Incident.occurred_on.desc(), Incident.created_at.desc(), Incident.id)
        .offset((page - 1) * size)
        .limit(size)
    )
    return list(rows), total


def subject_choices(
    access: TenantAccess, q: str, limit: int
) -> tuple[list[OrgUnit], list[Member], bool]:
    """What a subject search offers: at most ``limit`` active units whose name or code
    contains ``q`` (the top of the tree when ``q`` is empty) and at most ``limit`` members
    on the roll whose name or archive code contains it (none when ``q`` is empty), within
    the caller's reach; and whether there were more. Two statements."""
    units_query = (
        select(OrgUnit).where(OrgUnit.tenant_id == access.tenant_id)
        if access.whole_tree
        else subtree_query(access.tenant_id, access.subtrees or ("-",))
    ).where(OrgUnit.status == "active")
    if q:
        units_query = units_query.where(
            OrgUnit.name.contains(q, autoescape=True) | OrgUnit.code.contains(q, autoescape=True)
        )
    units = list(
        db.session.scalars(units_query.order_by(OrgUnit.depth, OrgUnit.code).limit(limit + 1))
    )
    members: list[Member] = []
    if q:
        matches = Member.name.contains(q, autoescape=True) | Member.archive_code.contains(
            q, autoescape=True
        )
        members = list(
            db.session.scalars(
                visible_members(access)
                .where(Member.active, matches)
                .order_by(Member.name, Member.archive_code)
                .limit(limit + 1)
            )
        )
    more = len(units) > limit or len(members) > limit
    return units[:limit], members[:limit], more
