"""Publication of results (结果公示, 确定结果), objections (异议) and each subject's history.

The seeds: "评定结果作为党务公开的一项重要内容……进行公示,接受教职工监督" (akesu_college);
"结果公示,无异议后进行授牌" (county_observation). So publishing is an act of its own: an
administrator first reads what will be published (:func:`preview`: counts per level,
subjects without a total and why, open objections, the differences from the previous
publication) and then confirms it (:func:`publish`), naming the version the preview was
based on; a second confirmation of the same preview (two administrators at once) is
refused, so one publication (one version) is made.

A publication is an immutable snapshot of the result set that was current: the 公示名单 is
rendered from its entries, the same after any later recompute. Neither a publication nor
an entry is ever updated or deleted (refused here, and by a trigger in the database).

During 结果公示 any user of the tenant may lodge an objection to a published result
(:func:`lodge`); an administrator rejects it with a written answer or upholds it
(:func:`uphold`), after which the subject is corrected, recomputed and re-published as a
new version. The publicity period ends :func:`publicity_days` working days (Monday to
Friday) after the publication; finalizing is refused while objections are open.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
import uuid_utils
import uuid_utils.compat
from psycopg import sql
from sqlalchemy import Text, cast, event, func, insert, or_, select

from zhibu import bulk, plugins
from zhibu.accounts import policy
from zhibu.accounts.access import TenantAccess
from zhibu.audit import record
from zhibu.db import db
from zhibu.engine.rules import VETOED
from zhibu.errors import Conflict, Forbidden, Invalid, NotFound
from zhibu.evaluations import compute, cycles, phases
from zhibu.evidence import service as evidence
from zhibu.i18n import _
from zhibu.models import (
    PHASES,
    Cycle,
    EvaluationResult,
    Member,
    Objection,
    OrgUnit,
    Publication,
    PublicationEntry,
    ResultSet,
    SchemeVersion,
    User,
)
from zhibu.tenancy.scope import current_scope

DEFAULT_PUBLICITY_DAYS = 5  # working days, Monday to Friday
PUBLISHED = ("publicity", "final")


# --- immutability ------------------------------------------------------------------------


class Immutable(Conflict):
    """A published row was about to change."""


@event.listens_for(Publication, "before_update")
@event.listens_for(PublicationEntry, "before_update")
@event.listens_for(Publication, "before_delete")
@event.listens_for(PublicationEntry, "before_delete")
def _refuse_change(_mapper, _connection, target) -> None:
    raise Immutable(_("已发布的结果不能修改;请重新发布一个新版本。"))


# --- settings and dates ------------------------------------------------------------------


def publicity_days(cycle: Cycle) -> int:
    """The length of the publicity period in working days: the tenant's setting
    ``publicity_days`` where the scheme makes it adjustable, else the scheme's own
    ``Scheme.publicity_days``, else five."""
    version = db.session.get(SchemeVersion, (cycle.tenant_id, cycle.version_id))
    if version is not None and isinstance(version.settings.get("publicity_days"), int):
        return version.settings["publicity_days"]
    scheme = plugins.registry().schemes.get(cycle.scheme_key)
    return getattr(scheme, "publicity_days", DEFAULT_PUBLICITY_DAYS)


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days (Monday to Friday) after ``start``."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def today() -> date:
    return date.today()


# --- reading -----------------------------------------------------------------------------


def publications_of(cycle: Cycle) -> list[Publication]:
    return list(
        db.session.scalars(
            select(Publication)
            .where(Publication.tenant_id == cycle.tenant_id, Publication.cycle_id == cycle.id)
            .order_by(Publication.version)
        )
    )


def latest(cycle: Cycle) -> Publication | None:
    return db.session.scalar(
        select(Publication)
        .where(Publication.tenant_id == cycle.tenant_id, Publication.cycle_id == cycle.id)
        .order_by(Publication.version.desc())
        .limit(1)
    )


MAX_VERSION = 2**31 - 1  # the column's largest: a larger number names no version


def get_publication(cycle: Cycle, version: int | None = None) -> Publication:
    if version is None:
        found = latest(cycle)
    elif 0 < version <= MAX_VERSION:
        found = db.session.scalar(
            select(Publication).where(
                Publication.tenant_id == cycle.tenant_id,
                Publication.cycle_id == cycle.id,
                Publication.version == version,
            )
        )
    else:
        found = None
    if found is None:
        if version is None:
            raise NotFound(_("考评周期 %(label)s 尚未发布结果。", label=cycle.label))
        raise NotFound(_("没有第 %(n)s 版公示名单。", n=version), field="version")
    return found


def entries_of(publication: Publication, where=None) -> list[PublicationEntry]:
    query = select(PublicationEntry).where(
        PublicationEntry.tenant_id == publication.tenant_id,
        PublicationEntry.publication_id == publication.id,
    )
    if where is not None:
        query = query.where(where)
    return list(
        db.session.scalars(
            query.order_by(
                PublicationEntry.subject_kind.desc(),
                PublicationEntry.track,
                PublicationEntry.subject_code,
            )
        )
    )


ENTRIES_PAGE = 100  # entries on a page of the 公示名单


def entries_page(
    publication: Publication,
    where=None,
    *,
    track: str = "",
    q: str = "",
    page: int = 1,
    size: int = ENTRIES_PAGE,
) -> tuple[list[PublicationEntry], int, int]:
    """One page of a publication's entries (those meeting ``where``, of ``track``, whose
    name or code holds ``q``) in the list's order, how many match, and the page shown
    (within the pages there are)."""
    e = PublicationEntry
    query = select(e).where(
        e.tenant_id == publication.tenant_id, e.publication_id == publication.id
    )
    if where is not None:
        query = query.where(where)
    if track:
        query = query.where(e.track == track)
    if q.strip():
        q = q.strip()
        query = query.where(
            or_(e.name.contains(q, autoescape=True), e.subject_code.contains(q, autoescape=True))
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, min(page, -(-total // size) or 1))
    rows = db.session.scalars(
        query.order_by(e.subject_kind.desc(), e.track, e.subject_code)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return list(rows), total, page


def in_publicity(tenant_id: uuid.UUID) -> list[tuple[Cycle, Publication]]:
    """The tenant's cycles in 结果公示 with their newest publication (for the pages that
    lead to the 公示名单 and to objections)."""
    found = []
    for cycle in db.session.scalars(
        select(Cycle)
        .where(Cycle.tenant_id == tenant_id, Cycle.phase == "publicity")
        .order_by(Cycle.label)
    ):
        newest = latest(cycle)
        if newest is not None:
            found.append((cycle, newest))
    return found


def publication_of_set(cycle: Cycle, result_set_id: uuid.UUID) -> Publication | None:
    """The newest publication made from ``result_set_id`` (a result page says which)."""
    return db.session.scalar(
        select(Publication)
        .where(
            Publication.tenant_id == cycle.tenant_id,
            Publication.cycle_id == cycle.id,
            Publication.result_set_id == result_set_id,
        )
        .order_by(Publication.version.desc())
        .limit(1)
    )


def _current_set(cycle: Cycle) -> ResultSet | None:
    return db.session.scalar(
        select(ResultSet).where(
            ResultSet.tenant_id == cycle.tenant_id,
            ResultSet.cycle_id == cycle.id,
            ResultSet.current,
        )
    )


PUBLISHED_COLUMNS = (
    EvaluationResult.id,
    EvaluationResult.subject_kind,
    EvaluationResult.subject_id,
    EvaluationResult.subject_code,
    EvaluationResult.track,
    EvaluationResult.rated,
    EvaluationResult.total,
    EvaluationResult.stars,
    EvaluationResult.grade,
    EvaluationResult.titles,
    EvaluationResult.flags,
    EvaluationResult.gap,
)


def _results(result_set: ResultSet, where=None) -> list:
    """The set's results (those meeting ``where``) as rows of what a publication keeps
    (no explanations: a city's sixty thousand results hold some six hundred thousand
    lines)."""
    query = select(*PUBLISHED_COLUMNS).where(
        EvaluationResult.tenant_id == result_set.tenant_id,
        EvaluationResult.result_set_id == result_set.id,
    )
    if where is not None:
        query = query.where(where)
    return list(
        db.session.execute(
            query.order_by(EvaluationResult.subject_kind.desc(), EvaluationResult.subject_code)
        )
    )


def _names(tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of ``ids`` (units and members): the tenant's, read whole when there are
    many (no list of sixty thousand ids in one statement)."""
    names: dict[uuid.UUID, str] = {}
    if not ids:
        return names
    for model in (OrgUnit, Member):
        query = select(model.id, model.name).where(model.tenant_id == tenant_id)
        if len(ids) <= 500:
            query = query.where(model.id.in_(ids))
        names.update({row.id: row.name for row in db.session.execute(query) if row.id in ids})
    return names


