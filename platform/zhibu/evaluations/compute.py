"""Recompute a cycle: load inputs in bulk, evaluate in one engine call, store the results
in bulk as a new result set and switch it in at the end, in one transaction.

Recomputing unchanged inputs is a no-op: the inputs' hash matches the current set's.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import uuid_utils
import uuid_utils.compat
from psycopg import sql
from sqlalchemy import Text, and_, case, cast, func, insert, select, update

from zhibu import bulk, engine, plugins
from zhibu.db import db, holds
from zhibu.engine.rules import VETOED
from zhibu.errors import ServiceError
from zhibu.evaluations import inputs, stale
from zhibu.evaluations.cycles import ensure_open, get_cycle
from zhibu.i18n import _, in_language
from zhibu.models import Cycle, EvaluationResult, Member, OrgUnit, ResultSet, SchemeVersion
from zhibu.reports import names
from zhibu.tenancy.scope import current_scope

STORE_BATCH = 20_000  # result rows per insert; progress is reported between batches


class InputRefused(ServiceError):
    """The engine refused rows; ``errors`` lists each with its subject and line (in the
    language of the request), ``problems`` the engine's own (Chinese, with ``.en``)."""

    status = 422

    def __init__(self, problems: list[engine.Problem]):
        super().__init__(
            _("有 %(n)s 处录入不符合评定方案,未能计算结果。", n=len(problems)),
            errors=[in_language(p) for p in problems],
        )
        self.problems = problems


def kept(problems: list[engine.Problem]) -> list[dict[str, str]]:
    """The engine's problems as a job keeps them (a recompute refused when run as a job):
    each in Chinese (``text``, the seeds' language) with its English (``en``) apart."""
    return [{"text": str(p), "en": getattr(p, "en", None) or str(p)} for p in problems]


def told(kept_problems: list[dict[str, str]]) -> list[str]:
    """Problems kept by :func:`kept`, in the reader's language."""
    return [in_language(engine.Problem(p.get("text", ""), p.get("en"))) for p in kept_problems]


def definition_for(
    cycle: Cycle, version: SchemeVersion | None = None
) -> tuple[engine.Definition, dict[str, Any], SchemeVersion]:
    """The cycle's definition, settings and scheme version (``version``: already loaded)."""
    if version is None or version.id != cycle.version_id:
        version = db.session.get(SchemeVersion, (cycle.tenant_id, cycle.version_id))
    registry = plugins.registry()
    scheme = registry.scheme(cycle.scheme_key)
    settings = {**version.settings, **cycle.options}
    definition = scheme.definition(settings)
    grade_names = {**names.GRADES, **scheme.labels}
    definition = replace(definition, grade_names={**grade_names, **definition.grade_names})
    shared = tuple(
        i
        for i in registry.contributions["indicators"].values()
        if not i.schemes or cycle.scheme_key in i.schemes
    )
    if shared:  # indicators other plugins contribute through zhibu_automatic_indicators
        own = {i.key for i in definition.automatic}
        extra = tuple(i for i in shared if i.key not in own)
        definition = replace(definition, automatic=definition.automatic + extra)
    return definition, settings, version


# the form of what the core stores for a result (its explanation lines): a new form computes
# every cycle afresh at its next recompute, as a new plugin version does
STORED_FORM = 2  # 2: each line's English apart (``en``), not "中文 / English" in one text


def input_hash(cycle: Cycle, loaded: inputs.Loaded, version: SchemeVersion, fingerprint) -> str:
    """A fingerprint of everything the computation reads: the score rows were hashed as
    they were loaded (in subject order); the rest is small and hashed here, sorted. The
    scheme's plugin counts by its version and its distribution's (an upgrade of either
    computes afresh), whatever its entry point is named."""
    data = loaded.cycle
    head = (
        STORED_FORM,
        cycle.scheme_key,
        plugins.registry().scheme_version(cycle.scheme_key),
        version.settings,
        data.period,
        data.start,
        data.end,
        data.previous,
        data.settings,
    )
    fingerprint.update(repr(head).encode())
    fingerprint.update(_dump([_subject_text(s) for s in data.subjects]))
    fingerprint.update(_dump([tuple(unit) for unit in data.units]))
    for part in (data.incidents, data.records, data.history):
        for text in sorted(map(_row_text, part)):
            fingerprint.update(text.encode())
        fingerprint.update(b"|")
    return fingerprint.hexdigest()


