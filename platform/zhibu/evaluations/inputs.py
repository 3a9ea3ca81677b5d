"""Load everything a cycle's computation reads, in a handful of queries (never one per
subject), and turn it into the engine's plain data."""

from __future__ import annotations

import marshal
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import attrgetter, itemgetter

import psycopg
from sqlalchemy import select

from zhibu import engine, plugins
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations.periods import parse_period
from zhibu.i18n import _
from zhibu.models import (
    ActivityRecord,
    Cycle,
    EvaluationResult,
    Incident,
    Member,
    MemberTransfer,
    OrgUnit,
    ResultSet,
)
from zhibu.tenancy.scope import ensure_scope

HISTORY_CYCLES = 3


@dataclass
class Loaded:
    """The engine's input and the way back from engine codes to rows."""

    cycle: engine.Cycle
    ids: dict[str, tuple[str, uuid.UUID]]  # subject code → (org|member, id)


def subject_kinds(definition: engine.Definition) -> set[str]:
    return {kind for track in definition.tracks for kind in track.subject_kinds}


def load(cycle: Cycle, definition: engine.Definition, settings: dict, fingerprint=None) -> Loaded:
    kinds = subject_kinds(definition)
    units = db.session.scalars(  # in code order: subjects (and explanations) come out stable
        select(OrgUnit).where(OrgUnit.tenant_id == cycle.tenant_id).order_by(OrgUnit.code)
    ).all()
    unit_code = {u.id: u.code for u in units}
    unit_name = {u.id: u.name for u in units}
    subjects, ids, tree = [], {}, []
    for unit in units:
        if not _existed(unit.status, unit.dissolved_on, cycle):
            continue
        parent = unit_code.get(unit.parent_id)
        tree.append(engine.Unit(unit.code, unit.kind, unit.name, parent, unit.retired, unit.exempt))
        if unit.kind in kinds:
            subjects.append(
                engine.Subject(
                    unit.code,
                    unit.kind,
                    unit.name,
                    parent,
                    unit.retired,
                    unit.exempt,
                    attrs={"unit_name": unit_name.get(unit.parent_id, "")},
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
            scores=_scores(cycle, ids, fingerprint, _source_titles(definition)),
            incidents=_incidents(cycle, ids),
            records=_records(cycle, unit_code, ids),
            history=_history(cycle, period.previous(HISTORY_CYCLES), ids),
            previous=tuple(period.previous(HISTORY_CYCLES)),
            settings=settings,
            units=tuple(tree),
        ),
        ids,
    )


def _existed(status: str, dissolved_on: date | None, cycle: Cycle) -> bool:
    return status == "active" or (dissolved_on is not None and dissolved_on >= cycle.ends_on)


MEMBER_COLUMNS = (
    Member.id,
    Member.archive_code,
    Member.name,
    Member.org_id,
    Member.category,
    Member.exempt,
    Member.active,
    Member.joined_on,
    Member.left_on,
    Member.position,
    Member.status,
    Member.full_member_on,
    Member.birth_date,
    Member.gender,
    Member.ethnicity,
    Member.education,
)