def level_key(group: dict[str, Any], leveled: frozenset[str]) -> str:
    """A result's level as counted (``group``: its rated, stars, grade, track and vetoed):
    ``stars:3``, ``grade:excellent``, ``checked`` (rated on a track without levels:
    只核查), ``vetoed`` (一票否决), ``missing`` (rated, no level: 评分不全) or ``unrated``
    (not rated: retired, exempt, not covered). The split of ``compute.counted_as``."""
    where = compute.counted_as(group, leveled)
    if where == "rated" and group["stars"] is not None:
        return f"stars:{group['stars']}"
    if where == "rated" and group["grade"]:
        return f"grade:{group['grade']}"
    return {"rated": "checked", "not_rated": "unrated"}.get(where, where)


def counts_of(rows, leveled: frozenset[str]) -> dict[str, dict[str, int]]:
    """``{track: {level_key: n}}`` over ``rows`` (results with their flags)."""
    counts: dict[str, Counter] = {}
    for row in rows:
        group = {
            "rated": row.rated,
            "stars": row.stars,
            "grade": row.grade,
            "track": row.track,
            "vetoed": VETOED in (row.flags or ()),
        }
        counts.setdefault(row.track or "", Counter())[level_key(group, leveled)] += 1
    return {track: dict(sorted(c.items())) for track, c in sorted(counts.items())}


