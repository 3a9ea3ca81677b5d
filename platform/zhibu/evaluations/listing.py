"""A cycle's results a page at a time, filtered by the database: level (stars or grade),
track, flag (or action), unit (its subtree and the subtree's members) and name. The work
of a page is the same whatever the cycle's size: a count, a page of rows, the page's
names."""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select, Text, cast, false, func, or_, select
from sqlalchemy.orm import defer
from sqlalchemy.sql.elements import True_

from zhibu.db import db, holds
from zhibu.evaluations import compute
from zhibu.models import Cycle, EvaluationResult, Member, OrgUnit, ResultSet
from zhibu.orgs.service import in_tree_order, subtree_query

PAGE_SIZE = 50
MISSING = "missing"  # the level filter of rated results without a level (评分不全)
KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")  # a flag's or an action's key
# the lists' order: organizations before members, then by code (ix_results_set_order)
ORDER = (EvaluationResult.subject_kind.desc(), EvaluationResult.subject_code)


@dataclass(frozen=True)
class ResultFilter:
    """What the caller asked for; empty fields filter nothing.

    :param level: ``"5"`` … ``"1"`` for stars, :data:`MISSING` for a rated result without
        a level (评分不全), else a grade's key.
    :param flag: a flag's or an action's key (``vetoed``, ``rectification_plan`` …).
    :param unit: a unit's id: its results, its subtree's and the subtree's members'.
    :param name: part of the subject's name or code.
    """

    track: str = ""
    level: str = ""
    flag: str = ""
    unit: uuid.UUID | None = None
    name: str = ""
    subject_kind: str = ""

    def args(self) -> dict[str, str]:
        """The filter as query arguments (for the page's links)."""
        values = {
            "track": self.track,
            "level": self.level,
            "flag": self.flag,
            "unit": str(self.unit) if self.unit else "",
            "name": self.name,
            "subject_kind": self.subject_kind,
        }
        return {key: value for key, value in values.items() if value}


@dataclass
class ResultPage:
    rows: list[EvaluationResult]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def filtered(cycle: Cycle, result_set: ResultSet, wanted: ResultFilter, where=None) -> Select:
    """``select(EvaluationResult)`` of the set narrowed to ``wanted`` (and ``where``)."""
    R = EvaluationResult
    query = select(R).where(R.tenant_id == cycle.tenant_id, R.result_set_id == result_set.id)
    if where is not None:
        query = query.where(where)
    if wanted.subject_kind:
        query = query.where(R.subject_kind == wanted.subject_kind)
    if wanted.track:
        query = query.where(R.track == wanted.track)
    if wanted.level == MISSING:  # rated, without a level: 评分不全
        definition = compute.definition_for(cycle)[0]
        query = query.where(compute.missing_level(compute.leveled_tracks(definition)))
    elif wanted.level:
        if wanted.level.isdigit():
            query = query.where(R.stars == int(wanted.level))
        else:
            query = query.where(R.stars.is_(None), R.grade == wanted.level)
    if wanted.flag:
        if not KEY.match(wanted.flag):
            return query.where(false())
        query = query.where(or_(holds(R.flags, wanted.flag), holds(R.actions, wanted.flag)))
    if wanted.unit is not None:
        unit = db.session.get(OrgUnit, (cycle.tenant_id, wanted.unit))
        if unit is None:
            return query.where(false())
        units = subtree_query(cycle.tenant_id, [unit.path]).with_only_columns(OrgUnit.id)
        members = select(Member.id).where(
            Member.tenant_id == cycle.tenant_id, Member.org_id.in_(units)
        )
        query = query.where(
            or_(
                (R.subject_kind == "org") & R.subject_id.in_(units),
                (R.subject_kind == "member") & R.subject_id.in_(members),
            )
        )
    if wanted.name:
        units = select(OrgUnit.id).where(
            OrgUnit.tenant_id == cycle.tenant_id,
            OrgUnit.name.contains(wanted.name, autoescape=True),
        )
        members = select(Member.id).where(
            Member.tenant_id == cycle.tenant_id,
            Member.name.contains(wanted.name, autoescape=True),
        )
        query = query.where(
            or_(
                R.subject_code.contains(wanted.name, autoescape=True),
                (R.subject_kind == "org") & R.subject_id.in_(units),
                (R.subject_kind == "member") & R.subject_id.in_(members),
            )
        )
    return query


