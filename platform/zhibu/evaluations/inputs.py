"""Load everything a cycle's computation reads, in a handful of queries (never one per
subject), and turn it into the engine's plain data."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from zhibu import engine
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations.periods import parse_period
from zhibu.models import (
    ActivityRecord,
    Cycle,
    EvaluationResult,
    Incident,
    Member,
    OrgUnit,
    ResultSet,
    ScoreItem,
    ScoreSheet,
)

HISTORY_CYCLES = 3


@dataclass
class Loaded:
    """The engine's input and the way back from engine codes to rows."""

    cycle: engine.Cycle
    ids: dict[str, tuple[str, uuid.UUID]]  # subject code → (org|member, id)


def subject_kinds(definition: engine.Definition) -> set[str]:
    return {kind for track in definition.tracks for kind in track.subject_kinds}


def load(cycle: Cycle, definition: engine.Definition, settings: dict) -> Loaded:
    kinds = subject_kinds(definition)
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.tenant_id == cycle.tenant_id)).all()
    unit_code = {u.id: u.code for u in units}
    subjects, ids = [], {}
    for unit in units:
        if unit.kind in kinds and _existed(unit.status, unit.dissolved_on, cycle):
            subjects.append(
                engine.Subject(
                    unit.code,
                    unit.kind,
                    unit.name,
                    unit_code.get(unit.parent_id),
                    unit.retired,
                    unit.exempt,
                )
            )
            ids[unit.code] = ("org", unit.id)
    if "member" in kinds:
        _add_members(cycle, unit_code, subjects, ids)
    period = parse_period(cycle.period)
    return Loaded(
        engine.Cycle(
            period=cycle.period,
            start=cycle.starts_on.isoformat(),
            end=cycle.ends_on.isoformat(),
            subjects=tuple(subjects),
            scores=_scores(cycle, ids),
            incidents=_incidents(cycle, ids),
            records=_records(cycle, unit_code, ids),
            history=_history(cycle, period.previous(HISTORY_CYCLES), ids),
            previous=tuple(period.previous(HISTORY_CYCLES)),
            settings=settings,
        ),
        ids,
    )


def _existed(status: str, dissolved_on: date | None, cycle: Cycle) -> bool:
    return status == "active" or (dissolved_on is not None and dissolved_on >= cycle.ends_on)


def _add_members(cycle: Cycle, unit_code, subjects, ids) -> None:
    months = parse_period(cycle.period).months()
    members = db.session.scalars(select(Member).where(Member.tenant_id == cycle.tenant_id)).all()
    for member in members:
        if not member.active and (member.left_on is None or member.left_on < cycle.starts_on):
            continue
        if member.archive_code in ids:
            raise ServiceError(
                f"code {member.archive_code!r} is both a unit code and a "
                "member's archive code; rename one",
                field="archive_code",
            )
        subjects.append(
            engine.Subject(
                member.archive_code,
                "member",
                member.name,
                unit_code.get(member.org_id),
                retired=member.category == "retired",
                exempt=member.exempt,
                periods=_member_months(member, months),
                attrs={"position": member.position or "", "status": member.status},
            )
        )
        ids[member.archive_code] = ("member", member.id)


def _member_months(member: Member, months: list[str]) -> frozenset[str] | None:
    """Months the person was a member of the organization (joined, not yet left)."""
    joined = member.joined_on.strftime("%Y-%m") if member.joined_on else None
    left = member.left_on.strftime("%Y-%m") if member.left_on else None
    kept = [m for m in months if (joined is None or m >= joined) and (left is None or m <= left)]
    return None if len(kept) == len(months) else frozenset(kept)