def _leveled(cycle: Cycle) -> frozenset[str]:
    return compute.leveled_tracks(compute.definition_for(cycle)[0])


COMPARED = ("total", "stars", "grade", "titles", "rated")


def differences(old: list, new: list) -> list[dict[str, Any]]:
    """What changed between two lists of entries (or results), by subject: ``{subject_id,
    subject_kind, code, name?, change: added|removed|changed, from, to}``."""
    before = {str(r.subject_id): r for r in old}
    after = {str(r.subject_id): r for r in new}
    found = []
    for key in sorted(set(before) | set(after), key=lambda k: _code(before, after, k)):
        a, b = before.get(key), after.get(key)
        row = b or a
        entry = {
            "subject_id": key,
            "subject_kind": row.subject_kind,
            "code": row.subject_code,
            "name": getattr(row, "name", ""),
        }
        if a is None or b is None:
            entry |= {"change": "added" if a is None else "removed"}
            entry |= {"from": _fields(a), "to": _fields(b)}
            found.append(entry)
            continue
        was, now = _fields(a), _fields(b)
        if was != now:
            changed = [f for f in COMPARED if was[f] != now[f]]
            found.append(
                entry
                | {
                    "change": "changed",
                    "from": {f: was[f] for f in changed},
                    "to": {f: now[f] for f in changed},
                }
            )
    return found


def _code(before, after, key) -> str:
    row = after.get(key) or before.get(key)
    return f"{row.subject_kind}:{row.subject_code}"


def _fields(row) -> dict[str, Any] | None:
    if row is None:
        return None
    total = None if row.total is None else round(row.total, 2)
    return {
        "total": total,
        "stars": row.stars,
        "grade": row.grade,
        "titles": sorted(row.titles or []),
        "rated": bool(row.rated),
    }


# --- preview and publish -----------------------------------------------------------------


def _target(cycle: Cycle, to: str | None) -> str:
    if to is None:
        to = "publicity" if PHASES.index(cycle.phase) < PHASES.index("publicity") else "final"
    if to not in PUBLISHED:
        raise Invalid(_("只能发布公示名单或确定结果。"), field="to")
    if cycle.phase == "final":
        raise Conflict(_("考评周期 %(label)s 已确定结果,结果不再改变。", label=cycle.label))
    return to


def refusal(cycle: Cycle, to: str, current: ResultSet | None, open_count: int) -> str | None:
    """Why publishing ``to`` is refused now (None: it may go ahead)."""
    if current is None:
        return _("尚未计算结果,请先重新计算再发布。")
    stale = cycles.stale_refusal(cycle)
    if stale:
        return stale
    if to == "final" and open_count:
        return _(
            "还有 %(n)s 条异议未处理,不能确定结果;请先答复全部异议。",
            n=open_count,
        )
    return None


SHOWN = 200  # missing subjects and changes a preview lists (it counts them all)