def _subject_text(subject: engine.Subject) -> tuple:
    """A subject's fields in a stable order (the subjects themselves come in code order,
    so a city's sixty thousand need no sorting; their attributes are made in one order).
    A member's facts stand for its ``attrs``, which the loader makes from the same row."""
    periods = subject.periods
    member = subject.member
    return (
        subject.code,
        subject.kind,
        subject.name,
        subject.unit,
        subject.retired,
        subject.exempt,
        None if periods is None else tuple(sorted(periods)),
        tuple(subject.attrs.items()) if member is None else _member_text(member),
    )


def _member_text(member: engine.MemberFacts) -> tuple:
    """The registry's facts of a member as plain tuples (marshal takes no named tuple)."""
    if not member.moves:
        return tuple(member)
    return (*member[:-1], tuple(map(tuple, member.moves)))


def _dump(value) -> bytes:
    """Bytes of plain data for the fingerprint: marshal (fast) for strings, numbers and
    tuples, repr for anything else a plugin may have put in."""
    try:
        return marshal.dumps(value)
    except ValueError:
        return repr(value).encode()


def _row_text(row) -> str:
    """A stable text of a row: sets and mappings in sorted order (a set's own order
    changes from one process to the next)."""
    values = (
        tuple(row) if isinstance(row, tuple) else tuple(v for _, v in sorted(vars(row).items()))
    )
    return repr(tuple(_stable(v) for v in values))


def _stable(value):
    if isinstance(value, set | frozenset):
        return tuple(sorted(value))
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


def cycle_and_current_set(
    tenant_id: uuid.UUID, cycle_id: uuid.UUID
) -> tuple[Cycle, ResultSet | None, SchemeVersion | None]:
    """The cycle, its current result set and its scheme version (for
    :func:`definition_for`), in one statement: what a page of results reads first.
    Raises :class:`~zhibu.errors.NotFound` as ``get_cycle`` does."""
    row = db.session.execute(
        select(Cycle, ResultSet, SchemeVersion)
        .outerjoin(
            ResultSet,
            and_(
                ResultSet.tenant_id == Cycle.tenant_id,
                ResultSet.cycle_id == Cycle.id,
                ResultSet.current,
            ),
        )
        .outerjoin(
            SchemeVersion,
            and_(SchemeVersion.tenant_id == Cycle.tenant_id, SchemeVersion.id == Cycle.version_id),
        )
        .where(Cycle.tenant_id == tenant_id, Cycle.id == cycle_id)
    ).first()
    if row is None:
        return get_cycle(tenant_id, cycle_id), None, None  # raises NotFound
    return row[0], row[1], row[2]


def current_set(cycle: Cycle) -> ResultSet | None:
    return db.session.scalar(
        select(ResultSet).where(
            ResultSet.tenant_id == cycle.tenant_id,
            ResultSet.cycle_id == cycle.id,
            ResultSet.current,
        )
    )


Progress = Callable[[int, int, str], None]


def recompute(cycle: Cycle, progress: Progress | None = None) -> ResultSet:
    """Compute and store the cycle's results; returns the current result set.

    Recomputes of one cycle take turns: the cycle's row is locked first (PostgreSQL), so
    a second one waits, then finds the first one's inputs unchanged, or stores its own —
    never two current sets, never an older computation switched in over a newer one.

    :param progress: called as ``progress(done, total, step)`` at each stage and after
        each batch of stored rows (a job passes :func:`zhibu.jobs.report_progress`).
    """
    # one recompute of a cycle at a time; writers of its inputs (a key share, see
    # zhibu.evaluations.phases) go on meanwhile
    db.session.refresh(cycle, with_for_update={"key_share": True})
    ensure_open(cycle)
    stale.clear(cycle)  # before the inputs are read: a change after this stays marked
    with bulk_work():
        return _recompute(cycle, progress or _no_progress)


def _no_progress(done: int, total: int, step: str) -> None:
    pass