def _add_members(cycle: Cycle, unit_code, subjects, ids) -> None:
    """Members as plain rows (a city has tens of thousands: no ORM objects), each with
    what the registry says of them (:class:`~zhibu.engine.MemberFacts`)."""
    member_months = _membership(parse_period(cycle.period).months())
    retired_units = set(
        db.session.scalars(
            select(OrgUnit.id).where(OrgUnit.tenant_id == cycle.tenant_id, OrgUnit.retired)
        )
    )
    moves = _moves(cycle, unit_code)
    rows = db.session.execute(
        select(*MEMBER_COLUMNS)
        .where(Member.tenant_id == cycle.tenant_id)
        .order_by(Member.archive_code)
    )
    facts, no_moves = engine.MemberFacts, ()
    for (
        ident,
        code,
        name,
        org_id,
        category,
        exempt,
        active,
        joined,
        left,
        position,
        status,
        full,
        birth,
        gender,
        ethnicity,
        education,
    ) in rows:
        if not active and (left is None or left < cycle.starts_on):
            continue
        joined_text = joined.isoformat() if joined else ""
        full_text = full.isoformat() if full else ""
        if code in ids:
            raise ServiceError(
                _(
                    "编码“%(code)s”既是一个组织的组织编码,又是一名党员的档案编码,请修改其中一个。",
                    code=code,
                ),
                field="archive_code",
            )
        subjects.append(
            engine.Subject(
                code,
                "member",
                name,
                unit_code.get(org_id),
                retired=category == "retired" or org_id in retired_units,  # 离退休党支部的党员
                exempt=exempt,
                periods=member_months(joined, left),
                attrs={
                    "position": position or "",
                    "status": status,
                    "joined": joined_text,
                    "full_since": full_text,
                },
                member=facts(
                    birth.isoformat() if birth else "",
                    gender or "",
                    ethnicity or "",
                    education or "",
                    position or "",
                    category,
                    status,
                    joined_text,
                    full_text,
                    left.isoformat() if left else "",
                    moves.get(code, no_moves) if moves else no_moves,
                ),
            )
        )
        ids[code] = ("member", ident)


def _moves(cycle: Cycle, unit_code) -> dict[str, tuple[engine.Move, ...]]:
    """Every member's transfers, oldest first, as unit codes, by archive code (a member's
    unit on a day of the cycle is their unit now, taken back through them: all are
    needed). Keyed by the code, a text: a city's sixty thousand members look it up."""
    rows = db.session.execute(
        select(
            Member.archive_code,
            MemberTransfer.transferred_on,
            MemberTransfer.from_org_id,
            MemberTransfer.to_org_id,
        )
        .join(
            Member,
            (Member.tenant_id == MemberTransfer.tenant_id)
            & (Member.id == MemberTransfer.member_id),
        )
        .where(MemberTransfer.tenant_id == cycle.tenant_id)
    ).all()
    by_member: dict[str, list[tuple]] = defaultdict(list)
    for code, on, from_id, to_id in rows:
        by_member[code].append((on, unit_code.get(from_id, ""), unit_code.get(to_id, "")))
    return {code: _in_order(found) for code, found in by_member.items()}


def _in_order(found: list[tuple]) -> tuple[engine.Move, ...]:
    """By day; several on one day chained, each from where the one before it went."""
    pending, ordered = sorted(found), []
    while pending:
        day = pending[0][0]
        same_day = [m for m in pending if m[0] == day]
        last = ordered[-1][2] if ordered else None
        arrivals = {m[2] for m in same_day}
        following = next((m for m in same_day if m[1] == last), None) or next(
            (m for m in same_day if m[1] not in arrivals), same_day[0]
        )
        ordered.append(following)
        pending.remove(following)
    return tuple(engine.Move(day.isoformat(), a, b) for day, a, b in ordered)