def preview(cycle: Cycle, to: str | None = None) -> dict[str, Any]:
    """What confirming would publish: the current results' counts per level, the subjects
    without a total and why (their flags), the open objections, the differences from the
    newest publication, the version it would make and why it would be refused (if so).

    Read without loading the cycle's results: the counts come from the set's stored
    counts, the subjects without a total and the differences are found by the database,
    and the first :data:`SHOWN` of each are listed (``missing_total`` and
    ``changes_total`` count them all; a publication keeps all its changes)."""
    to = _target(cycle, to)
    current = _current_set(cycle)
    previous = latest(cycle)
    groups = compute.level_groups(cycle, current) if current is not None else []
    leveled = _leveled(cycle)
    missing, missing_total = _missing(current, leveled) if current is not None else ([], 0)
    changes = []
    if previous is not None and current is not None:
        changes = differences(*_changed_rows(previous, current))
    names = _names(
        cycle.tenant_id,
        {r.subject_id for r in missing} | {uuid.UUID(c["subject_id"]) for c in changes[:SHOWN]},
    )
    for change in changes[:SHOWN]:
        change["name"] = names.get(uuid.UUID(change["subject_id"]), change["name"])
    open_rows = objections_of(cycle, status="open")
    days = publicity_days(cycle)
    return {
        "to": to,
        "phase": cycle.phase,
        "republish": to == "publicity" and cycle.phase == "publicity",
        "version": (previous.version if previous else 0) + 1,
        "based_on": previous.version if previous else 0,
        "result_set_id": current.id if current else None,
        "computed_at": current.computed_at if current else None,
        "subjects": current.subjects if current else 0,
        "counts": counts_of_groups(groups, leveled),
        "missing": [
            {
                "subject_id": r.subject_id,
                "subject_kind": r.subject_kind,
                "code": r.subject_code,
                "name": names.get(r.subject_id, r.subject_code),
                "track": r.track,
                "flags": list(r.flags),
            }
            for r in missing
        ],
        "missing_total": missing_total,
        "open_objections": open_rows,
        "changes": changes[:SHOWN],
        "changes_total": len(changes),
        "publicity_days": days,
        "ends_on": add_working_days(today(), days) if to == "publicity" else None,
        # the cycle's planned end of publicity (its calendar), to say when this is later
        "planned_end": (cycle.deadlines or {}).get("publicity") if to == "publicity" else None,
        "refusal": refusal(cycle, to, current, len(open_rows)),
    }


def counts_of_groups(
    groups: list[dict[str, Any]], leveled: frozenset[str]
) -> dict[str, dict[str, int]]:
    """:func:`counts_of` from results counted by level (:func:`compute.level_groups`)."""
    counts: dict[str, Counter] = {}
    for g in groups:
        counts.setdefault(g["track"] or "", Counter())[level_key(g, leveled)] += g["count"]
    return {track: dict(sorted(c.items())) for track, c in sorted(counts.items())}


def _missing(result_set: ResultSet, leveled: frozenset[str]) -> tuple[list, int]:
    """The first :data:`SHOWN` rated results without a level (评分不全; see
    :func:`level_key`), in the lists' order, and how many there are."""
    r = EvaluationResult
    without = (
        (r.tenant_id == result_set.tenant_id)
        & (r.result_set_id == result_set.id)
        & compute.missing_level(leveled)
    )
    rows = db.session.execute(
        select(r.subject_id, r.subject_kind, r.subject_code, r.track, r.flags)
        .where(without)
        .order_by(r.subject_kind.desc(), r.subject_code)
        .limit(SHOWN)
    ).all()
    if len(rows) < SHOWN:
        return rows, len(rows)
    return rows, db.session.scalar(select(func.count()).select_from(r).where(without))


def _changed_rows(previous: Publication, current: ResultSet) -> tuple[list, list]:
    """The previous publication's entries and the current results of the subjects whose
    published fields may differ, found by the database (a raw comparison: what
    :func:`differences` then compares exactly, rounding totals and sorting titles, is
    always among them).

    Each entry finds its result by one lookup in the results' index (tenant, set,
    subject), whatever the planner believes of a publication written a moment ago; the
    results without an entry are found from the two lists of subject ids, read from their
    indexes — an anti-join there was planned as a loop over every pair when the new
    entries were not yet in the statistics (minutes at city size)."""
    e, r = PublicationEntry, EvaluationResult
    fields = ("total", "stars", "grade", "rated")
    differ = or_(
        r.id.is_(None),
        *(getattr(r, f).is_distinct_from(getattr(e, f)) for f in fields),
        cast(r.titles, Text).is_distinct_from(cast(e.titles, Text)),
    )
    old_columns = [getattr(e, c).label(f"e_{c}") for c in ENTRY_COLUMNS]
    new_columns = [c.label(f"r_{c.key}") for c in PUBLISHED_COLUMNS]
    changed = db.session.execute(
        select(*old_columns, *new_columns)
        .outerjoin(
            r,
            (r.tenant_id == e.tenant_id)
            & (r.result_set_id == current.id)
            & (r.subject_id == e.subject_id),
        )
        .where(e.tenant_id == previous.tenant_id, e.publication_id == previous.id, differ)
    ).all()
    old = [_prefixed(row, "e_", ENTRY_COLUMNS) for row in changed]
    new = [_prefixed(row, "r_", [c.key for c in PUBLISHED_COLUMNS]) for row in changed]
    return old, [n for n in new if n.id is not None] + _unpublished(previous, current)