@contextmanager
def bulk_work():
    """Pause the cyclic garbage collector while a cycle's million small objects are built:
    nothing they make is cyclic, and each full collection would scan them all again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _recompute(cycle: Cycle, progress: Progress) -> ResultSet:
    progress(0, 3, "loading inputs")
    definition, settings, version = definition_for(cycle)
    fingerprint = hashlib.sha256()
    loaded = inputs.load(cycle, definition, settings, fingerprint)
    digest = input_hash(cycle, loaded, version, fingerprint)
    current = current_set(cycle)
    if current is not None and current.input_hash == digest:
        progress(3, 3, "unchanged")
        db.session.commit()  # the marks cleared: the results are those of these inputs
        return current
    progress(1, 3, "computing")
    try:
        results = engine.evaluate(definition, loaded.cycle)
    except engine.InputError as exc:
        raise InputRefused(exc.problems) from None
    return _store(cycle, version, digest, results, loaded, progress)


def _store(cycle, version, digest, results, loaded, progress=_no_progress) -> ResultSet:
    result_set = ResultSet(
        tenant_id=cycle.tenant_id,
        id=uuid.uuid4(),
        cycle_id=cycle.id,
        version_id=version.id,
        input_hash=digest,
        subjects=len(results),
        user_id=current_scope().user_id,
        computed_at=datetime.now(UTC),  # to the microsecond: a subject's history
    )
    db.session.add(result_set)
    db.session.flush()
    rows = [(r, loaded.ids[r.subject]) for r in results]
    progress(0, len(rows), "storing results")
    for start in range(0, len(rows), STORE_BATCH):  # all in this one transaction
        insert_results(result_set, rows[start : start + STORE_BATCH])
        progress(min(start + STORE_BATCH, len(rows)), len(rows), "storing results")
    db.session.execute(
        update(ResultSet)
        .where(
            ResultSet.tenant_id == cycle.tenant_id,
            ResultSet.cycle_id == cycle.id,
            ResultSet.id != result_set.id,
        )
        .values(current=False)
        .execution_options(synchronize_session=False)
    )
    result_set.current = True
    result_set.levels = count_levels(result_set)
    db.session.commit()
    return result_set


RESULT_COLUMNS = (
    "subject_kind",
    "subject_id",
    "subject_code",
    "kind",
    "track",
    "rated",
    "total",
    "stars",
    "grade",
    "titles",
    "flags",
    "actions",
    "source_scores",
    "explanation",
    "gap",
    "rank",
)
JSON_COLUMNS = frozenset(("titles", "flags", "actions", "source_scores", "explanation"))


def insert_results(result_set: ResultSet, rows: list[tuple[engine.Result, tuple]]) -> None:
    """Write results (each with its subject's ``(kind, id)``) into ``result_set``: on
    PostgreSQL in multi-row INSERTs (:func:`zhibu.bulk.insert_rows`; orjson encodes the
    JSON columns as the rows are sent, the set's ids are written into the statement),
    elsewhere by the ORM's bulk insert.

    Each row's id is time-ordered (a version 7 UUID: the milliseconds, then random
    bits), so a set's rows go in at the end of the primary key's index, where random ids
    would land all over it: every page of a large table's index read and written, and
    written whole to the WAL after each checkpoint.
    """
    if not rows:
        return
    connection = db.session.connection()
    if not bulk.pipelined(connection):
        db.session.execute(insert(EvaluationResult), [_row(result_set, *row) for row in rows])
        return
    bulk.insert_rows(
        connection,
        "results",
        ("id", *RESULT_COLUMNS),
        rows,
        _pair_values,
        tenants={result_set.tenant_id},
        fixed={
            "tenant_id": sql.Literal(result_set.tenant_id),
            "result_set_id": sql.Literal(result_set.id),
            "cycle_id": sql.Literal(result_set.cycle_id),
        },
        casts={"id": "uuid", **dict.fromkeys(JSON_COLUMNS, "json")},
    )


def _pair_values(row: tuple[engine.Result, tuple]) -> tuple:
    return (str(uuid_utils.uuid7()), *_values(*row))


def _values(result: engine.Result, ref: tuple) -> tuple:
    """A result's row for the driver, in :data:`RESULT_COLUMNS` order."""
    return (
        *ref,
        result.subject,
        result.subject_kind,
        result.track,
        result.rated,
        result.total,
        result.stars,
        result.grade,
        _json(result.titles),
        _json(result.flags),
        _json(result.actions),
        _json(result.source_scores),
        encode_explanation(result.explanation),
        result.gap,
        result.rank,
    )


def _json(value) -> str:
    if value:
        return orjson.dumps(value).decode()
    return "{}" if isinstance(value, dict) else "[]"


def encode_explanation(lines: list[engine.Line]) -> str:
    """The explanation as stored: a JSON list of :func:`stored_line` lists."""
    return orjson.dumps(lines, default=stored_line, option=PASS_LINES).decode()


PASS_LINES = orjson.OPT_PASSTHROUGH_DATACLASS  # a Line goes through stored_line


LINE_FIELDS = ("text", "points", "source", "rater", "indicator", "reason", "rule", "en")


def stored_line(line: engine.Line) -> list[Any]:
    """An explanation line as stored: ``[text, points, source, rater, indicator, reason,
    rule, en]`` without trailing nulls (compact: a city's results hold ~600,000 lines; most
    end at their source)."""
    if line.en is not None:
        return [*_head(line), line.rater, line.indicator, line.reason, line.rule, line.en]
    if line.rule is not None:
        return [*_head(line), line.rater, line.indicator, line.reason, line.rule]
    if line.reason is not None:
        return [*_head(line), line.rater, line.indicator, line.reason]
    if line.indicator is not None:
        return [*_head(line), line.rater, line.indicator]
    if line.rater is not None:
        return [*_head(line), line.rater]
    if line.source is not None:
        return [line.text, line.points, line.source]
    return [line.text] if line.points is None else [line.text, line.points]


def _head(line: engine.Line) -> tuple:
    return line.text, line.points, line.source


def explanation_of(result: EvaluationResult) -> list[dict[str, Any]]:
    """The stored explanation as readers want it: one dict per line."""
    return [
        dict(zip(LINE_FIELDS, line, strict=False)) if isinstance(line, list) else line
        for line in result.explanation
    ]


def _row(result_set: ResultSet, result: engine.Result, ref: tuple) -> dict[str, Any]:
    """A result's row as the ORM inserts it (SQLite)."""
    row = dict(zip(RESULT_COLUMNS, _values(result, ref), strict=True))
    for column in JSON_COLUMNS:
        row[column] = orjson.loads(row[column])
    return {
        "tenant_id": result_set.tenant_id,
        "id": uuid_utils.compat.uuid7(),
        "result_set_id": result_set.id,
        "cycle_id": result_set.cycle_id,
        **row,
    }


def results_of(cycle: Cycle) -> list[EvaluationResult]:
    current = current_set(cycle)
    if current is None:
        return []
    return list(
        db.session.scalars(
            select(EvaluationResult)
            .where(
                EvaluationResult.tenant_id == cycle.tenant_id,
                EvaluationResult.result_set_id == current.id,
            )
            .order_by(EvaluationResult.subject_kind.desc(), EvaluationResult.subject_code)
        )
    )


HISTORY_NOTE = "result of an earlier cycle"


def historical(result: EvaluationResult) -> bool:
    """Whether the result is an earlier cycle's imported by :func:`store_history` (a level
    and a total, no line per indicator): its cycle is final, these are its results."""
    lines = result.explanation or []
    return len(lines) == 1 and isinstance(lines[0], list) and lines[0][-1] == HISTORY_NOTE


def store_history(cycle: Cycle, entries: list[dict[str, Any]]) -> ResultSet:
    """Results of an earlier cycle given as facts (from paper, or from another system):
    stored as that cycle's current result set, and the cycle made final. Each is stored
    under its subject's code and kind and on the scheme's track for that kind, as a
    computed result is, so that lists, counts and the overview take it as one."""
    definition, _, version = definition_for(cycle)
    subjects = _history_subjects(cycle.tenant_id, [entry["subject"] for entry in entries])
    result_set = ResultSet(
        tenant_id=cycle.tenant_id,
        id=uuid.uuid4(),
        cycle_id=cycle.id,
        version_id=version.id,
        input_hash="history",
        current=True,
        subjects=len(entries),
    )
    db.session.add(result_set)
    db.session.flush()
    rows = []
    for entry in entries:
        kind, ident = entry["subject"]
        code, unit_kind = subjects.get((kind, ident), ("", kind))
        track = definition.track_of_kind(unit_kind)
        rows.append(
            {
                "tenant_id": cycle.tenant_id,
                "id": uuid.uuid4(),
                "result_set_id": result_set.id,
                "cycle_id": cycle.id,
                "subject_kind": kind,
                "subject_id": ident,
                "subject_code": code,
                "kind": unit_kind,
                "track": track.key if track is not None else None,
                "rated": True,
                "total": entry.get("total"),
                "stars": entry.get("stars"),
                "grade": entry.get("grade"),
                "titles": list(entry.get("titles") or []),
                "flags": list(entry.get("flags") or []),
                "actions": list(entry.get("actions") or []),
                "source_scores": {},
                "explanation": [["历史结果", None, None, None, None, None, None, HISTORY_NOTE]],
                "gap": None,
                "rank": None,
            }
        )
    db.session.execute(insert(EvaluationResult), rows)
    result_set.levels = count_levels(result_set)
    cycle.phase = "final"
    db.session.commit()
    return result_set


def _history_subjects(tenant_id: uuid.UUID, subjects) -> dict[tuple, tuple[str, str]]:
    """(subject kind, id) → (code, kind) of the units and members named (two statements):
    a unit's own kind (村, 社区 …), ``member`` for a member."""
    units = [ident for kind, ident in subjects if kind == "org"]
    members = [ident for kind, ident in subjects if kind == "member"]
    found: dict[tuple, tuple[str, str]] = {}
    if units:
        rows = db.session.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.kind).where(
                OrgUnit.tenant_id == tenant_id, OrgUnit.id.in_(units)
            )
        )
        found |= {("org", i): (code, kind) for i, code, kind in rows}
    if members:
        rows = db.session.execute(
            select(Member.id, Member.archive_code).where(
                Member.tenant_id == tenant_id, Member.id.in_(members)
            )
        )
        found |= {("member", i): (code or "", "member") for i, code in rows}
    return found


