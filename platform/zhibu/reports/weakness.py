"""The indicator weakness table: which indicators lose the most points, over one tenant's
cycle or over the tenants an overseer oversees. Pure: explanations in, tables out.

What is counted on a rubric is each subject's sheet-period: every month a subject was
scored on a periodic source (``<source>.periods``), or the subject once on another source
it was scored on. Its loss on an indicator is the mean, over its raters that period, of
the indicator's points minus the points given; a line a sheet leaves untouched (a brief
rubric's, a plain total's) lost nothing. Indicators are ranked by the mean loss per
sheet-period, and every line of a rubric is listed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from zhibu.reports.rubrics import Sheets
from zhibu.reports.table import Column, ReportData, ReportTable


@dataclass
class Loss:
    """What one indicator lost. ``units`` (tenant → sheet-periods scored on the rubric) is
    shared by every indicator of the rubric."""

    rubric: str
    rubric_title: str
    code: str
    title: str
    category: str
    max_points: float
    order: int
    units: Counter = field(default_factory=Counter)
    losing: int = 0
    lost_by_tenant: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)

    @property
    def scored(self) -> int:
        return sum(self.units.values())

    @property
    def lost(self) -> float:
        return sum(self.lost_by_tenant.values())

    @property
    def possible(self) -> float:
        return self.scored * self.max_points

    @property
    def mean(self) -> float:
        return self.lost / self.scored if self.scored else 0.0


def losses(
    definition, results, tenant: str = "", into: dict | None = None
) -> dict[tuple[str, str], Loss]:
    """Add each result's losses per (rubric, indicator) to ``into`` (a new dict if None).
    A result needs ``track``, ``scores`` (its source scores) and ``explanation``."""
    into = {} if into is None else into
    sheets = Sheets(definition)
    for r in results:
        for source, rubric in sheets.with_rubrics(r["track"]):
            units = _units(r, source)
            if not units:
                continue
            entries = _entries(into, rubric)
            entries[0].units[tenant] += units
            lost, losing, reasons = _subject(r, source.key, rubric)
            for code, loss in lost.items():
                into[(rubric.key, code)].lost_by_tenant[tenant] += loss
            for code, count in losing.items():
                into[(rubric.key, code)].losing += count
            for (code, reason), count in reasons.items():
                into[(rubric.key, code)].reasons[reason] += count
    return into


def _units(result: dict[str, Any], source) -> int:
    """The sheet-periods a result was scored on a source: its months, or once."""
    scores = result.get("scores") or {}
    if source.periodic:
        return int(scores.get(f"{source.key}.periods") or 0)
    return 1 if scores.get(source.key) is not None else 0


def _entries(into: dict, rubric) -> list[Loss]:
    """Every indicator of the rubric in ``into`` (added on first sight), sharing one
    count of the sheet-periods scored."""
    first = into.get((rubric.key, rubric.indicators[0].code)) if rubric.indicators else None
    units = first.units if first else Counter()
    for order, i in enumerate(rubric.indicators):
        key = (rubric.key, i.code)
        if key not in into:
            into[key] = Loss(
                rubric.key, rubric.title, i.code, i.title, i.category, i.max_points, order, units
            )
    return [into[(rubric.key, i.code)] for i in rubric.indicators]


def _subject(result: dict[str, Any], source: str, rubric) -> tuple[dict, Counter, Counter]:
    """One result's loss on each indicator of a source (summed over its sheet-periods,
    each the mean over that period's raters), the sheet-periods losing on each, and the
    reasons given. A rater sheet is known by its lines' label ("每月记实考评 2021-03 ·
    张三"), its period by the label without the rater."""
    given: dict[str, dict[str, float]] = {}  # period → code → loss summed over its raters
    raters: dict[str, set[str]] = {}
    reasons: Counter = Counter()
    for line in result["explanation"]:
        if line.get("source") != source:
            continue
        indicator = rubric.indicator(line["indicator"]) if line.get("indicator") else None
        if indicator is None and not line.get("rater"):
            continue  # a note on the source (a mean, a month left out, an automatic check)
        label = line["text"].split(": ", 1)[0]
        period = label.split(" · ", 1)[0]
        raters.setdefault(period, set()).add(label)
        if indicator is None or line.get("points") is None:
            continue
        if line.get("reason"):
            reasons[(indicator.code, line["reason"])] += 1
        else:
            lost = given.setdefault(period, {})
            lost[indicator.code] = lost.get(indicator.code, 0.0) + max(
                0.0, indicator.max_points - line["points"]
            )
    total: dict[str, float] = {}
    losing: Counter = Counter()
    for period, lost in given.items():
        for code, points in lost.items():
            loss = points / len(raters[period])
            total[code] = total.get(code, 0.0) + loss
            losing[code] += loss > 1e-9
    return total, losing, reasons