def _unpublished(previous: Publication, current: ResultSet) -> list:
    """The current results of subjects the previous publication has no entry for."""
    e, r = PublicationEntry, EvaluationResult
    published = set(
        db.session.scalars(
            select(e.subject_id).where(
                e.tenant_id == previous.tenant_id, e.publication_id == previous.id
            )
        )
    )
    ids = [
        s
        for s in db.session.scalars(
            select(r.subject_id).where(
                r.tenant_id == current.tenant_id, r.result_set_id == current.id
            )
        )
        if s not in published
    ]
    if not ids:
        return []
    if len(ids) <= 1000:
        return _results(current, r.subject_id.in_(ids))
    wanted = set(ids)  # many: the set's rows read whole, not a list of ids in a statement
    return [row for row in _results(current) if row.subject_id in wanted]


def _prefixed(row, prefix: str, names) -> SimpleNamespace:
    return SimpleNamespace(**{name: getattr(row, prefix + name) for name in names})


def publish(
    cycle: Cycle,
    to: str | None = None,
    *,
    based_on: int,
    result_set_id: uuid.UUID | None = None,
    note: str = "",
) -> Publication:
    """Publish the current results as a new version (and move the cycle to ``to``).

    ``based_on`` is the version the confirmed preview was made on (0: none yet), and
    ``result_set_id`` the results it showed: the cycle's row is locked first, so of two
    confirmations of one preview the second finds a newer version (or other results) and
    is refused (409); one publication is made.
    """
    db.session.refresh(cycle, with_for_update=True)  # one publication of a cycle at a time
    to = _target(cycle, to)
    previous = latest(cycle)
    if (previous.version if previous else 0) != based_on:
        raise Conflict(
            _(
                "公示名单已有第 %(n)s 版(可能已由他人发布);请重新查看后再确认。",
                n=previous.version if previous else 0,
            ),
            field="based_on",
        )
    current = _current_set(cycle)
    if result_set_id is not None and (current is None or current.id != result_set_id):
        raise Conflict(_("结果在您查看后已重新计算;请重新查看后再确认。"), field="result_set_id")
    open_count = _open_count(cycle)
    refused = refusal(cycle, to, current, open_count)
    if refused:
        raise Conflict(refused)
    rows = _results(current)
    names = _names(cycle.tenant_id, {r.subject_id for r in rows})
    scope = current_scope()
    changes = differences(_entry_rows(previous), rows) if previous else []
    for change in changes:
        change["name"] = names.get(uuid.UUID(change["subject_id"]), change["name"])
    published_on = today()
    publication = Publication(
        tenant_id=cycle.tenant_id,
        id=uuid.uuid4(),
        cycle_id=cycle.id,
        version=(previous.version if previous else 0) + 1,
        phase=to,
        result_set_id=current.id,
        user_id=scope.user_id,
        username=scope.username or "",
        ends_on=(
            add_working_days(published_on, publicity_days(cycle)) if to == "publicity" else None
        ),
        counts=counts_of(rows, _leveled(cycle)),
        changes=changes,
        note=note.strip(),
    )
    db.session.add(publication)
    db.session.flush()
    _insert_entries(publication, rows, names)
    before = cycle.phase
    cycle.phase = to
    record(
        db.session,
        action="publish",
        entity="cycles",
        entity_id=str(cycle.id),
        tenant_id=cycle.tenant_id,
        before={"phase": before},
        after={"phase": to, "version": publication.version, "subjects": len(rows)},
    )
    db.session.commit()
    return publication


ENTRY_COLUMNS = (
    "result_id",
    "subject_kind",
    "subject_id",
    "subject_code",
    "name",
    "track",
    "rated",
    "total",
    "stars",
    "grade",
    "titles",
    "gap",
)