def level_groups(cycle: Cycle, result_set: ResultSet | None = None) -> list[dict[str, Any]]:
    """The current results (or ``result_set``'s) counted by level: one row per track,
    kind, subject kind, rated, stars, grade, set of titles and vetoed or not, with its
    ``count``. Read from the set, which keeps them from when its results were written
    (:func:`count_levels`); counted again only for a set written without them."""
    current = current_set(cycle) if result_set is None else result_set
    if current is None:
        return []
    if current.levels is not None:
        return current.levels
    return count_levels(current)


def count_levels(result_set: ResultSet) -> list[dict[str, Any]]:
    """The set's results counted by the database (see :func:`level_groups`): a few dozen
    rows whatever the cycle's size; only the distinct title lists are decoded."""
    columns = _level_columns()
    rows = db.session.execute(
        select(*columns, func.count()).where(*_of_set(result_set)).group_by(*columns)
    )
    return [_level_row(row) for row in rows]


def count_levels_by_unit(
    result_set: ResultSet, subject_kind: str | None = None
) -> list[dict[str, Any]]:
    """The set's results (of ``subject_kind`` only, if given) counted by the database as
    :func:`count_levels` does, and by the unit above each subject (``parent_id``: a unit's
    parent unit, a member's unit, as the roster stands now): a few rows per unit, what a
    report of levels or targets per unit reads instead of every result."""
    R = EvaluationResult
    parent = case((R.subject_kind == "org", OrgUnit.parent_id), else_=Member.org_id)
    columns = (*_level_columns(), parent)
    query = (
        select(*columns, func.count())
        .select_from(R)
        .outerjoin(OrgUnit, _the_subject(OrgUnit, "org"))
        .outerjoin(Member, _the_subject(Member, "member"))
        .where(*_of_set(result_set))
        .group_by(*columns)
    )
    if subject_kind is not None:
        query = query.where(R.subject_kind == subject_kind)
    return [
        {**_level_row(row[:-2] + row[-1:]), "parent_id": row[-2]}
        for row in db.session.execute(query)
    ]