def tables(
    found: dict[tuple[str, str], Loss], title: str, issuer: str, today: str, across: bool = False
) -> list[ReportTable]:
    """One table per rubric: indicators by category (in the rubric's order), the worst of
    each category first, each with its place among all the rubric's indicators."""
    by_rubric: dict[str, list[Loss]] = {}
    for entry in found.values():
        by_rubric.setdefault(entry.rubric, []).append(entry)
    out = []
    for entries in by_rubric.values():
        places = loss_places(entries)
        first_of = {}
        for e in sorted(entries, key=lambda e: e.order):
            first_of.setdefault(e.category, e.order)
        entries.sort(key=lambda e: (first_of[e.category], -e.mean, e.order))
        out.append(
            ReportTable(
                title=f"{title}——{entries[0].rubric_title}",
                sheet=entries[0].rubric_title[:31],
                issuer=issuer,
                date=today,
                columns=columns(across),
                rows=[_row(e, places[id(e)]) for e in entries],
                notes=[
                    "参评数:按该评分表计分的对象数(按月计分的,计对象月数);"
                    "平均失分:每次参评在该指标上失分(各评分人的平均,未扣分的计 0)之和除以"
                    "参评数;失分率:失分之和占应得分之和的比例;失分排名按平均失分由高到低,"
                    "平均失分相同的名次相同,未失分的指标不排名。"
                ],
            )
        )
    return out


def loss_places(entries: list[Loss]) -> dict[int, int | str]:
    """Each entry's place (by ``id``) by mean loss, highest first: equal means (to the
    two decimals shown) share a place and the next place skips (1, 2, 2, 4); an indicator
    that lost nothing has no place (blank)."""
    places: dict[int, int | str] = {id(e): "" for e in entries if e.lost <= 0}
    ranked = sorted((e for e in entries if e.lost > 0), key=lambda e: -round(e.mean, 2))
    for n, e in enumerate(ranked, 1):
        before = ranked[n - 2] if n > 1 else None
        same = before is not None and round(before.mean, 2) == round(e.mean, 2)
        places[id(e)] = places[id(before)] if same else n
    return places


def columns(across: bool) -> list[Column]:
    return [
        Column("category", "类别", 14, category=True),
        Column("indicator", "考核指标", 28),
        Column("max", "分值", 7),
        Column("scored", "参评数", 8),
        Column("losing", "失分数", 8),
        Column("spread", "失分面", 8),
        Column("mean", "平均失分", 9),
        Column("rate", "失分率", 8),
        Column("place", "失分排名", 8),
        Column("reasons", "主要扣分原因(次数)", 34),
        *([Column("tenants", "失分率较高的单位", 30)] if across else []),
    ]


def _row(e: Loss, place: int | str) -> dict[str, Any]:
    worst = sorted(
        (
            (name, e.lost_by_tenant[name] / (units * e.max_points))
            for name, units in e.units.items()
            if units and e.max_points
        ),
        key=lambda item: -item[1],
    )
    return {
        "category": e.category or "—",
        "indicator": f"{e.code} {e.title}",
        "max": e.max_points,
        "scored": e.scored,
        "losing": e.losing,
        "spread": f"{e.losing / e.scored:.1%}" if e.scored else "—",
        "mean": round(e.mean, 2),
        "rate": f"{e.lost / e.possible:.1%}" if e.possible else "—",
        "place": place,
        "reasons": ";".join(f"{reason}({n})" for reason, n in e.reasons.most_common(3)),
        "tenants": "、".join(f"{name} {rate:.1%}" for name, rate in worst[:3] if rate > 0),
    }


def weakness(data: ReportData) -> list[ReportTable]:
    found = losses(data.definition, data.results) if data.definition else {}
    made = tables(found, f"指标失分分析表({data.cycle.label})", data.tenant.name, data.today)
    return made or [
        ReportTable(
            title=f"指标失分分析表({data.cycle.label})",
            sheet="指标失分",
            issuer=data.tenant.name,
            date=data.today,
            columns=columns(False),
            rows=[],
            notes=["本期没有按考核指标计分的评分表。"],
        )
    ]
