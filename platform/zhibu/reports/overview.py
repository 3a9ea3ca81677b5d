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

from sqlalchemy import Text, case, cast, func, or_, select

from zhibu import engine, plugins
from zhibu.accounts.access import TenantAccess
from zhibu.db import db
from zhibu.errors import NotFound
from zhibu.i18n import _
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


def reachable(access: TenantAccess, via: uuid.UUID | None) -> list[uuid.UUID]:
    """The tenants the overview shows: those the caller's tenant oversees, or, with
    ``via`` (one of those, a county under a city), the tenants ``via`` oversees."""
    direct = overseen_ids(access.tenant_id)
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
    return case((cast(column, Text).like(f'%"{key}"%'), 1), else_=0)


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
    those flagged weak and those holding each target's title (one query)."""
    if not cycles:
        return {}
    definitions = _definitions(cycles)
    titles = _title_keys()
    flags = cast(EvaluationResult.flags, Text)
    weak = case(
        (
            or_(
                EvaluationResult.grade.in_(sorted(WEAK_GRADES)),
                *[flags.like(f'%"{f}"%') for f in sorted(WEAK_FLAGS)],
            ),
            1,
        ),
        else_=0,
    )
    levels = (
        EvaluationResult.cycle_id,
        EvaluationResult.track,
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
            EvaluationResult.track.is_not(None),
            EvaluationResult.stars.is_not(None) | EvaluationResult.grade.is_not(None),
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
        for track, stars, grade, count, missing, flagged, *titled in groups.get(c.id, []):
            m.subjects += count
            m.complete += count - int(missing or 0)
            m.weak += int(flagged or 0)
            if track in tracks:
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


def townships(tenant_ids: list[uuid.UUID], period: str | None = None) -> list[dict[str, Any]]:
    """The county's ranking of its townships (county_observation: "观摩结束后,参与人员进行
    现场打分,由县委组织部汇总后,对各乡(镇、街道)依次进行排名通报。"): the current results
    of units of kind township in the tenants' cycles of ``period`` (else each tenant's
    latest with such results), best first within each cycle, with their rank (one query)."""
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
    ranked = sorted(
        (r for r in rows if r.id in chosen), key=lambda r: (r.id, -(r.total or 0), r.name)
    )
    out, rank, last = [], 0, None
    for r in ranked:
        rank = 1 if last != r.id else rank + 1
        last = r.id
        out.append({"cycle_label": r.label, "tenant_id": r.tenant_id, "rank": rank} | r._asdict())
    return out


# --- the overview as report tables (the .xlsx and the printable 通报) --------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


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
                _("评分进度:各项评分齐全的参评对象数 / 有结果的参评对象数。"),
                _("整改事项:未销号、其中已过整改期限、已销号的条数(截至制表日)。"),
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
                + ([] if ranking else [_("本期没有乡镇(街道)的观摩排名。")]),
            )
        )
    return found