def _the_subject(model, subject_kind: str):
    """Join a result to its subject's row (a unit's, a member's)."""
    R = EvaluationResult
    return and_(
        model.tenant_id == R.tenant_id, R.subject_kind == subject_kind, model.id == R.subject_id
    )


def _of_set(result_set: ResultSet) -> tuple:
    return (
        EvaluationResult.tenant_id == result_set.tenant_id,
        EvaluationResult.result_set_id == result_set.id,
    )


def _level_columns() -> tuple:
    """What a result is counted by: track, kind, subject kind, rated, stars, grade, its
    titles (as text) and whether it was vetoed."""
    R = EvaluationResult
    vetoed = holds(R.flags, VETOED)
    return (
        R.track,
        R.kind,
        R.subject_kind,
        R.rated,
        R.stars,
        R.grade,
        cast(R.titles, Text),
        vetoed,
    )


def _level_row(row) -> dict[str, Any]:
    track, kind, subject_kind, rated, stars, grade, titles_text, vetoed, count = row
    return {
        "track": track,
        "kind": kind,
        "subject_kind": subject_kind,
        "rated": bool(rated),
        "stars": stars,
        "grade": grade,
        "titles": orjson.loads(titles_text) if titles_text else [],
        "vetoed": bool(vetoed),
        "count": count,
    }