def count_of(result_set: ResultSet, wanted: ResultFilter, where, query: Select) -> int:
    """How many results ``query`` (:func:`filtered`) finds: the set's own count of its
    subjects when nothing narrows it (no filter, a caller who sees every result), else
    counted by the database."""
    if wanted == ResultFilter() and (where is None or isinstance(where, True_)):
        return result_set.subjects
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def page_of(
    cycle: Cycle,
    result_set: ResultSet | None,
    wanted: ResultFilter,
    page: int = 1,
    size: int = PAGE_SIZE,
    where=None,
) -> ResultPage:
    """One page of the filtered results, in the results' order (subject kind, code), with
    the number of all that match."""
    if result_set is None:
        return ResultPage([], 0, 1, size)
    query = filtered(cycle, result_set, wanted, where)
    total = count_of(result_set, wanted, where, query)
    page = max(1, min(page, max(1, -(-total // size))))
    rows = db.session.scalars(
        page_select(cycle, query, (page - 1) * size, size).options(
            defer(EvaluationResult.explanation)  # the list does not show it: the bulk
        )
    ).all()
    return ResultPage(list(rows), total, page, size)


def page_select(cycle: Cycle, query: Select, offset: int, limit: int) -> Select:
    """The results ``offset`` to ``offset + limit`` of ``query`` (:func:`filtered`) in the
    lists' order (organizations first, then by code).

    The page's ids are found first, in the order's index (``ix_results_set_order``
    carries the id on PostgreSQL), and only the page's rows are read from the table: the
    rows skipped before a page are index entries of some forty bytes, not results of a
    kilobyte each, so page 50 costs about what page 1 does."""
    R = EvaluationResult
    ids = query.with_only_columns(R.id).order_by(*ORDER).offset(offset).limit(limit).subquery()
    return (
        select(R)
        .join_from(R, ids, R.id == ids.c.id)
        .where(R.tenant_id == cycle.tenant_id)
        .order_by(*ORDER)
    )


def flags_of(cycle: Cycle, result_set: ResultSet | None) -> list[str]:
    """The flags and actions the set's results carry (to filter on), counted by the
    database: only the distinct lists are decoded. A set's results are written once and
    never changed (a recompute writes a new set), so the answer is kept per set in the
    process (the last :data:`FLAG_SETS` sets)."""
    if result_set is None:
        return []
    key = (result_set.tenant_id, result_set.id)
    with _flags_lock:
        if key in _flags:
            _flags.move_to_end(key)
            return list(_flags[key])
    found = _flags_of(cycle, result_set)
    with _flags_lock:
        _flags[key] = tuple(found)
        while len(_flags) > FLAG_SETS:
            _flags.popitem(last=False)
    return found


FLAG_SETS = 256
_flags_lock = threading.Lock()
_flags: OrderedDict[tuple[uuid.UUID, uuid.UUID], tuple[str, ...]] = OrderedDict()


def _flags_of(cycle: Cycle, result_set: ResultSet) -> list[str]:
    R = EvaluationResult
    flags, actions = cast(R.flags, Text), cast(R.actions, Text)
    found: dict[str, None] = {}
    for row in db.session.execute(
        select(flags, actions)
        .where(R.tenant_id == cycle.tenant_id, R.result_set_id == result_set.id)
        .group_by(flags, actions)
    ):
        for value in row:
            found.update(dict.fromkeys(orjson.loads(value) if value else []))
    return sorted(found)


def parent_units(tenant_id: uuid.UUID, limit: int = 300) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the units that have units under them (党委, 党总支 …), in tree order
    (siblings by code): what a results page offers to filter by unit (at most ``limit``)."""
    parents = select(OrgUnit.parent_id).where(
        OrgUnit.tenant_id == tenant_id, OrgUnit.parent_id.is_not(None)
    )
    rows = db.session.execute(
        select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.code, OrgUnit.name, OrgUnit.depth).where(
            OrgUnit.tenant_id == tenant_id, OrgUnit.id.in_(parents)
        )
    ).all()  # a parent's parent is one too: the tree is whole
    return [(u.id, "\u3000" * u.depth + u.name) for u in in_tree_order(rows)[:limit]]


def levels_of(definition: Any) -> list[tuple[str, int | None, str | None]]:
    """(value, stars, grade) of the levels the scheme's tracks rate on, best first."""
    found: dict[str, tuple[str, int | None, str | None]] = {}
    for track in definition.tracks:
        for band in [*track.bands, *([track.floor] if track.floor else [])]:
            value = str(band.stars) if band.stars is not None else band.grade
            if value:
                found.setdefault(value, (value, band.stars, band.grade))
    return sorted(found.values(), key=lambda v: (v[1] is None, -(v[1] or 0)))
