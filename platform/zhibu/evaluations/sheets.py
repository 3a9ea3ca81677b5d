"""Score sheets: one rater's scores of one subject from one source, checked as they come
in (a deduction needs a reason and cannot exceed its item)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter

from sqlalchemy import Uuid, any_, bindparam, delete, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from zhibu import bulk, engine, plugins
from zhibu.audit import record, record_many
from zhibu.db import db
from zhibu.engine.sheets import RaterSheet, check_sheet
from zhibu.errors import Conflict, NotFound, ServiceError
from zhibu.evaluations import entered, phases, stale
from zhibu.evaluations.compute import definition_for
from zhibu.evaluations.cycles import ensure_open
from zhibu.i18n import _, in_language
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
        raise NotFound(
            _("没有找到这名党员。") if kind == "member" else _("没有找到这个组织。"),
            field="subject_id",
        )
    return row


def _engine_subject(row: OrgUnit | Member) -> engine.Subject:
    if isinstance(row, Member):
        return engine.Subject(row.archive_code, "member")
    return engine.Subject(row.code, row.kind)


def _kind_title(kind: str) -> str:
    """The Chinese name of a subject's kind (党员, 党支部, 村 …)."""
    if kind == "member":
        return _("党员")
    found = plugins.registry().org_kinds.get(kind)
    return found.title if found is not None else kind


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
        definition = definition_for(cycle)[0]
    if subject is None:
        subject = _engine_subject(subject_row(cycle.tenant_id, data.subject_kind, data.subject_id))
    track = definition.track_for(subject)
    source = track.source(data.source) if track else None
    if source is None:
        raise ServiceError(
            _(
                "该评定方案中没有“%(source)s”这张评分表,或它不给%(kind)s评分。",
                source=data.source,
                kind=_kind_title(subject.kind),
            ),
            field="source",
        )
    if source.periodic and not data.period:
        raise ServiceError(
            _("“%(source)s”按月录入,请选择月份。", source=source.title), field="period"
        )
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
        said = [in_language(p) for p in problems]
        raise ServiceError(said[0], errors={"sheet": said})
    return source