def _membership(months: list[str]) -> Callable[[date | None, date | None], frozenset | None]:
    """The months a person was a member of the organization (joined, not yet left), as a
    function of the days they joined and left: None for the whole cycle, as for most.

    The cycle's bounds are worked out once (a city has sixty thousand members): who
    joined before ``joined_by`` (by the end of the first month) and left on or after
    ``left_from`` (in the last month or later) was a member all along.
    """
    if not months:
        return _always
    year, month = int(months[0][:4]), int(months[0][5:7])
    joined_by = date(year + month // 12, month % 12 + 1, 1)
    left_from = date(int(months[-1][:4]), int(months[-1][5:7]), 1)

    def member_months(joined_on: date | None, left_on: date | None) -> frozenset | None:
        if (joined_on is None or joined_on < joined_by) and (
            left_on is None or left_on >= left_from
        ):
            return None
        joined, left = _month(joined_on), _month(left_on)  # not in the first or the last
        return frozenset(
            m for m in months if (joined is None or m >= joined) and (left is None or m <= left)
        )

    return member_months


def _always(joined_on: date | None, left_on: date | None) -> None:
    return None  # a cycle without months: nobody is left out of any


def _month(day: date | None) -> str | None:
    return f"{day.year:04d}-{day.month:02d}" if day else None


SHEET_SQL = (  # period and reason are never null: '' when there is none
    "SELECT {subject}, source, rater, period, score FROM score_sheets"
    " WHERE tenant_id = {p} AND cycle_id = {p}"
)
ITEM_SQL = (
    "SELECT {subject}, s.source, s.rater, s.period, i.indicator, i.kind, i.points, i.reason"
    " FROM score_items i JOIN score_sheets s ON s.tenant_id = i.tenant_id AND s.id = i.sheet_id"
    " WHERE s.tenant_id = {p} AND s.cycle_id = {p}"
)
CHUNK = 10_000  # rows the driver takes at a time
STREAMS = psycopg.pq.version() >= 170000  # rows in chunks as they come: libpq 17 on


def sheet_rows(cycle: Cycle) -> Iterator[tuple]:
    """The cycle's score rows as plain tuples ``(subject_id, source, rater, period,
    score)`` (period ``''`` when there is none), straight from the driver and in no
    particular order: a city's year is most of a million rows, ORM rows would cost more
    than the whole evaluation, and sorting them on the server more than reading them.

    Runs on the session's own connection, so the transaction's tenant settings (and
    PostgreSQL's row-level security) hold. On PostgreSQL the rows stream from a query
    still running on that connection: read them to the end, and run no other query
    until then (one would wait for the connection forever; stopping early cancels the
    query, which aborts the transaction).
    """
    return _driver_rows(cycle, SHEET_SQL, "subject_id")


def item_rows(cycle: Cycle) -> Iterator[tuple]:
    """The items and deductions of the cycle's sheets, each with its sheet's key:
    ``(subject_id, source, rater, period, indicator, kind, points, reason)``; streamed as
    :func:`sheet_rows` is (read them to the end before any other query)."""
    return _driver_rows(cycle, ITEM_SQL, "s.subject_id")


def _driver_rows(cycle: Cycle, sql: str, subject: str) -> Iterator[tuple]:
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    sql = sql.format(
        subject=f"{subject}::text" if postgres else subject, p="%s" if postgres else "?"
    )
    params = (cycle.tenant_id, cycle.id) if postgres else (cycle.tenant_id.hex, cycle.id.hex)
    ensure_scope(connection)  # the driver's cursor passes no SQLAlchemy event
    cursor = connection.connection.driver_connection.cursor()
    try:
        if postgres and STREAMS:  # the server sends while the rows are taken here
            yield from cursor.stream(sql, params, size=CHUNK)
            return
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK):
            yield from chunk
    finally:
        cursor.close()


def _source_titles(definition: engine.Definition) -> dict[str, str]:
    """The scheme's sources by their titles (a refused row is named by its sheet's title,
    not its key)."""
    return {s.key: s.title for track in definition.tracks for s in track.sources}


def _scores(cycle: Cycle, ids, fingerprint=None, titles: dict[str, str] | None = None) -> tuple:
    """Every score of the cycle: per subject (in code order) and within a subject in
    (source, rater, period) order, so that ``fingerprint`` sees the same sequence
    whenever the data is the same (the rows come from the server unsorted; a subject's
    dozen are sorted here). A rater's plain monthly scores become one
    :class:`~zhibu.engine.ScoreSeries`; a sheet with items or deductions is a row."""
    text = str if db.session.connection().dialect.name == "postgresql" else _hex  # id forms
    items_of: dict[str, dict[tuple, list[tuple]]] = defaultdict(lambda: defaultdict(list))
    for subject_id, source, rater, period, *item in item_rows(cycle):
        items_of[subject_id][source, rater, period].append(tuple(item))
    by_id: dict[str, list[tuple]] = defaultdict(list)
    for row in sheet_rows(cycle):
        by_id[row[0]].append(row)
    out: list = []
    for code, (_kind, ident) in ids.items():  # a subject no longer covered keeps its sheets
        rows = by_id.get(text(ident))
        if not rows:
            continue
        rows.sort()
        own = items_of.get(rows[0][0]) or {}
        for sheet_items in own.values():
            sheet_items.sort()
        if fingerprint is not None:
            fingerprint.update(marshal.dumps(rows))
            if own:
                fingerprint.update(marshal.dumps(sorted(own.items())))
        _add_scores(out, code, rows, own, titles or {})
    return tuple(out)


