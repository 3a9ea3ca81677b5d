"""Score sheets: one rater's scores of one subject from one source, checked as they come
in (a deduction needs a reason and cannot exceed its item)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from operator import itemgetter

from sqlalchemy import Uuid, any_, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from zhibu import bulk, engine
from zhibu.audit import record
from zhibu.db import db
from zhibu.engine.sheets import RaterSheet, check_sheet
from zhibu.errors import NotFound, ServiceError
from zhibu.evaluations.compute import definition_for
from zhibu.evaluations.cycles import ensure_open
from zhibu.models import Cycle, Member, OrgUnit, ScoreItem, ScoreSheet
from zhibu.tenancy.scope import current_scope


@dataclass
class SheetInput:
    subject_kind: str  # org | member
    subject_id: uuid.UUID
    source: str
    rater: str = ""
    period: str = ""
    score: float | None = None
    items: dict[str, float] = field(default_factory=dict)
    deductions: list[dict] = field(default_factory=list)  # {item, points, reason}


def subject_row(tenant_id: uuid.UUID, kind: str, subject_id: uuid.UUID) -> OrgUnit | Member:
    model = {"org": OrgUnit, "member": Member}.get(kind)
    row = db.session.get(model, (tenant_id, subject_id)) if model else None
    if row is None:
        raise NotFound(f"no {kind} {subject_id} in this tenant", field="subject_id")
    return row


def _engine_subject(row: OrgUnit | Member) -> engine.Subject:
    if isinstance(row, Member):
        return engine.Subject(row.archive_code, "member")
    return engine.Subject(row.code, row.kind)


def check(
    cycle: Cycle,
    data: SheetInput,
    definition: engine.Definition | None = None,
    subject: engine.Subject | None = None,
) -> engine.Source:
    """The sheet's source, or a ServiceError listing every problem of the sheet.

    :param definition: the cycle's, when the caller checks many sheets (made once).
    :param subject: the subject as the engine sees it, when the caller loaded it already.
    """
    if definition is None:
        definition, _, _ = definition_for(cycle)
    if subject is None:
        subject = _engine_subject(subject_row(cycle.tenant_id, data.subject_kind, data.subject_id))
    track = definition.track_for(subject)
    source = track.source(data.source) if track else None
    if source is None:
        raise ServiceError(
            f"source {data.source!r} does not rate a {subject.kind} in {cycle.scheme_key}",
            field="source",
        )
    if source.periodic and not data.period:
        raise ServiceError(f"{source.title} is entered per month: give the period", field="period")
    sheet = RaterSheet(
        subject.code,
        data.source,
        data.rater,
        data.period or None,
        data.score,
        dict(data.items),
        [
            (engine.Deduction(d["item"], d["points"], d.get("reason", "")), "")
            for d in data.deductions
        ],
    )
    problems = check_sheet(sheet, source, definition.rubric(source.rubric))
    if problems:
        raise ServiceError(problems[0], errors={"sheet": problems})
    return source


def save_sheet(cycle: Cycle, data: SheetInput) -> ScoreSheet:
    """Create or replace the sheet of (subject, source, rater, period)."""
    ensure_open(cycle)
    check(cycle, data)
    sheet = _sheet_to_write(cycle, data)
    sheet.score = data.score
    sheet.user_id = current_scope().user_id
    db.session.flush()
    db.session.execute(
        delete(ScoreItem)
        .where(ScoreItem.tenant_id == cycle.tenant_id, ScoreItem.sheet_id == sheet.id)
        .execution_options(synchronize_session=False)
    )
    for code, points in data.items.items():
        db.session.add(
            ScoreItem(
                tenant_id=cycle.tenant_id,
                sheet_id=sheet.id,
                indicator=code,
                kind="points",
                points=points,
            )
        )
    for d in data.deductions:
        db.session.add(
            ScoreItem(
                tenant_id=cycle.tenant_id,
                sheet_id=sheet.id,
                indicator=d["item"],
                kind="deduction",
                points=d["points"],
                reason=d["reason"],
            )
        )
    db.session.commit()
    return sheet


def _sheet_to_write(cycle: Cycle, data: SheetInput) -> ScoreSheet:
    """The sheet of (subject, source, rater, period), made if there is none, and locked
    until the commit: a rater saving from two tabs at once (or a secretary and an
    administrator typing the same paper sheet in) replace one another in turn, the later
    last, instead of one failing on the unique key or their items mixing."""
    query = (
        select(ScoreSheet)
        .where(
            ScoreSheet.tenant_id == cycle.tenant_id,
            ScoreSheet.cycle_id == cycle.id,
            ScoreSheet.subject_id == data.subject_id,
            ScoreSheet.source == data.source,
            ScoreSheet.rater == data.rater,
            ScoreSheet.period == data.period,
        )
        .with_for_update()
    )
    sheet = db.session.scalar(query)
    if sheet is not None:
        return sheet
    sheet = ScoreSheet(
        tenant_id=cycle.tenant_id,
        id=uuid.uuid4(),
        cycle_id=cycle.id,
        subject_kind=data.subject_kind,
        subject_id=data.subject_id,
        source=data.source,
        rater=data.rater,
        period=data.period,
    )
    try:
        with db.session.begin_nested():
            db.session.add(sheet)
            db.session.flush()
    except IntegrityError:  # made meanwhile by the other request: wait for it, replace it
        sheet = db.session.scalar(query)
    return sheet


def _subjects(tenant_id: uuid.UUID, inputs: list[SheetInput]) -> dict:
    """The engine's view (code and kind) of the units and members the sheets are about,
    by ``(kind, id)``: looked up by their ids, or, for more than :data:`MANY` of them (a
    city's month), picked out of the tenant's whole list, read plainly."""
    found: dict = {}
    for kind, columns in (
        ("org", (OrgUnit.id, OrgUnit.code, OrgUnit.kind)),
        ("member", (Member.id, Member.archive_code)),
    ):
        ids = {d.subject_id for d in inputs if d.subject_kind == kind}
        query = select(*columns).where(columns[0].class_.tenant_id == tenant_id)
        for q in among(query, columns[0], list(ids)):
            for ident, code, *unit_kind in db.session.execute(q):
                if ident in ids:
                    found[kind, ident] = engine.Subject(code, unit_kind[0] if unit_kind else kind)
    return found


def sheets_of(cycle: Cycle, subject_id: uuid.UUID | None = None, where=None) -> list[ScoreSheet]:
    """The cycle's sheets (of one subject; or those meeting ``where``, a SQL condition)."""
    query = select(ScoreSheet).where(
        ScoreSheet.tenant_id == cycle.tenant_id, ScoreSheet.cycle_id == cycle.id
    )
    if subject_id is not None:
        query = query.where(ScoreSheet.subject_id == subject_id)
    if where is not None:
        query = query.where(where)
    return list(
        db.session.scalars(query.order_by(ScoreSheet.source, ScoreSheet.rater, ScoreSheet.period))
    )


def items_of(sheet: ScoreSheet) -> list[ScoreItem]:
    return list(
        db.session.scalars(
            select(ScoreItem).where(
                ScoreItem.tenant_id == sheet.tenant_id, ScoreItem.sheet_id == sheet.id
            )
        )
    )


CHUNK = 1000  # ids per IN (…) list: well under every backend's limit of parameters
MANY = 5 * CHUNK  # more ids than this: read the lot and pick them out here


def _chunks(ids: list) -> list[list]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def among(query, column, ids: list) -> list:
    """``query`` narrowed to rows whose ``column`` is one of ``ids``: a query per
    :data:`CHUNK` of them, or for more than :data:`MANY` the query as it is (the caller
    picks its rows out: one plain read beats dozens of queries of a thousand
    parameters each)."""
    if len(ids) > MANY:
        return [query]
    return [query.where(column.in_(chunk)) for chunk in _chunks(ids)]


def _replaced(cycle: Cycle, inputs: list[SheetInput]) -> list[uuid.UUID]:
    """Ids of the stored sheets with the keys of ``inputs``: looked up by subject (a few
    indexed queries) or, for more than :data:`MANY` subjects (a city's month), by the
    batch's sources and months alone, which for a batch of every month is the cycle's
    sheets of those sources: as many as the batch itself."""
    keys = {(d.subject_id, d.source, d.rater, d.period) for d in inputs}
    sources, periods = {d.source for d in inputs}, {d.period for d in inputs}
    query = select(
        ScoreSheet.id, ScoreSheet.subject_id, ScoreSheet.source, ScoreSheet.rater, ScoreSheet.period
    ).where(
        ScoreSheet.tenant_id == cycle.tenant_id,
        ScoreSheet.cycle_id == cycle.id,
        ScoreSheet.source.in_(sources),
        ScoreSheet.period.in_(periods),
    )
    subjects = list({d.subject_id for d in inputs})
    return [
        r.id
        for q in among(query, ScoreSheet.subject_id, subjects)
        for r in db.session.execute(q)
        if (r.subject_id, r.source, r.rater, r.period) in keys
    ]


def _delete(cycle: Cycle, ids: list[uuid.UUID]) -> None:
    """Delete these sheets and their items: on PostgreSQL in one statement each, the ids
    one array parameter (a city's month replaced is 60,000 sheets: sixty chunks of a
    thousand parameters, two statements each, cost seconds to convert and plan);
    elsewhere a thousand at a time."""
    if not ids:
        return
    if db.session.connection().dialect.name == "postgresql":
        batches, among_ids = [ids], _any
    else:
        batches, among_ids = _chunks(ids), _in
    for batch in batches:
        db.session.execute(
            delete(ScoreItem).where(
                ScoreItem.tenant_id == cycle.tenant_id, among_ids(ScoreItem.sheet_id, batch)
            )
        )
        db.session.execute(
            delete(ScoreSheet).where(
                ScoreSheet.tenant_id == cycle.tenant_id, among_ids(ScoreSheet.id, batch)
            )
        )


def _any(column, ids: list[uuid.UUID]):
    return column == any_(bindparam("ids", ids, type_=postgresql.ARRAY(Uuid)))


def _in(column, ids: list[uuid.UUID]):
    return column.in_(ids)


def save_many(cycle: Cycle, inputs: list[SheetInput]) -> int:
    """Save many sheets at once (a branch's month, a demo, an upload): every sheet is
    checked first and nothing is written if one is refused; then the sheets of the same
    keys are replaced in a few bulk statements. Returns the number saved."""
    ensure_open(cycle)
    definition, _, _ = definition_for(cycle)
    subjects = _subjects(cycle.tenant_id, inputs)
    problems = []
    for position, data in enumerate(inputs, start=1):
        try:
            check(cycle, data, definition, subjects.get((data.subject_kind, data.subject_id)))
        except ServiceError as exc:
            details = exc.errors.get("sheet") if isinstance(exc.errors, dict) else None
            problems += [f"sheet {position}: {p}" for p in (details or [exc.message])]
    if problems:
        raise ServiceError(problems[0], errors={"sheets": problems})
    user = current_scope().user_id
    _delete(cycle, _replaced(cycle, inputs))
    sheets, items = [], []
    for data in inputs:
        sheet_id = uuid.uuid4()
        sheets.append(
            {
                "tenant_id": cycle.tenant_id,
                "id": sheet_id,
                "cycle_id": cycle.id,
                "subject_kind": data.subject_kind,
                "subject_id": data.subject_id,
                "source": data.source,
                "rater": data.rater,
                "period": data.period,
                "score": data.score,
                "user_id": user,
            }
        )
        items += [
            {
                "tenant_id": cycle.tenant_id,
                "id": uuid.uuid4(),
                "sheet_id": sheet_id,
                "indicator": code,
                "kind": "points",
                "points": points,
                "reason": "",
            }
            for code, points in data.items.items()
        ]
        items += [
            {
                "tenant_id": cycle.tenant_id,
                "id": uuid.uuid4(),
                "sheet_id": sheet_id,
                "indicator": d["item"],
                "kind": "deduction",
                "points": d["points"],
                "reason": d["reason"],
            }
            for d in data.deductions
        ]
    _insert_many(ScoreSheet, sheets)
    _insert_many(ScoreItem, items)
    record(
        db.session,
        action="save_many",
        entity="score_sheets",
        entity_id=str(cycle.id),
        tenant_id=cycle.tenant_id,
        after={"sheets": len(sheets), "items": len(items)},
    )
    db.session.commit()
    return len(sheets)


def _insert_many(model, rows: list[dict]) -> None:
    """Rows (dicts with the same keys) into the model's table, in a few statements."""
    if not rows:
        return
    connection = db.session.connection()
    if not bulk.pipelined(connection):
        db.session.execute(insert(model), rows)
        return
    columns = list(rows[0])
    bulk.insert_rows(
        connection,
        model.__tablename__,
        columns,
        rows,
        itemgetter(*columns),
        tenants={row["tenant_id"] for row in rows},
    )