def _insert_entries(publication: Publication, rows: list, names: dict) -> None:
    """The publication's entries, copied from the result rows: on PostgreSQL in multi-row
    INSERTs (:func:`zhibu.bulk.insert_rows`: a city publishes sixty thousand), elsewhere
    by the ORM's bulk insert. Ids are time-ordered, as the results' are."""
    if not rows:
        return

    def values(r) -> tuple:
        return (
            str(uuid_utils.uuid7()),
            r.id,
            r.subject_kind,
            r.subject_id,
            r.subject_code,
            names.get(r.subject_id, ""),
            r.track,
            r.rated,
            r.total,
            r.stars,
            r.grade,
            orjson.dumps(list(r.titles or [])).decode(),
            r.gap,
        )

    connection = db.session.connection()
    if bulk.pipelined(connection):
        bulk.insert_rows(
            connection,
            "publication_entries",
            ("id", *ENTRY_COLUMNS),
            rows,
            values,
            tenants={publication.tenant_id},
            fixed={
                "tenant_id": sql.Literal(publication.tenant_id),
                "publication_id": sql.Literal(publication.id),
            },
            casts={"id": "uuid", "titles": "json"},
        )
        return
    entries = []
    for r in rows:
        row = dict(zip(("id", *ENTRY_COLUMNS), values(r), strict=True))
        row["id"] = uuid_utils.compat.uuid7()
        row["titles"] = list(r.titles or [])
        entries.append(row | {"tenant_id": publication.tenant_id, "publication_id": publication.id})
    db.session.execute(insert(PublicationEntry), entries)


def _entry_rows(publication: Publication, where=None) -> list:
    """A publication's entries (those meeting ``where``) as plain rows (for the
    differences from the next one)."""
    columns = [getattr(PublicationEntry, c) for c in ENTRY_COLUMNS]
    query = select(*columns).where(
        PublicationEntry.tenant_id == publication.tenant_id,
        PublicationEntry.publication_id == publication.id,
    )
    if where is not None:
        query = query.where(where)
    return list(db.session.execute(query))


# --- objections --------------------------------------------------------------------------


def _open_count(cycle: Cycle) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Objection)
        .where(
            Objection.tenant_id == cycle.tenant_id,
            Objection.cycle_id == cycle.id,
            Objection.status == "open",
        )
    )


def objections_of(
    cycle: Cycle, *, status: str | None = None, user_id: uuid.UUID | None = None
) -> list[Objection]:
    query = select(Objection).where(
        Objection.tenant_id == cycle.tenant_id, Objection.cycle_id == cycle.id
    )
    if status is not None:
        query = query.where(Objection.status == status)
    if user_id is not None:
        query = query.where(Objection.user_id == user_id)
    return list(db.session.scalars(query.order_by(Objection.created_at, Objection.id)))


def objections_for(access: TenantAccess, cycle: Cycle) -> list[Objection]:
    """Every objection for an administrator; one's own for anyone else who may lodge one;
    none for an overseer (they see counts: :func:`open_objections`)."""
    if policy.allows(access, "admin"):
        return objections_of(cycle)
    policy.require(access, "object")
    return objections_of(cycle, user_id=access.user.id)


def open_objections(tenant_ids, cycle_ids=None) -> dict[uuid.UUID, int]:
    """Open objections per tenant (of ``cycle_ids`` only, if given): what an overseer
    sees of them."""
    query = (
        select(Objection.tenant_id, func.count())
        .where(Objection.tenant_id.in_(list(tenant_ids)), Objection.status == "open")
        .group_by(Objection.tenant_id)
    )
    if cycle_ids is not None:
        query = query.where(Objection.cycle_id.in_(list(cycle_ids)))
    return {tenant: n for tenant, n in db.session.execute(query)}


def _objection_owner(tenant_id: uuid.UUID, owner_id: uuid.UUID) -> evidence.Owner | None:
    """An objection's files (issue 25): attached by whoever may object, under the unit of
    its subject (a member's: their unit); opened by its author and the administrators
    (:func:`zhibu.accounts.policy.may_see_evidence`)."""
    objection = db.session.get(Objection, (tenant_id, owner_id))
    if objection is None:
        return None
    org_id = objection.subject_id
    if objection.subject_kind == "member":
        member = db.session.get(Member, (tenant_id, objection.subject_id))
        if member is None:
            return None
        org_id = member.org_id
    unit = db.session.get(OrgUnit, (tenant_id, org_id))
    if unit is None:
        return None
    return evidence.Owner(unit, "object", lodged_by=objection.user_id)


evidence.register_owner("objection", _objection_owner)