def _scores(cycle: Cycle, ids) -> tuple[engine.ScoreRow, ...]:
    code_of = {ident: code for code, (_, ident) in ids.items()}
    items: dict[uuid.UUID, list[ScoreItem]] = defaultdict(list)
    for item in db.session.scalars(
        select(ScoreItem)
        .join(
            ScoreSheet,
            (ScoreSheet.tenant_id == ScoreItem.tenant_id) & (ScoreSheet.id == ScoreItem.sheet_id),
        )
        .where(ScoreSheet.tenant_id == cycle.tenant_id, ScoreSheet.cycle_id == cycle.id)
    ):
        items[item.sheet_id].append(item)
    rows = db.session.execute(
        select(
            ScoreSheet.id,
            ScoreSheet.subject_id,
            ScoreSheet.source,
            ScoreSheet.rater,
            ScoreSheet.period,
            ScoreSheet.score,
        ).where(ScoreSheet.tenant_id == cycle.tenant_id, ScoreSheet.cycle_id == cycle.id)
    ).all()
    out = []
    for sheet_id, subject_id, source, rater, period, score in rows:
        code = code_of.get(subject_id)
        if code is None:
            continue  # a subject no longer covered (dissolved, left) keeps its sheets
        own = items.get(sheet_id, [])
        out.append(
            engine.ScoreRow(
                code,
                source,
                rater,
                score,
                {i.indicator: i.points for i in own if i.kind == "points"} or None,
                tuple(
                    engine.Deduction(i.indicator, i.points, i.reason)
                    for i in own
                    if i.kind == "deduction"
                ),
                period or None,
                ref=f"sheet {sheet_id}",
            )
        )
    return tuple(out)


def _incidents(cycle: Cycle, ids) -> tuple[engine.Incident, ...]:
    code_of = {ident: code for code, (_, ident) in ids.items()}
    rows = db.session.scalars(
        select(Incident).where(
            Incident.tenant_id == cycle.tenant_id,
            Incident.occurred_on >= cycle.starts_on,
            Incident.occurred_on <= cycle.ends_on,
        )
    )
    return tuple(
        engine.Incident(code_of[i.subject_id], i.kind, i.occurred_on.isoformat(), i.note)
        for i in rows
        if i.subject_id in code_of
    )


def _records(cycle: Cycle, unit_code, ids) -> tuple[engine.Record, ...]:
    """Records name members by the same codes as the subjects (archive codes)."""
    member = {str(ident): code for code, (kind, ident) in ids.items() if kind == "member"}
    rows = db.session.scalars(
        select(ActivityRecord).where(
            ActivityRecord.tenant_id == cycle.tenant_id,
            ActivityRecord.held_on >= cycle.starts_on,
            ActivityRecord.held_on <= cycle.ends_on,
        )
    )
    out = []
    for r in rows:
        person = member.get(str(r.member_id)) if r.member_id else None
        out.append(
            engine.Record(
                unit_code.get(r.org_id, ""),
                r.kind,
                r.held_on.isoformat(),
                tuple(member[a] for a in (r.attendees or ()) if a in member),
                member=person if r.kind != "party_lecture" else None,
                month=r.month,
                hours=r.hours,
                lecturer=person if r.kind == "party_lecture" else None,
            )
        )
    return tuple(out)


def _history(cycle: Cycle, labels: list[str], ids) -> tuple[engine.Past, ...]:
    code_of = {ident: code for code, (_, ident) in ids.items()}
    earlier = select(Cycle.id, Cycle.period).where(
        Cycle.tenant_id == cycle.tenant_id,
        Cycle.scheme_key == cycle.scheme_key,
        Cycle.period.in_(labels),
        Cycle.label == Cycle.period,
    )
    period_of = dict(db.session.execute(earlier).all())
    if not period_of:
        return ()
    rows = db.session.scalars(
        select(EvaluationResult)
        .join(
            ResultSet,
            (ResultSet.tenant_id == EvaluationResult.tenant_id)
            & (ResultSet.id == EvaluationResult.result_set_id),
        )
        .where(
            ResultSet.tenant_id == cycle.tenant_id,
            ResultSet.current,
            ResultSet.cycle_id.in_(period_of),
        )
    )
    return tuple(
        engine.Past(
            period_of[r.cycle_id],
            code_of[r.subject_id],
            r.stars,
            r.total,
            r.grade,
            tuple(r.titles),
            tuple(r.flags),
        )
        for r in rows
        if r.subject_id in code_of
    )