def _add_scores(
    out: list, code: str, rows: list[tuple], items: dict[tuple, list], titles: dict[str, str]
) -> None:
    """One subject's sorted rows: plain monthly scores gathered per source and rater into
    a series, the rest as rows (``items``: the subject's items by (source, rater,
    period)). Each says where it came from (``ref``: the sheet's title, the rater, the
    period) for a refusal to name it."""
    series_type, row_type = engine.ScoreSeries, engine.ScoreRow
    for (source, rater), group in groupby(rows, key=_source_rater):
        taken = list(group)
        _, _, _, periods, scores = zip(*taken, strict=True)
        itemized = {k[2] for k in items if k[0] == source and k[1] == rater} if items else NONE
        title = titles.get(source, source)
        if all(periods) and None not in scores and itemized.isdisjoint(periods):
            # the common case
            out.append(series_type(code, source, rater, periods, scores, _ref(title, rater)))
            continue
        plain, rest = [], []
        for row in taken:
            period, score = row[3], row[4]
            if period in itemized:
                own = items[source, rater, period]
                rest.append(_with_items(row_type, code, row, own, title))
            elif period and score is not None:
                plain.append(row)
            else:
                where = _ref(title, rater, period)
                rest.append(row_type(code, source, rater, score, None, (), period or None, where))
        if plain:
            _, _, _, periods, scores = zip(*plain, strict=True)
            out.append(series_type(code, source, rater, periods, scores, _ref(title, rater)))
        out += rest


def _ref(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


_source_rater = itemgetter(1, 2)
_hex = attrgetter("hex")  # SQLite stores an id as its 32 hex digits
NONE: frozenset[str] = frozenset()


def _with_items(row_type, code: str, key: tuple, own: list[tuple], title: str) -> engine.ScoreRow:
    _, source, rater, period, score = key
    return row_type(
        code,
        source,
        rater,
        score,
        {indicator: points for indicator, kind, points, _ in own if kind == "points"} or None,
        tuple(
            engine.Deduction(indicator, points, reason)
            for indicator, kind, points, reason in own
            if kind == "deduction"
        ),
        period or None,
        ref=_ref(title, rater, period),
    )


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
    """The cycle's records, and the standing ones (elections: a committee's term runs from
    its last one) from before it too. Records name members by the same codes as the
    subjects (archive codes); the member of a lecture is its lecturer."""
    kinds = plugins.registry().record_kinds
    standing = [key for key, kind in kinds.items() if kind.standing]
    rows = db.session.scalars(
        select(ActivityRecord).where(
            ActivityRecord.tenant_id == cycle.tenant_id,
            (ActivityRecord.held_on >= cycle.starts_on) | ActivityRecord.kind.in_(standing),
            ActivityRecord.held_on <= cycle.ends_on,
        )
    ).all()
    if not rows:
        return ()
    lecturers = {key for key, kind in kinds.items() if kind.lecturer}
    member = {str(ident): code for code, (kind, ident) in ids.items() if kind == "member"}
    out = []
    for r in rows:
        person = member.get(str(r.member_id)) if r.member_id else None
        out.append(
            engine.Record(
                unit_code.get(r.org_id, ""),
                r.kind,
                r.held_on.isoformat(),
                tuple(member[a] for a in (r.attendees or ()) if a in member),
                member=person if r.kind not in lecturers else None,
                month=r.month,
                hours=r.hours,
                lecturer=person if r.kind in lecturers else None,
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