def files_of(access: TenantAccess, rows: list[Objection]) -> dict[uuid.UUID, tuple[list, bool]]:
    """Each objection's files (one query) and whether the caller may open them."""
    found = evidence.files_of(access.tenant_id, "objection", [o.id for o in rows])
    out = {}
    for o in rows:
        sees = policy.may_see_evidence(access, "", "objection", lodged_by=o.user_id)
        out[o.id] = (found.get((o.id, ""), []), sees)
    return out


def add_files(
    access: TenantAccess, cycle: Cycle, objection_id: uuid.UUID, uploads
) -> list[uuid.UUID]:
    """More files for the caller's own open objection (the API files an objection, then
    its files); each checked as every evidence file, all refused if one is."""
    objection = get_objection(cycle, objection_id)
    if objection.user_id != access.user.id:
        raise Forbidden(_("只有提出异议的本人可以为异议添加附件。"), field="objection_id")
    if objection.status != "open":
        raise Conflict(_("这条异议已经答复过了。"))
    return evidence.attach_ids(access, "objection", objection.id, uploads)


def lodge(
    access: TenantAccess,
    cycle: Cycle,
    subject_kind: str,
    subject_id: uuid.UUID,
    reason: str,
    uploads=(),
) -> Objection:
    """An objection by the caller to the published result of a subject, with a reason;
    only during 结果公示, up to the end of the publicity period, against a result in the
    newest publication that the caller may read. ``uploads`` (name, bytes): its files,
    checked as every evidence file (size, kind by content), the objection and its files
    saved together or not at all."""
    policy.require(access, "object")
    checked = [evidence.check_upload(name, content) for name, content in uploads]
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("请写明异议的理由。"), field="reason")
    if len(reason) > 2000:
        raise Invalid(_("异议理由不能超过 2000 字。"), field="reason")
    if cycle.phase != "publicity":
        raise Conflict(_("考评周期 %(label)s 不在结果公示阶段,不能提出异议。", label=cycle.label))
    publication = latest(cycle)
    if publication is None:
        raise Conflict(_("考评周期 %(label)s 尚未发布结果。", label=cycle.label))
    if publication.ends_on is not None and today() > publication.ends_on:
        raise Conflict(
            _("公示期已于 %(day)s 结束,不能再提出异议。", day=publication.ends_on.isoformat())
        )
    entry = db.session.scalar(
        select(PublicationEntry).where(
            PublicationEntry.tenant_id == cycle.tenant_id,
            PublicationEntry.publication_id == publication.id,
            PublicationEntry.subject_kind == subject_kind,
            PublicationEntry.subject_id == subject_id,
        )
    )
    if entry is None or not may_see_entry(access, entry):
        raise NotFound(_("公示名单中没有这个考评对象。"), field="subject_id")
    objection = Objection(
        tenant_id=cycle.tenant_id,
        id=uuid.uuid4(),
        cycle_id=cycle.id,
        publication_id=publication.id,
        subject_kind=subject_kind,
        subject_id=subject_id,
        subject_name=entry.name or entry.subject_code,
        reason=reason,
        user_id=access.user.id,
        username=access.user.username,
    )
    db.session.add(objection)
    if checked:
        db.session.flush()
        with evidence.written() as keys:
            evidence.add(access, "objection", objection.id, checked, keys)
            db.session.commit()
    else:
        db.session.commit()
    return objection


def may_see_entry(access: TenantAccess, entry: PublicationEntry) -> bool:
    """A unit's published result is open to everyone who reads the tenant (党务公开); a
    member's only to whoever may read that member's result."""
    if entry.subject_kind == "org":
        return True
    return policy.may_read_result(access, entry.subject_kind, entry.subject_id, "publicity")


def visible_entries(access: TenantAccess):
    """A condition on :class:`PublicationEntry` rows: units for all, members by policy."""
    from sqlalchemy import or_

    return or_(
        PublicationEntry.subject_kind == "org",
        policy.subjects_visible(access, PublicationEntry.subject_kind, PublicationEntry.subject_id),
    )


def get_objection(cycle: Cycle, objection_id: uuid.UUID) -> Objection:
    found = db.session.get(Objection, (cycle.tenant_id, objection_id))
    if found is None or found.cycle_id != cycle.id:
        raise NotFound(_("没有这条异议。"), field="objection_id")
    return found


def _answer(cycle: Cycle, objection: Objection, status: str, text: str) -> Objection:
    """Record the decision; the objection's row is locked first, so of two administrators
    answering at once the second finds it answered (409)."""
    db.session.refresh(objection, with_for_update=True)
    text = (text or "").strip()
    if not text:
        raise Invalid(_("请写明对异议的答复。"), field="answer")
    if objection.status != "open":
        raise Conflict(_("这条异议已经答复过了。"))
    if cycle.phase == "final":
        raise Conflict(_("考评周期 %(label)s 已确定结果,结果不再改变。", label=cycle.label))
    scope = current_scope()
    objection.status = status
    objection.answer = text
    objection.answered_by = scope.user_id
    objection.answered_at = datetime.now(UTC)
    db.session.commit()
    return objection


