"""The overseer's overview (监督总览, issue 23): the tenants a county or city department
oversees, compared on measures that mean the same under every scheme, their trends over
the years, and what a city sees of a county's own tenants.

Everything is counted by the database in a handful of grouped queries over all the
tenants at once (the tenants, their cycles, the current result sets, the results grouped
by level, title and flag, the rectification items grouped by state): the number of
statements does not grow with the number of tenants. Only counts leave an overseen
tenant: no member's name, score or result.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased

from zhibu import engine, plugins
from zhibu.accounts.access import TenantAccess
from zhibu.db import db, holds
from zhibu.errors import NotFound
from zhibu.evaluations import compute
from zhibu.i18n import _, _l
from zhibu.models import (
    Cycle,
    EvaluationResult,
    OversightLink,
    RectificationItem,
    ResultSet,
    SchemeVersion,
    Tenant,
)

# What "flagged weak" means across schemes (issue 23: 软弱涣散, 落后, 不合格): the grades
# 落后 (lagging) and 不合格 (unqualified), and a flag 软弱涣散 (dujiangyan's weak_lax).
WEAK_GRADES = frozenset({"lagging", "unqualified"})
WEAK_FLAGS = frozenset({"weak_lax"})
TREND_YEARS = 5  # the years a trend looks back over
SORTS = (
    "name",
    "progress",
    "top",
    "lowest",
    "targets",
    "weak",
    "open",
    "overdue",
    "signed_off",
    "promoted",
    "demoted",
)


@dataclass
class Measures:
    """A cycle's counts: subjects with a result that are rated, those with every source
    scored, at the track's top level and at its lowest, flagged weak; each target."""

    subjects: int = 0
    complete: int = 0
    top: int = 0
    lowest: int = 0
    weak: int = 0
    targets: list[dict[str, Any]] = field(default_factory=list)

    def share(self, count: int) -> float | None:
        return count / self.subjects if self.subjects else None

    @property
    def progress(self) -> float | None:
        return self.share(self.complete)

    @property
    def top_share(self) -> float | None:
        return self.share(self.top)

    @property
    def lowest_share(self) -> float | None:
        return self.share(self.lowest)

    @property
    def targets_met(self) -> tuple[int, int]:
        return sum(t["met"] for t in self.targets), len(self.targets)


@dataclass
class Movement:
    """Units (org subjects) of a cycle against the previous period's cycle of the same
    scheme, by the order of levels the scheme declares: promoted, kept, demoted, and new
    (no rated result the period before)."""

    previous: Any  # the previous cycle (id, label, period)
    promoted: int = 0
    kept: int = 0
    demoted: int = 0
    new: int = 0

    @property
    def compared(self) -> int:
        return self.promoted + self.kept + self.demoted

    def share(self, count: int) -> float | None:
        return count / self.compared if self.compared else None


@dataclass
class Row:
    """One overseen tenant: its cycle of the period (None: none with results), the
    measures, its rectification items, how many tenants it oversees itself, its trend."""

    tenant: Any
    cycle: Any = None
    measures: Measures | None = None
    open: int = 0
    overdue: int = 0
    signed_off: int = 0
    overseen: int = 0
    trend: list[tuple[str, Measures]] = field(default_factory=list)
    scheme: Any = None
    movement: Movement | None = None  # against the previous period's cycle of the scheme

    @property
    def trend_points(self) -> list[tuple[str, float | None, float | None]]:
        """(year, share at the top level, share at the lowest) of each year."""
        return [(year, m.top_share, m.lowest_share) for year, m in self.trend]

    def key(self, sort: str):
        """The value the table sorts on (missing figures last)."""
        m = self.measures
        values = {
            "name": self.tenant.code,
            "progress": m.progress if m else None,
            "top": m.top_share if m else None,
            "lowest": m.lowest_share if m else None,
            "targets": (m.targets_met[0] / m.targets_met[1]) if m and m.targets else None,
            "weak": m.weak if m else None,
            "open": self.open,
            "overdue": self.overdue,
            "signed_off": self.signed_off,
            "promoted": self.movement.promoted if self.movement else None,
            "demoted": self.movement.demoted if self.movement else None,
        }
        return values[sort]