def summary(
    cycle: Cycle, results: list | None = None, definition: engine.Definition | None = None
) -> dict[str, Any]:
    """Star and grade distribution per track (``rated``, ``vetoed``, ``missing`` and
    ``not_rated`` subjects: see :func:`counted_as`), and the scheme's targets against the
    actual shares: counted by the database over the current results
    (:func:`level_groups`), or from ``results`` already loaded (rows with the result
    columns as attributes)."""
    if results is None:
        groups = level_groups(cycle)
    else:
        groups = [
            {
                "track": r.track,
                "kind": r.kind,
                "subject_kind": r.subject_kind,
                "rated": r.rated,
                "stars": r.stars,
                "grade": r.grade,
                "titles": list(r.titles),
                "vetoed": VETOED in r.flags,  # as engine.rules.vetoed
                "count": 1,
            }
            for r in results
        ]
    return summary_of_groups(cycle, groups, definition)


def track_key(definition: engine.Definition | None, track: str | None, kind: str) -> str | None:
    """A stored result's track: its own, or, for a level loaded as history before
    migration 0023 (which names none), the track of its subject's kind."""
    if track is not None or definition is None:
        return track
    found = definition.track_of_kind(kind)
    return found.key if found is not None else None


def leveled_tracks(definition: engine.Definition) -> frozenset[str]:
    """The tracks that declare levels (bands, a floor or grades). A rated result without
    a level is 评分不全 only on one of them: a track that declares none (党员(只核查,不评星)
    of enterprise_5std) checks its subjects and gives no level."""
    return frozenset(t.key for t in definition.tracks if t.levels)


def counted_as(group: dict[str, Any], leveled: frozenset[str]) -> str:
    """Where a group of results counts in its track: ``rated`` (with a level, or checked
    on a track without levels), ``vetoed`` (一票否决: rated, the level cancelled),
    ``missing`` (rated, no level yet: 评分不全) or ``not_rated`` (retired, exempt, not
    covered: 不参评). The 发布 preview (``publication.level_key``), the results' level
    filter and the preview's list of 评分不全 split them the same way."""
    if not group["rated"]:
        return "not_rated"
    if group["stars"] is not None or group["grade"]:
        return "rated"
    if group.get("vetoed"):  # a set counted before 0019 has no such key: see the migration
        return "vetoed"
    return "missing" if group["track"] in leveled else "rated"


def missing_level(leveled: frozenset[str]):
    """SQL on ``EvaluationResult``: 评分不全 as :func:`counted_as` counts it (rated, no
    level, on a track with levels, not vetoed)."""
    R = EvaluationResult
    return and_(
        R.rated,
        R.stars.is_(None),
        func.coalesce(R.grade, "") == "",
        R.track.in_(sorted(leveled)),
        ~holds(R.flags, VETOED),
    )


def summary_of_groups(
    cycle: Cycle, groups: list[dict[str, Any]], definition: engine.Definition | None = None
) -> dict[str, Any]:
    """:func:`summary` from counted groups of results (see :func:`level_groups`);
    ``definition``: the cycle's, when the caller has it already."""
    scheme = plugins.registry().scheme(cycle.scheme_key)
    definition = definition or definition_for(cycle)[0]
    leveled = leveled_tracks(definition)
    tracks: dict[str, dict[str, Any]] = {}
    counted = []
    for g in groups:
        n = g["count"]
        if g["track"] is None:  # a level loaded as history before 0023
            g = {**g, "track": track_key(definition, None, g["kind"])}
        counted.append(
            (
                engine.Result(
                    "", g["kind"], g["track"], g["rated"], None, g["stars"], g["grade"], g["titles"]
                ),
                n,
            )
        )
        if g["track"] is None:
            continue
        track = tracks.setdefault(
            g["track"],
            {
                "rated": 0,
                "vetoed": 0,
                "missing": 0,
                "not_rated": 0,
                "stars": {},
                "grades": {},
                "titles": {},
            },
        )
        track[counted_as(g, leveled)] += n
        if g["stars"] is not None:
            key = str(g["stars"])
            track["stars"][key] = track["stars"].get(key, 0) + n
        if g["grade"]:
            track["grades"][g["grade"]] = track["grades"].get(g["grade"], 0) + n
        for title in g["titles"]:
            track["titles"][title] = track["titles"].get(title, 0) + n
    targets = engine.measure_counted(scheme.targets, cycle.period, counted)
    return {
        "cycle": cycle.label,
        "phase": cycle.phase,
        "tracks": tracks,
        "targets": [vars(t) for t in targets],
    }
