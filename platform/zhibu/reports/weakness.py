"""The indicator weakness table: which indicators lose the most points, over one tenant's
cycle or over the tenants an overseer oversees. Pure: explanations in, tables out.

A subject's loss on an indicator is the mean, over the raters who scored it, of the
indicator's points minus the points given; indicators are ranked by the mean loss per
subject scored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from zhibu.reports.table import Column, ReportData, ReportTable


@dataclass
class Loss:
    """What one indicator lost, summed over the subjects scored on it."""

    rubric: str
    rubric_title: str
    code: str
    title: str
    category: str
    max_points: float
    order: int
    scored: int = 0
    losing: int = 0
    lost: float = 0.0
    possible: float = 0.0
    reasons: Counter = field(default_factory=Counter)
    by_tenant: dict[str, list[float]] = field(default_factory=dict)

    @property
    def mean(self) -> float:
        return self.lost / self.scored if self.scored else 0.0


def rubrics_by_source(definition) -> dict[str, Any]:
    found = {}
    for track in definition.tracks:
        for source in track.sources:
            rubric = definition.rubric(source.rubric)
            if rubric is not None:
                found.setdefault(source.key, rubric)
    return found


def losses(
    definition, results, tenant: str = "", into: dict | None = None
) -> dict[tuple[str, str], Loss]:
    """Add each result's losses per (rubric, indicator) to ``into`` (a new dict if None)."""
    into = {} if into is None else into
    rubrics = rubrics_by_source(definition)
    for r in results:
        given: dict[tuple[str, str], list[float]] = {}
        for line in r["explanation"]:
            rubric = rubrics.get(line.get("source"))
            indicator = (
                rubric.indicator(line["indicator"]) if rubric and line.get("indicator") else None
            )
            if indicator is None:
                continue
            key = (rubric.key, indicator.code)
            if key not in into:
                into[key] = Loss(
                    rubric.key,
                    rubric.title,
                    indicator.code,
                    indicator.title,
                    indicator.category,
                    indicator.max_points,
                    rubric.indicators.index(indicator),
                )
            if line.get("reason"):
                into[key].reasons[line["reason"]] += 1
            elif line.get("points") is not None:
                given.setdefault(key, []).append(indicator.max_points - line["points"])
        for key, lost in given.items():
            _add(into[key], sum(lost) / len(lost), tenant)
    return into


def _add(entry: Loss, loss: float, tenant: str) -> None:
    entry.scored += 1
    entry.losing += loss > 1e-9
    entry.lost += loss
    entry.possible += entry.max_points
    share = entry.by_tenant.setdefault(tenant, [0.0, 0.0])
    share[0] += loss
    share[1] += entry.max_points


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
        places = {id(e): n for n, e in enumerate(sorted(entries, key=lambda e: -e.mean), 1)}
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
                    "平均失分:每个参评对象在该指标上失分(各评分人的平均)之和除以参评数;"
                    "失分率:失分之和占应得分之和的比例;失分排名按平均失分由高到低。"
                ],
            )
        )
    return out


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


def _row(e: Loss, place: int) -> dict[str, Any]:
    worst = sorted(
        ((name, lost / possible) for name, (lost, possible) in e.by_tenant.items() if possible),
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