def _find(cycle: Cycle, data: SheetInput, *, lock: bool = False) -> ScoreSheet | None:
    query = select(ScoreSheet).where(
        ScoreSheet.tenant_id == cycle.tenant_id,
        ScoreSheet.cycle_id == cycle.id,
        ScoreSheet.subject_id == data.subject_id,
        ScoreSheet.source == data.source,
        ScoreSheet.rater == data.rater,
        ScoreSheet.period == data.period,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def _upsert(dialect: str):
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


SHEET_KEY = ("tenant_id", "cycle_id", "subject_id", "source", "rater", "period")


def _claimed(cycle: Cycle, data: SheetInput) -> ScoreSheet:
    """The sheet of ``data``'s key, its row locked to the end of the transaction: two
    saves of one sheet take turns. A first save writes the row (version 0) if no one has,
    and a second first save waits for it, then finds it (no duplicate key, no 500)."""
    sheet = _find(cycle, data, lock=True)
    if sheet is not None:
        return sheet
    insert_ = _upsert(db.session.connection().dialect.name)
    db.session.execute(
        insert_(ScoreSheet)
        .values(
            tenant_id=cycle.tenant_id,
            id=uuid.uuid4(),
            cycle_id=cycle.id,
            subject_kind=data.subject_kind,
            subject_id=data.subject_id,
            source=data.source,
            rater=data.rater,
            period=data.period,
            version=0,
        )
        .on_conflict_do_nothing(index_elements=list(SHEET_KEY))
    )
    return _find(cycle, data, lock=True)


def _item_values(sheet_id: uuid.UUID, tenant_id: uuid.UUID, data: SheetInput) -> list[dict]:
    """The sheet's lines, numbered: points first (by indicator as given), then deductions."""
    lines = [
        {"indicator": code, "kind": "points", "points": points, "reason": ""}
        for code, points in data.items.items()
    ] + [
        {"indicator": d["item"], "kind": "deduction", "points": d["points"], "reason": d["reason"]}
        for d in data.deductions
    ]
    return [
        {"tenant_id": tenant_id, "id": uuid.uuid4(), "sheet_id": sheet_id, "seq": seq, **line}
        for seq, line in enumerate(lines)
    ]


ITEM_FIELDS = ("sheet_id", "seq", "indicator", "kind", "points", "reason")


def _item_state(values) -> dict:
    get = values.get if isinstance(values, Mapping) else lambda f: getattr(values, f)
    return {f: str(get(f)) if f == "sheet_id" else get(f) for f in ITEM_FIELDS}


def save_sheet(cycle: Cycle, data: SheetInput, *, version: int | None = None) -> ScoreSheet:
    """Create or replace the sheet of (subject, source, rater, period).

    Saves of one sheet take turns (its row is locked); with ``version`` (the one the
    caller loaded; 0 for a sheet not yet saved) a save that another one overtook is
    refused with a :class:`Conflict` (409), nothing written. The cycle must take the
    source now (:mod:`zhibu.evaluations.phases`). Every item replaced and written is in
    the audit log with its before and after; the subject's results are marked out of
    date."""
    phases.lock(cycle)
    ensure_open(cycle)
    source = check(cycle, data)
    phases.check(cycle, source, [data.subject_id])
    sheet = _claimed(cycle, data)
    if version is not None and sheet.version != version:
        raise Conflict(
            _(
                "评分表已被他人(或在另一窗口)修改过,本次未保存。您填写的内容仍在本页:"
                "请刷新页面查看最新内容后再保存。"
            ),
            field="version",
        )
    first = sheet.version == 0  # this save wrote the row
    old = items_of(sheet)
    sheet.subject_kind = data.subject_kind
    sheet.score = data.score
    sheet.user_id = current_scope().user_id
    sheet.version = sheet.version + 1
    db.session.flush()
    db.session.execute(
        delete(ScoreItem)
        .where(ScoreItem.tenant_id == cycle.tenant_id, ScoreItem.sheet_id == sheet.id)
        .execution_options(synchronize_session=False)
    )
    new = _item_values(sheet.id, cycle.tenant_id, data)
    if new:
        db.session.execute(insert(ScoreItem), new)
    record_many(
        db.session,
        entity="score_items",
        tenant_id=cycle.tenant_id,
        changes=[("delete", str(i.id), _item_state(i), None) for i in old]
        + [("create", str(v["id"]), None, _item_state(v)) for v in new],
    )
    if first:  # late, so the count of first saves is held a moment; before stale.mark,
        # so rows are taken in the batches' order (entered, its count, then input changes)
        entered.add(cycle, {(data.subject_kind, data.subject_id): 1})
    stale.mark(cycle, [data.subject_id])
    db.session.commit()
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


def items_of_many(tenant_id: uuid.UUID, sheet_ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    """sheet id → its items, for a page of sheets in one query (none: no query)."""
    found: dict[uuid.UUID, list[ScoreItem]] = {}
    if not sheet_ids:
        return found
    for item in db.session.scalars(
        select(ScoreItem)
        .where(ScoreItem.tenant_id == tenant_id, ScoreItem.sheet_id.in_(sheet_ids))
        .order_by(ScoreItem.sheet_id, ScoreItem.indicator)
    ):
        found.setdefault(item.sheet_id, []).append(item)
    return found


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


def _replaced(cycle: Cycle, inputs: list[SheetInput]) -> list:
    """The stored sheets (id, subject's kind and id) with the keys of ``inputs``: looked
    up by subject (a few
    indexed queries) or, for more than :data:`MANY` subjects (a city's month), by the
    batch's sources and months alone, which for a batch of every month is the cycle's
    sheets of those sources: as many as the batch itself."""
    keys = {(d.subject_id, d.source, d.rater, d.period) for d in inputs}
    sources, periods = {d.source for d in inputs}, {d.period for d in inputs}
    query = select(
        ScoreSheet.id,
        ScoreSheet.subject_kind,
        ScoreSheet.subject_id,
        ScoreSheet.source,
        ScoreSheet.rater,
        ScoreSheet.period,
    ).where(
        ScoreSheet.tenant_id == cycle.tenant_id,
        ScoreSheet.cycle_id == cycle.id,
        ScoreSheet.source.in_(sources),
        ScoreSheet.period.in_(periods),
    )
    subjects = list({d.subject_id for d in inputs})
    return [
        r
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


def save_many(cycle: Cycle, inputs: list[SheetInput], unit_id: uuid.UUID | None = None) -> int:
    """Save many sheets at once (a branch's month, a demo, an upload): every sheet is
    checked first and nothing is written if one is refused; then the sheets of the same
    keys are replaced in a few bulk statements. Returns the number saved. ``unit_id``: the
    unit whose month sheet this is (reopened, it takes its sheet whoever is on it).

    The cycle must take every source of the batch now (:mod:`zhibu.evaluations.phases`;
    409, nothing written); batches of one cycle take turns (PostgreSQL); the items
    replaced are in the audit log with their before, the subjects' results marked out
    of date."""
    phases.lock(cycle)
    ensure_open(cycle)
    definition = definition_for(cycle)[0]
    subjects = _subjects(cycle.tenant_id, inputs)
    problems = []
    by_source: dict[str, tuple] = {}
    for position, data in enumerate(inputs, start=1):
        try:
            source = check(
                cycle, data, definition, subjects.get((data.subject_kind, data.subject_id))
            )
        except ServiceError as exc:
            details = exc.errors.get("sheet") if isinstance(exc.errors, dict) else None
            problems += [
                _("第 %(number)s 张评分表:%(problem)s", number=position, problem=p)
                for p in (details or [exc.message])
            ]
            continue
        by_source.setdefault(data.source, (source, set()))[1].add(data.subject_id)
    if problems:
        raise ServiceError(problems[0], errors={"sheets": problems})
    for source, subject_ids in by_source.values():
        phases.check(cycle, source, subject_ids, unit_id)
    user = current_scope().user_id
    _take_turns(cycle)
    replaced = _replaced(cycle, inputs)
    _audit_replaced(cycle, [r.id for r in replaced])
    _delete(cycle, [r.id for r in replaced])
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
        items += _item_values(sheet_id, cycle.tenant_id, data)
    _insert_many(ScoreSheet, sheets)
    _insert_many(ScoreItem, items)
    added = Counter((d.subject_kind, d.subject_id) for d in inputs)
    added.subtract(Counter((r.subject_kind, r.subject_id) for r in replaced))
    entered.add(cycle, {key: n for key, n in added.items() if n})
    record(
        db.session,
        action="save_many",
        entity="score_sheets",
        entity_id=str(cycle.id),
        tenant_id=cycle.tenant_id,
        after={"sheets": len(sheets), "items": len(items), "replaced": len(replaced)},
    )
    stale.mark(cycle, {data.subject_id for data in inputs})
    db.session.commit()
    return len(sheets)


def _take_turns(cycle: Cycle) -> None:
    """Batches of one cycle replace their sheets one after the other (PostgreSQL: a lock
    held to the end of the transaction), so two of the same keys never both insert."""
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"zhibu.sheets:{cycle.id}"},
        )


def _audit_replaced(cycle: Cycle, ids: list[uuid.UUID]) -> None:
    """Each item of the sheets about to be replaced, with its before (the new ones are in
    the batch's entry)."""
    if not ids:
        return
    query = (
        select(ScoreItem.id, *(getattr(ScoreItem, f) for f in ITEM_FIELDS))
        .join(
            ScoreSheet,
            (ScoreSheet.tenant_id == ScoreItem.tenant_id) & (ScoreSheet.id == ScoreItem.sheet_id),
        )
        .where(ScoreSheet.tenant_id == cycle.tenant_id, ScoreSheet.cycle_id == cycle.id)
    )
    changes = []
    for q in among(query, ScoreItem.sheet_id, ids):
        wanted = set(ids) if len(ids) > MANY else None
        for row in db.session.execute(q):
            if wanted is not None and row.sheet_id not in wanted:
                continue
            changes.append(("replace", str(row.id), _item_state(row._mapping), None))
    record_many(db.session, entity="score_items", tenant_id=cycle.tenant_id, changes=changes)


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