@dataclass
class Overview:
    period: str  # "" for each tenant's latest period with results
    periods: list[str]
    rows: list[Row]
    via: Any = None  # the county whose tenants a city looks at
    sort: str = "name"
    descending: bool = False
    today: date = field(default_factory=date.today)


# --- whom the caller oversees ---------------------------------------------------------


def overseen_ids(tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """The active tenants ``tenant_id`` oversees directly (one query)."""
    return list(
        db.session.scalars(
            select(Tenant.id)
            .join(OversightLink, OversightLink.overseen_id == Tenant.id)
            .where(OversightLink.overseer_id == tenant_id, Tenant.active)
        )
    )


def overseen_by(access: TenantAccess) -> list[Any]:
    """The active tenants the caller's tenant oversees that the caller may read through
    it, by code, in one query whatever their number: every one for a platform
    administrator or a holder of a role with the ``oversee`` permission in the caller's
    tenant; else those where the user holds a role, or that a tenant where the user is
    overseer oversees (its own, or one level below a city's)."""
    from zhibu.accounts.access import _overseeing
    from zhibu.accounts.policy import GRANTS
    from zhibu.models import RoleAssignment
    from zhibu.tenancy.scope import system_scope, use_scope

    user = access.user
    query = (
        select(Tenant)
        .join(OversightLink, OversightLink.overseen_id == Tenant.id)
        .where(OversightLink.overseer_id == access.tenant_id, Tenant.active)
        .order_by(Tenant.code)
    )
    if not user.is_platform_admin:
        own, below = _overseeing(user)
        watched = aliased(OversightLink)
        roles = sorted(role for role, grants in GRANTS.items() if "oversee" in grants)
        mine = select(RoleAssignment.tenant_id).where(RoleAssignment.user_id == user.id)
        query = query.where(
            or_(
                OversightLink.overseer_id.in_(mine.where(RoleAssignment.role.in_(roles))),
                Tenant.id.in_(mine),
                Tenant.id.in_(
                    select(watched.overseen_id).where(
                        watched.overseer_id.in_(own) | watched.overseer_id.in_(below)
                    )
                ),
            ),
        )
    with use_scope(system_scope(username=user.username, user_id=user.id)):
        return list(db.session.scalars(query))


def reachable(access: TenantAccess, via: uuid.UUID | None) -> list[uuid.UUID]:
    """The tenants the overview shows: those the caller's tenant oversees, or, with
    ``via`` (one of those, a county under a city), the tenants ``via`` oversees."""
    direct = [t.id for t in overseen_by(access)]
    if via is None:
        return direct
    if via not in direct:
        raise NotFound(_("没有这个所辖单位。"), field="via")
    return overseen_ids(via)


# --- the overview ---------------------------------------------------------------------


def overview(
    tenant_ids: list[uuid.UUID],
    period: str | None = None,
    today: date | None = None,
    sort: str = "name",
    descending: bool = False,
) -> Overview:
    """The tenants' rows for ``period`` (each tenant's latest period with results when
    None), in a fixed number of queries. Runs in a scope that reads the tenants."""
    today = today or date.today()
    tenants = (
        db.session.execute(
            select(Tenant.id, Tenant.code, Tenant.name, Tenant.kind)
            .where(Tenant.id.in_(tenant_ids))
            .order_by(Tenant.code)
        ).all()
        if tenant_ids
        else []
    )
    ids = [t.id for t in tenants]
    cycles = _cycles(ids)
    current = _current_sets(ids)
    with_results = [c for c in cycles if c.id in current]
    chosen = _chosen(with_results, cycles, period)
    first_year = max((int(c.period[:4]) for c in with_results), default=0) - TREND_YEARS + 1
    trend_cycles = [c for c in with_results if int(c.period[:4]) >= first_year]
    counted = {c.id: c for c in trend_cycles} | {c.id: c for c in chosen.values()}
    measures = _measures(list(counted.values()), current)
    items = _items(ids, today)
    previous = _previous(chosen, with_results)
    moved = _movement(chosen, previous, current)
    children = _children(ids)
    trend_of: dict[uuid.UUID, list] = defaultdict(list)
    for c in trend_cycles:
        trend_of[c.tenant_id].append(c)
    rows = []
    for t in tenants:
        cycle = chosen.get(t.id)
        row = Row(t, cycle, measures.get(cycle.id) if cycle else None, overseen=children[t.id])
        row.open, row.overdue, row.signed_off = items.get(t.id, (0, 0, 0))
        row.trend = _trend(trend_of[t.id], measures)
        row.movement = moved.get(t.id)
        if cycle is not None and cycle.scheme_key in plugins.registry().schemes:
            row.scheme = plugins.registry().schemes[cycle.scheme_key]
        rows.append(row)
    sort = sort if sort in SORTS else "name"
    present = [r for r in rows if r.key(sort) is not None]
    absent = [r for r in rows if r.key(sort) is None]
    present.sort(key=lambda r: (r.key(sort), r.tenant.code), reverse=descending)
    return Overview(
        period or "",
        sorted({c.period for c in cycles}, reverse=True),
        present + absent,
        sort=sort,
        descending=descending,
        today=today,
    )


def _cycles(ids: list[uuid.UUID]) -> list[Any]:
    if not ids:
        return []
    return db.session.execute(
        select(
            Cycle.tenant_id,
            Cycle.id,
            Cycle.scheme_key,
            Cycle.version_id,
            Cycle.label,
            Cycle.period,
            Cycle.starts_on,
            Cycle.ends_on,
            Cycle.phase,
            Cycle.options,
            Cycle.created_at,
        ).where(Cycle.tenant_id.in_(ids))
    ).all()


def _current_sets(ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """cycle id → its current result set's id."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(ResultSet.cycle_id, ResultSet.id).where(
            ResultSet.tenant_id.in_(ids), ResultSet.current
        )
    )
    return {cycle_id: set_id for cycle_id, set_id in rows}


def _newest(cycles) -> Any:
    return max(cycles, key=lambda c: (c.ends_on, c.ends_on - c.starts_on, c.created_at))


def _chosen(with_results, cycles, period: str | None) -> dict[uuid.UUID, Any]:
    """Per tenant, its cycle of ``period`` (with results if one has them), or its latest
    cycle with results when no period is chosen."""
    by_tenant: dict[uuid.UUID, list] = defaultdict(list)
    current_ids = {c.id for c in with_results}
    if period:
        for c in cycles:
            if c.period == period:
                by_tenant[c.tenant_id].append(c)
        return {
            t: _newest([c for c in found if c.id in current_ids] or found)
            for t, found in by_tenant.items()
        }
    for c in with_results:
        by_tenant[c.tenant_id].append(c)
    return {t: _newest(found) for t, found in by_tenant.items()}


def _definitions(cycles) -> dict[uuid.UUID, engine.Definition | None]:
    """cycle id → its scheme's definition under its version's settings (one query for
    the versions; one definition per distinct scheme and settings)."""
    versions = {c.version_id for c in cycles}
    settings = dict(
        db.session.execute(
            select(SchemeVersion.id, SchemeVersion.settings).where(SchemeVersion.id.in_(versions))
        ).all()
        if versions
        else []
    )
    made: dict[str, Any] = {}
    found = {}
    registry = plugins.registry()
    for c in cycles:
        if c.scheme_key not in registry.schemes:
            found[c.id] = None
            continue
        values = {**(settings.get(c.version_id) or {}), **(c.options or {})}
        key = c.scheme_key + json.dumps(values, sort_keys=True, default=str)
        if key not in made:
            made[key] = registry.scheme(c.scheme_key).definition(values)
        found[c.id] = made[key]
    return found


def _ends(track: engine.Track) -> tuple[Any, Any]:
    """The track's top band and its lowest (its floor, else its lowest band)."""
    bands = track.ascending
    return (bands[-1] if bands else None), (track.floor or (bands[0] if bands else None))


def _at(band, stars, grade) -> bool:
    """A result's level is ``band``'s: its stars if the band gives stars, else its grade."""
    if band is None:
        return False
    return stars == band.stars if band.stars is not None else grade == band.grade


def _has(column, key: str):
    """1 where the JSON list ``column`` holds ``key`` (counted by the database)."""
    return case((holds(column, key), 1), else_=0)


def _title_keys() -> list[str]:
    """Every title a scheme's target counts (样板党支部 …), in a stable order."""
    keys = {
        t.title_key
        for scheme in plugins.registry().schemes.values()
        for t in scheme.targets
        if t.title_key
    }
    return sorted(keys)


def _measures(cycles, current: dict) -> dict[uuid.UUID, Measures]:
    """cycle id → its measures, from the results of every cycle's current set grouped by
    track and level in the database, which also counts those with every source scored,
    those flagged weak and those holding each target's title (one query).

    The subjects are those the cycle rates to a level (参评, as the 工作台 counts them):
    with a level, vetoed, or still without one because a source is missing (评分不全) —
    those last are what keeps 评分进度 below 100%. A track that declares no level (only
    checks its subjects) is left out: its subjects would count at neither end."""
    if not cycles:
        return {}
    definitions = _definitions(cycles)
    titles = _title_keys()
    weak = case(
        (
            or_(
                EvaluationResult.grade.in_(sorted(WEAK_GRADES)),
                *[holds(EvaluationResult.flags, f) for f in sorted(WEAK_FLAGS)],
            ),
            1,
        ),
        else_=0,
    )
    levels = (
        EvaluationResult.cycle_id,
        EvaluationResult.track,
        EvaluationResult.kind,  # a level loaded as history before 0023 names no track
        EvaluationResult.stars,
        EvaluationResult.grade,
    )
    rows = db.session.execute(
        select(
            *levels,
            func.count(),
            func.sum(_has(EvaluationResult.flags, "missing_source")),
            func.sum(weak),
            *[func.sum(_has(EvaluationResult.titles, t)) for t in titles],
        )
        .where(
            EvaluationResult.tenant_id.in_({c.tenant_id for c in cycles}),
            EvaluationResult.result_set_id.in_([current[c.id] for c in cycles]),
            EvaluationResult.rated,
        )
        .group_by(*levels)
    ).all()
    groups: dict[uuid.UUID, list] = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row[1:])
    out = {}
    for c in cycles:
        definition = definitions.get(c.id)
        tracks = {t.key: t for t in definition.tracks} if definition else {}
        m = Measures()
        graded = []
        for track, kind, stars, grade, count, missing, flagged, *titled in groups.get(c.id, []):
            track = compute.track_key(definition, track, kind)
            if track not in tracks or not tracks[track].levels:
                continue  # checked, never leveled (党员(只核查,不评星)): not in the shares
            m.subjects += count
            m.complete += count - int(missing or 0)
            m.weak += int(flagged or 0)
            top, low = _ends(tracks[track])
            m.top += count if _at(top, stars, grade) else 0
            m.lowest += count if _at(low, stars, grade) else 0
            holding = {t: int(n or 0) for t, n in zip(titles, titled, strict=True)}
            graded.append((track, stars, count, holding))
        m.targets = _targets(c, graded)
        out[c.id] = m
    return out


def _targets(cycle, graded: list[tuple]) -> list[dict[str, Any]]:
    """The scheme's targets for the cycle's period against the grouped counts (as the
    engine's :func:`engine.measure` counts them: rated subjects with stars on the track;
    those holding the target's title, or at its stars)."""
    if cycle.scheme_key not in plugins.registry().schemes:
        return []
    found = []
    for target in plugins.registry().schemes[cycle.scheme_key].targets:
        goal = target.by_period.get(cycle.period, target.by_period.get(cycle.period[:4]))
        if goal is None:
            continue
        rated = [g for g in graded if g[0] == target.track and g[1] is not None]
        total = sum(n for _t, _s, n, _h in rated)
        if target.title_key is not None:
            count = sum(h.get(target.title_key, 0) for _t, _s, _n, h in rated)
        else:
            count = sum(n for _t, stars, n, _h in rated if stars == target.stars)
        actual = count / total if total else 0.0
        met = actual <= goal + 1e-9 if target.at_most else actual >= goal - 1e-9
        found.append(
            {"title": target.title, "target": goal, "actual": actual, "count": count}
            | {"rated": total, "met": met, "at_most": target.at_most}
        )
    return found


def _previous(chosen: dict, with_results) -> dict[uuid.UUID, Any]:
    """tenant id → the cycle with results of the period before its chosen cycle's, of the
    same scheme and kind of period (a year before a year, a quarter before a quarter)."""
    found = {}
    for tenant_id, cycle in chosen.items():
        before = [
            c
            for c in with_results
            if c.tenant_id == tenant_id
            and c.scheme_key == cycle.scheme_key
            and len(c.period) == len(cycle.period)
            and c.period < cycle.period
        ]
        if before:
            newest = max(c.period for c in before)
            found[tenant_id] = _newest([c for c in before if c.period == newest])
    return found


def _moves_query(pairs: list[tuple[Any, Any, uuid.UUID, uuid.UUID]], *columns):
    """The org results with a level or a total of each pair's (cycle, previous cycle, its
    set, the previous set) current set, each beside the same unit's such result of the
    previous set (none: a unit new to the scheme). A unit only checked, not rated, is no
    move."""
    A = EvaluationResult
    B = aliased(EvaluationResult)
    query = (
        select(*columns)
        .select_from(A)
        .outerjoin(
            B,
            (B.tenant_id == A.tenant_id)
            & (B.subject_id == A.subject_id)
            & (B.subject_kind == "org")
            & B.rated
            & (B.stars.is_not(None) | B.grade.is_not(None) | B.total.is_not(None))
            & B.result_set_id.in_([p[3] for p in pairs]),
        )
        .where(
            A.tenant_id.in_({p[0].tenant_id for p in pairs}),
            A.result_set_id.in_([p[2] for p in pairs]),
            A.subject_kind == "org",
            A.rated,
            A.stars.is_not(None) | A.grade.is_not(None) | A.total.is_not(None),
        )
    )
    return query, A, B


def _place(definition, track: str | None, stars, grade) -> int | None:
    """Where a level stands in its track's declared order (0 = best), None without one.
    A result of the period before without a track (history loaded as levels only) is
    placed on the unit's track of now."""
    found = next((t for t in definition.tracks if t.key == track), None) if definition else None
    return found.level_place(stars, grade) if found is not None else None


def _pairs(chosen: dict, previous: dict, current: dict) -> list[tuple]:
    return [
        (cycle, previous[t], current[cycle.id], current[previous[t].id])
        for t, cycle in chosen.items()
        if t in previous and cycle.id in current
    ]


def _movement(chosen: dict, previous: dict, current: dict) -> dict[uuid.UUID, Movement]:
    """tenant id → its units' movement from the previous period's cycle to the chosen one,
    from the results paired and grouped by both levels in the database (one query; the
    levels' order is the scheme's, so it is applied to the few groups here)."""
    pairs = _pairs(chosen, previous, current)
    if not pairs:
        return {}
    query, A, B = _moves_query(pairs)
    columns = (
        A.tenant_id,
        A.track,
        A.stars,
        A.grade,
        B.track,
        B.stars,
        B.grade,
        B.subject_id.is_(None),
    )
    rows = db.session.execute(
        query.with_only_columns(*columns, func.count()).group_by(*columns)
    ).all()
    definitions = _definitions([p[0] for p in pairs] + [p[1] for p in pairs])
    by_tenant = {p[0].tenant_id: p for p in pairs}
    found = {t: Movement(p[1]) for t, p in by_tenant.items()}
    for tenant_id, track, stars, grade, was_track, was_stars, was_grade, new, count in rows:
        cycle, before, _set, _before_set = by_tenant[tenant_id]
        m = found[tenant_id]
        if new:
            m.new += count
            continue
        now = _place(definitions.get(cycle.id), track, stars, grade)
        then = _place(definitions.get(before.id), was_track or track, was_stars, was_grade)
        if now is None or then is None or now == then:
            m.kept += count
        elif now < then:
            m.promoted += count
        else:
            m.demoted += count
    return found


def moved_units(tenant_id: uuid.UUID, period: str | None = None) -> dict[str, Any] | None:
    """The units of one overseen tenant by how they moved between the previous period's
    cycle and the chosen one (promoted, kept, demoted, new), with both levels: unit names and
    levels only, no member's data (two queries and the cycles'). None without a
    previous cycle to compare with."""
    from zhibu.models import OrgUnit

    cycles = _cycles([tenant_id])
    current = _current_sets([tenant_id])
    with_results = [c for c in cycles if c.id in current]
    chosen = _chosen(with_results, cycles, period)
    previous = _previous(chosen, with_results)
    pairs = _pairs(chosen, previous, current)
    if not pairs:
        return None
    query, A, B = _moves_query(pairs)
    rows = db.session.execute(
        query.with_only_columns(
            A.subject_id,
            A.track,
            A.stars,
            A.grade,
            A.total,
            B.track,
            B.stars,
            B.grade,
            B.total,
            B.subject_id.is_(None),
        )
    ).all()
    cycle, before = pairs[0][0], pairs[0][1]
    definitions = _definitions([cycle, before])
    names = (
        dict(
            db.session.execute(
                select(OrgUnit.id, OrgUnit.name).where(
                    OrgUnit.tenant_id == tenant_id,
                    OrgUnit.id.in_({r[0] for r in rows}),
                )
            ).all()
        )
        if rows
        else {}
    )
    out: dict[str, list] = {"promoted": [], "kept": [], "demoted": [], "new": []}
    for (
        subject,
        track,
        stars,
        grade,
        total,
        was_track,
        was_stars,
        was_grade,
        was_total,
        new,
    ) in rows:
        unit = {
            "name": names.get(subject, ""),
            "now": {"stars": stars, "grade": grade, "total": total},
            "then": {"stars": was_stars, "grade": was_grade, "total": was_total},
        }
        if new:
            out["new"].append(unit)
            continue
        now = _place(definitions.get(cycle.id), track, stars, grade)
        then = _place(definitions.get(before.id), was_track or track, was_stars, was_grade)
        if now is None or then is None or now == then:  # counted as the overview counts
            out["kept"].append(unit)
        else:
            out["promoted" if now < then else "demoted"].append(unit)
    for units in out.values():
        units.sort(key=lambda u: u["name"])
    return {"cycle": cycle, "previous": before, **out}


def _items(ids: list[uuid.UUID], today: date) -> dict[uuid.UUID, tuple[int, int, int]]:
    """tenant id → its rectification items open, overdue (open past the deadline) and
    signed off (one grouped query)."""
    if not ids:
        return {}
    is_open = RectificationItem.status != "signed_off"
    rows = db.session.execute(
        select(
            RectificationItem.tenant_id,
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((is_open & (RectificationItem.deadline < today), 1), else_=0)),
            func.sum(case((is_open, 0), else_=1)),
        )
        .where(RectificationItem.tenant_id.in_(ids))
        .group_by(RectificationItem.tenant_id)
    )
    return {t: (int(a or 0), int(b or 0), int(c or 0)) for t, a, b, c in rows}