def reject(cycle: Cycle, objection: Objection, answer: str) -> Objection:
    """The objection is not upheld: the written answer tells the one who lodged it why."""
    return _answer(cycle, objection, "rejected", answer)


def uphold(cycle: Cycle, objection: Objection, answer: str) -> Objection:
    """The objection is upheld: the decision and its answer are recorded, and the subject
    is to be corrected. The correction path is the usual one: the administrator corrects
    the subject's inputs, recomputes and re-publishes (a new version of the publication,
    with the differences shown). The place where an upheld objection reopens its subject's
    inputs: the subject (only it) takes inputs again, whatever the phase, until the cycle's
    inputs are closed again or its results are final; the reopening is audited with the
    objection's answer as its reason."""
    upheld = _answer(cycle, objection, "upheld", answer)
    scope = current_scope()
    reason = _("采纳异议:%(answer)s", answer=upheld.answer)
    phases.reopen(cycle, subject_id=upheld.subject_id, reason=reason, actor=scope.username)
    return upheld


def answer(cycle: Cycle, objection_id: uuid.UUID, decision: str, text: str) -> Objection:
    objection = get_objection(cycle, objection_id)
    if decision == "reject":
        return reject(cycle, objection, text)
    if decision == "uphold":
        return uphold(cycle, objection, text)
    raise Invalid(_("请选择驳回或采纳异议。"), field="decision")


# --- a subject's history -----------------------------------------------------------------


def history(cycle: Cycle, subject_kind: str, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """A subject's results in the cycle, oldest first: each result set that held it
    (version, when, who, why, what changed from the version before) and each publication
    that published it. Why: an upheld objection answered since the version before, else
    a recompute."""
    sets = db.session.execute(
        select(ResultSet, EvaluationResult)
        .join(
            EvaluationResult,
            (EvaluationResult.tenant_id == ResultSet.tenant_id)
            & (EvaluationResult.result_set_id == ResultSet.id),
        )
        .where(
            ResultSet.tenant_id == cycle.tenant_id,
            ResultSet.cycle_id == cycle.id,
            EvaluationResult.subject_kind == subject_kind,
            EvaluationResult.subject_id == subject_id,
        )
        .order_by(ResultSet.computed_at, ResultSet.id)
    ).all()
    sets.sort(key=lambda row: (row[0].current, _aware(row[0].computed_at)))  # current last
    upheld = [
        o
        for o in objections_of(cycle, status="upheld")
        if o.subject_id == subject_id and o.subject_kind == subject_kind
    ]
    users = _usernames({s.user_id for s, _r in sets if s.user_id})
    publications = {p.result_set_id: [] for p in publications_of(cycle)}
    for p in publications_of(cycle):
        publications[p.result_set_id].append(p)
    out: list[dict[str, Any]] = []
    previous = None
    previous_at = None
    for number, (result_set, result) in enumerate(sets, start=1):
        at = result_set.computed_at
        reasons = [
            o
            for o in upheld
            if o.answered_at is not None
            and (previous_at is None or _aware(o.answered_at) >= _aware(previous_at))
            and _aware(o.answered_at) <= _aware(at)
        ]
        was, now = _fields(previous), _fields(result)
        out.append(
            {
                "version": number,
                "at": at,
                "result_id": result.id,
                "result_set_id": result_set.id,
                "current": result_set.current,
                "user": users.get(result_set.user_id, ""),
                "why": "objection" if reasons else ("first" if previous is None else "recompute"),
                "objections": [o.reason for o in reasons],
                "changed": {}
                if was is None
                else {f: {"from": was[f], "to": now[f]} for f in COMPARED if was[f] != now[f]},
                "values": now,
                "publications": [
                    {"version": p.version, "phase": p.phase, "at": p.published_at}
                    for p in publications.get(result_set.id, [])
                ],
            }
        )
        previous, previous_at = result, at
    return out


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _usernames(ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {row.id: row.username for row in rows}


def ensure_changeable(cycle: Cycle) -> None:
    """Refuse anything that would change a final cycle's results (final is final)."""
    if cycle.phase == "final":
        raise Conflict(_("考评周期 %(label)s 已确定结果,结果不再改变。", label=cycle.label))