def _children(ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """tenant id → how many tenants it oversees itself (a county under a city)."""
    found: dict[uuid.UUID, int] = defaultdict(int)
    if ids:
        rows = db.session.execute(
            select(OversightLink.overseer_id, func.count())
            .where(OversightLink.overseer_id.in_(ids))
            .group_by(OversightLink.overseer_id)
        )
        found.update(dict(rows.all()))
    return found


def _trend(cycles, measures) -> list[tuple[str, Measures]]:
    """A tenant's measures by year: each year's newest of its ``cycles`` with results."""
    by_year: dict[str, list] = defaultdict(list)
    for c in cycles:
        by_year[c.period[:4]].append(c)
    return [(year, measures[_newest(found).id]) for year, found in sorted(by_year.items())]


# --- the township ranking ---------------------------------------------------------------

RANKED_KINDS = ("township",)
NO_RANKING = _l(
    "本期没有乡镇(街道)的观摩排名:乡镇(街道)只在全县示范观摩中按所属示范点的得分排名。"
    "各乡镇内部观摩对所辖村(社区)和“两新”组织的排名,见该考评周期的报表。"
)


def townships(tenant_ids: list[uuid.UUID], period: str | None = None) -> list[dict[str, Any]]:
    """The county's ranking of its townships (county_observation: "观摩结束后,参与人员进行
    现场打分,由县委组织部汇总后,对各乡(镇、街道)依次进行排名通报。"): the current results
    of units of kind township in the tenants' cycles of ``period`` (else each tenant's
    latest with such results), best first within each cycle — by the grade the scheme
    declares, then by total — with their rank (one query; with townships, the cycles'
    definitions: two more)."""
    from zhibu.models import OrgUnit

    if not tenant_ids:
        return []
    rows = db.session.execute(
        select(
            Cycle.tenant_id,
            Cycle.id,
            Cycle.label,
            Cycle.period,
            Cycle.ends_on,
            OrgUnit.name,
            EvaluationResult.total,
            EvaluationResult.stars,
            EvaluationResult.grade,
        )
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
        .join(
            OrgUnit,
            (OrgUnit.tenant_id == EvaluationResult.tenant_id)
            & (OrgUnit.id == EvaluationResult.subject_id),
        )
        .where(
            EvaluationResult.tenant_id.in_(tenant_ids),
            EvaluationResult.subject_kind == "org",
            EvaluationResult.kind.in_(RANKED_KINDS),
            OrgUnit.kind.in_(RANKED_KINDS),  # the units joined: townships only, too
            # the townships first (few), then their results by the (tenant, set, subject) index
            EvaluationResult.subject_id.in_(
                select(OrgUnit.id).where(
                    OrgUnit.tenant_id.in_(tenant_ids), OrgUnit.kind.in_(RANKED_KINDS)
                )
            ),
            ResultSet.current,
        )
    ).all()
    if period:
        rows = [r for r in rows if r.period == period]
    newest: dict[uuid.UUID, tuple] = {}
    for r in rows:
        newest[r.tenant_id] = max(newest.get(r.tenant_id, (r.ends_on, r.id)), (r.ends_on, r.id))
    chosen = {cycle_id for _end, cycle_id in newest.values()}
    definitions = (
        _definitions(
            db.session.execute(
                select(Cycle.id, Cycle.scheme_key, Cycle.version_id, Cycle.options).where(
                    Cycle.tenant_id.in_(tenant_ids), Cycle.id.in_(chosen)
                )
            ).all()
        )
        if chosen
        else {}
    )

    def standing(r) -> tuple:
        # the level the scheme declares first (a township a rule failed never above one
        # at a higher level), then the total; those without a total last
        definition = definitions.get(r.id)
        track = definition.track_of_kind(RANKED_KINDS[0]) if definition else None
        level = track.standing(r.stars, r.grade, r.total) if track else (0, -(r.total or 0))
        return (r.total is None, *level)

    ranked = sorted((r for r in rows if r.id in chosen), key=lambda r: (r.id, standing(r), r.name))
    out, rank, last = [], 0, None
    for index, r in enumerate(ranked):
        if last is None or last.id != r.id:
            first = index
            rank = 1
        elif standing(r) != standing(last):
            rank = index - first + 1
        last = r
        out.append({"cycle_label": r.label, "tenant_id": r.tenant_id, "rank": rank} | r._asdict())
    return out


# --- the overview as report tables (the .xlsx and the printable 通报) --------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _moves_cells(m: Movement | None) -> dict[str, Any]:
    if m is None:
        return {"promoted": "—", "kept": "—", "demoted": "—", "new": "—", "previous": ""}
    return {
        "promoted": m.promoted,
        "kept": m.kept,
        "demoted": m.demoted,
        "new": m.new,
        "previous": m.previous.label,
    }


def tables(
    ov: Overview, issuer: str, ranking: list[dict[str, Any]], names: dict, ranked: bool = False
) -> list:
    """The overview (and the township ranking: if any, or always with ``ranked``) as report
    tables, in Chinese."""
    from zhibu.reports.names import level
    from zhibu.reports.table import Column, ReportTable

    day = ov.today.isoformat()
    period = ov.period or _("各单位最近一期")
    columns = [
        Column("name", _("单位"), 22),
        Column("cycle", _("考评周期"), 16),
        Column("phase", _("阶段"), 10),
        Column("progress", _("评分进度"), 14),
        Column("top", _("最高等次占比"), 12),
        Column("lowest", _("最低等次占比"), 12),
        Column("targets", _("目标完成"), 26),
        Column("weak", _("软弱涣散、落后、不合格"), 12),
        Column("open", _("整改未销号"), 10, group=_("整改事项")),
        Column("overdue", _("逾期"), 8, group=_("整改事项")),
        Column("signed_off", _("已销号"), 8, group=_("整改事项")),
        Column("promoted", _("升级"), 7, group=_("等次升降")),
        Column("kept", _("持平"), 7, group=_("等次升降")),
        Column("demoted", _("降级"), 7, group=_("等次升降")),
        Column("new", _("新参评"), 7, group=_("等次升降")),
        Column("previous", _("比较的上一期"), 16, group=_("等次升降")),
    ]
    rows = []
    for r in ov.rows:
        m = r.measures
        rows.append(
            {
                "name": r.tenant.name,
                "cycle": r.cycle.label if r.cycle else _("本期没有考评周期"),
                "phase": names.get(r.cycle.phase, "") if r.cycle else "",
                "progress": f"{m.complete}/{m.subjects}" if m else "—",
                "top": _pct(m.top_share) if m else "—",
                "lowest": _pct(m.lowest_share) if m else "—",
                "targets": ";".join(
                    f"{t['title']} {_pct(t['actual'])}/{_pct(t['target'])}" for t in m.targets
                )
                if m
                else "",
                "weak": m.weak if m else "—",
                "open": r.open,
                "overdue": r.overdue,
                "signed_off": r.signed_off,
            }
            | _moves_cells(r.movement)
        )
    found = [
        ReportTable(
            title=_("%(issuer)s监督总览(%(period)s)", issuer=issuer, period=period),
            sheet=_("监督总览"),
            columns=columns,
            rows=rows,
            issuer=issuer,
            date=day,
            notes=[
                _("评分进度:各项评分齐全的参评对象数 / 全部参评对象数(含一票否决,不含不参评者)。"),
                _("整改事项:未销号、其中已过整改期限、已销号的条数(截至制表日)。"),
                _(
                    "等次升降:各党组织本期等次与同一方案上一期相比,按方案规定的等次顺序;"
                    "新参评为上一期没有参评结果的党组织。"
                ),
            ],
        )
    ]
    if ranking or ranked:
        found.append(
            ReportTable(
                title=_("%(issuer)s各乡(镇、街道)观摩排名通报", issuer=issuer),
                sheet=_("乡镇排名"),
                columns=[
                    Column("rank", _("名次"), 8),
                    Column("name", _("乡镇(街道)"), 24),
                    Column("cycle", _("观摩轮次"), 18),
                    Column("total", _("总分"), 10),
                    Column("level", _("等次"), 10),
                ],
                rows=[
                    {
                        "rank": t["rank"],
                        "name": t["name"],
                        "cycle": t["cycle_label"],
                        "total": "—" if t["total"] is None else f"{t['total']:.2f}",
                        "level": level(t),
                    }
                    for t in ranking
                ],
                issuer=issuer,
                date=day,
                notes=[_("观摩结束后,由县委组织部汇总现场打分,对各乡(镇、街道)依次进行排名通报。")]
                + ([] if ranking else [str(NO_RANKING)]),
            )
        )
    return found
