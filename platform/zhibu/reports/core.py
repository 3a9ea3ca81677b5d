"""The core reports every scheme gets (a plugin's own report may replace one): ranking,
star distribution with its chart, publicity list and progress against the targets. The
score sheet, 整改台账 and 整改通知单 are in :mod:`zhibu.reports.deductions`; the indicator
weakness table in :mod:`zhibu.reports.weakness`.

Every builder is pure: ``build(data: ReportData) -> list[ReportTable]``.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from zhibu import engine
from zhibu.reports import names
from zhibu.reports.charts import Series, share_chart
from zhibu.reports.table import Column, ReportData, ReportTable

# Flags that leave a result's level undecided: kept off the publicity list until decided.
UNDECIDED = frozenset({"quota_tie"})


def by_track(
    data: ReportData, kind: str | None = None, rows: list[dict[str, Any]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Results per track (in the definition's order), of one subject kind if given; or
    ``rows`` per track (results counted in groups, :meth:`ReportData.levels_by_unit`)."""
    order = [t.key for t in data.definition.tracks] if data.definition else []
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in order}
    if rows is None:
        rows = data.results if kind is None else data.results_of(kind)
    for r in rows:
        if r["track"] is not None:
            found.setdefault(r["track"], []).append(r)
    return {key: rows for key, rows in found.items() if rows}


def track_of(data: ReportData, key: str):
    return (
        next((t for t in data.definition.tracks if t.key == key), None) if data.definition else None
    )


def track_title(data: ReportData, key: str) -> str:
    track = track_of(data, key)
    return track.title if track else key


def _header(data: ReportData, title: str) -> dict[str, str]:
    return {"title": f"{title}({data.cycle.label})", "issuer": data.tenant.name, "date": data.today}


def standing_of(definition: Any) -> Any:
    """A result's sort key in a ranking: the level its track declares first (a result a
    rule lowered or failed never above one at a higher level), then the total."""
    tracks = {t.key: t for t in definition.tracks} if definition is not None else {}

    def standing(r: dict[str, Any]) -> tuple:
        track = tracks.get(r["track"])
        if track is None:
            return (0, -r["total"])
        return track.standing(r["stars"], r["grade"], r["total"])

    return standing


def ranked(
    results: list[dict[str, Any]], definition: Any = None
) -> list[tuple[int | None, dict[str, Any]]]:
    """Results best first — by the level the ``definition``'s track declares, then by
    total — with competition places (1, 2, 2, 4); the unrated and those without a total
    last, without a place."""
    standing = standing_of(definition)
    scored = sorted(
        (r for r in results if r["rated"] and r["total"] is not None),
        key=standing,
    )
    out: list[tuple[int | None, dict[str, Any]]] = []
    for index, r in enumerate(scored):
        same = out and standing(out[-1][1]) == standing(r)
        out.append((out[-1][0] if same else index + 1, r))
    rest = [r for r in results if not (r["rated"] and r["total"] is not None)]
    return out + [(None, r) for r in sorted(rest, key=lambda r: r["code"])]


def ranking(data: ReportData) -> list[ReportTable]:
    """One table per track of units: place, scores per source, total, level, titles. A
    track whose units get no total (enterprise_5std's 党小组: checked, not scored) has no
    ranking."""
    tables = []
    for key, results in by_track(data, "org").items():
        if all(r["total"] is None for r in results):
            continue
        track = track_of(data, key)
        sources = [s for s in (track.sources if track else ()) if s.counted]
        columns = [
            Column("place", "名次", 6),
            Column("name", "党组织名称", 26),
            Column("parent", "上级党组织", 20),
            *(Column(f"s.{s.key}", f"{s.title}({s.weight:.0%})", 10, "各项得分") for s in sources),
            Column("total", "综合得分", 9),
            Column("level", "星级(等次)", 9),
            Column("titles", "称号", 12),
            Column("remarks", "备注", 24),
        ]
        rows, rated = [], 0
        for place, r in ranked(results, data.definition):
            rated += place is not None
            row = {
                "place": place if place is not None else "—",
                "name": data.name_of(r),
                "parent": data.parent_name(r),
                "total": r["total"],
                "level": names.level(r, data.scheme),
                "titles": "、".join(names.title_name(data.scheme, t) for t in r["titles"]),
                "remarks": names.remarks(r, data.scheme),
            }
            row.update({f"s.{s.key}": r["scores"].get(s.key) for s in sources})
            rows.append(row)
        tables.append(
            ReportTable(
                **_header(data, f"{track_title(data, key)}考评排名表"),
                sheet=f"排名-{track_title(data, key)}",
                columns=columns,
                rows=rows,
                notes=[
                    f"参评 {rated} 个,不参评 {len(results) - rated} 个;名次先按星级(等次),"
                    "同一星级(等次)内按综合得分:规则降级者排在该星级,即使得分更高;"
                    "同级同分者名次相同。"
                ],
            )
        )
    return tables


def levels_of(data: ReportData, key: str, results: list[dict[str, Any]]) -> list[str]:
    """The levels a track rates on, best first: its bands' stars or grades, the grades its
    rules give (``Track.grades``), and any other level found in the results."""
    found = declared_levels(data, key)
    for r in results:
        level = names.level(r, data.scheme)
        if level not in found and level != "—":
            found.append(level)
    return list(dict.fromkeys(found))


def declared_levels(data: ReportData, key: str) -> list[str]:
    """The levels the scheme declares for a track, best first: its bands' (stars or
    grades, the floor last) and the grades its rules give (``Track.grades``)."""
    track = track_of(data, key)
    if track is None:
        return []
    bands = [*track.bands, *([track.floor] if track.floor else [])]
    found = [names.level({"stars": b.stars, "grade": b.grade}, data.scheme) for b in bands]
    found += [names.grade_name(grade, data.scheme) for grade in track.grades]
    return list(dict.fromkeys(level for level in found if level != "—"))


def _counts(data: ReportData, results: list[dict[str, Any]]) -> dict[str, int]:
    """Results per level; a row counted by the database stands for ``count`` results."""
    counts: dict[str, int] = {}
    for r in results:
        level = names.level(r, data.scheme)
        counts[level] = counts.get(level, 0) + r.get("count", 1)
    return counts


def stars(data: ReportData) -> list[ReportTable]:
    """Counts and shares of each level per track, with a bar chart; then per unit: from
    the results counted by level and unit (:meth:`ReportData.levels_by_unit`)."""
    counted = data.levels_by_unit()
    tracks = by_track(data, rows=counted)
    rows = []
    for key, results in tracks.items():
        counts = _counts(data, results)
        rated = sum(counts.values()) - counts.get("—", 0)
        for level in levels_of(data, key, results):
            rows.append(
                {
                    "track": track_title(data, key),
                    "level": level,
                    "count": counts.get(level, 0),
                    "share": names.percent(counts.get(level, 0) / rated if rated else None),
                }
            )
        rows.append(
            {"track": track_title(data, key), "level": "不评定", "count": counts.get("—", 0)}
        )
    first = ReportTable(
        **_header(data, "星级分布统计表"),
        sheet="星级分布",
        columns=[
            Column("track", "类别", 14, category=True),
            Column("level", "星级(等次)", 12),
            Column("count", "数量", 10),
            Column("share", "占参评比例", 12),
        ],
        rows=rows,
        notes=["占参评比例不含不评定者(离退休、暂不列入星级管理、评分不全等)。"],
        chart=stars_chart(data, standalone=False, rows=counted),
    )
    return [first, *(_stars_by_unit(data, key, results) for key, results in tracks.items())]


def stars_chart(
    data: ReportData, standalone: bool = True, rows: list[dict[str, Any]] | None = None
) -> str:
    """Each track's share of each level as an SVG bar chart (a document of its own, or
    markup for an HTML page). ``data.results`` (or ``rows``) may be rows counted by the
    database, each with its ``count`` (:func:`zhibu.reports.service.level_data`)."""
    tracks = by_track(data, rows=rows)
    levels = list(
        dict.fromkeys(
            level for key, results in tracks.items() for level in levels_of(data, key, results)
        )
    )
    series = []
    for key, results in tracks.items():
        counts = _counts(data, results)
        series.append(Series(track_title(data, key), [counts.get(level, 0) for level in levels]))
    return share_chart(f"星级分布({data.cycle.label})", levels, series, standalone)


def _stars_by_unit(data: ReportData, key: str, results: list[dict[str, Any]]) -> ReportTable:
    levels = levels_of(data, key, results)
    units: dict[str, dict[str, int]] = {}
    for r in results:
        counts = units.setdefault(data.parent_name(r), {})
        level = names.level(r, data.scheme)
        counts[level] = counts.get(level, 0) + r.get("count", 1)
    rows = []
    for unit, counts in sorted(units.items()):
        rated = sum(n for level, n in counts.items() if level != "—")
        rows.append(
            {
                "unit": unit,
                **{f"l.{level}": counts.get(level, 0) for level in levels},
                "none": counts.get("—", 0),
                "rated": rated,
                "top": names.percent(counts.get(levels[0], 0) / rated if rated else None),
            }
        )
    return ReportTable(
        **_header(data, f"{track_title(data, key)}星级分布(按所在党组织)"),
        sheet=f"分布-{track_title(data, key)}",
        columns=[
            Column("unit", "所在党组织", 26),
            *(Column(f"l.{level}", level, 8, "星级(等次)") for level in levels),
            Column("none", "不评定", 8),
            Column("rated", "参评数", 8),
            Column("top", f"{levels[0] if levels else ''}占比", 10),
        ],
        rows=rows,
    )


def publicity(data: ReportData) -> list[ReportTable]:
    """Titles first, then the best level the scheme declares for each track (its first
    band, or the first of ``Track.grades``): units, then members. A track declaring no
    level publishes its titles only — never a level guessed from the results (a pass/fail
    scheme would publish its failures)."""
    rows = []
    for kind in ("org", "member"):
        for key, results in by_track(data, kind).items():
            for title in dict.fromkeys(t for r in results for t in r["titles"]):
                rows += _listed(data, names.title_name(data.scheme, title), results, title)
            levels = declared_levels(data, key)
            if levels:
                top = [r for r in results if names.level(r, data.scheme) == levels[0]]
                top = [r for r in top if not UNDECIDED.intersection(r["flags"])]
                rows += _listed(data, f"{levels[0]}{track_title(data, key)}", top)
    for number, row in enumerate(rows, start=1):
        row["no"] = number
    start = date.fromisoformat(data.today)
    return [
        ReportTable(
            title=f"关于{_period(data)}{_rating(data)}结果的公示",
            sheet="公示",
            issuer=data.tenant.name,
            date=data.today,
            columns=[
                Column("no", "序号", 6),
                Column("kind", "类别", 16, category=True),
                Column("name", "名称(姓名)", 24),
                Column("unit", "所属党组织", 26),
                Column("total", "综合得分", 10),
                Column("level", "星级(等次)", 10),
            ],
            rows=rows,
            notes=[
                f"公示期:{start.isoformat()} 至 {(start + timedelta(days=7)).isoformat()}。"
                f"公示期间如有异议,请以书面形式向{data.tenant.name}反映(署真实姓名)。"
            ],
        )
    ]


def _rating(data: ReportData) -> str:
    """What the scheme's results are called: 评星定级 where a track gives stars, else
    考评定级 (先进 / 达标 / 落后, 优秀 / 合格 …)."""
    stars = any(band.stars for track in data.definition.tracks for band in track.ascending)
    return "评星定级" if stars else "考评定级"


def _period(data: ReportData) -> str:
    return data.cycle.label + ("年度" if data.cycle.period_kind == "year" else "")


def _listed(data: ReportData, kind: str, results, title: str | None = None) -> list[dict]:
    chosen = [r for r in results if title is None or title in r["titles"]]
    return [
        {
            "kind": kind,
            "name": data.name_of(r),
            "unit": data.parent_name(r),
            "total": r["total"],
            "level": names.level(r, data.scheme),
        }
        for _, r in ranked(chosen, data.definition)
    ]


def as_engine_result(r: dict[str, Any]) -> engine.Result:
    """A result (or a row of results counted in groups: no code, no total) as the
    engine's targets read it."""
    return engine.Result(
        r.get("code", ""),
        r["kind"],
        r["track"],
        r["rated"],
        r.get("total"),
        r["stars"],
        r["grade"],
        list(r["titles"]),
    )


def _gap(count: int, rated: int, goal: float, at_most: bool) -> int:
    """How many subjects short of the target (or over a ceiling)."""
    if at_most:
        return max(0, count - math.floor(goal * rated + 1e-9))
    return max(0, math.ceil(goal * rated - 1e-9) - count)


def progress(data: ReportData) -> list[ReportTable]:
    """Each target against the actual share; then each unit's share of each target."""
    targets = {t.key: t for t in getattr(data.scheme, "targets", ())}
    rows = []
    for status in data.summary["targets"]:
        target = targets.get(status["key"])
        at_most = bool(target and target.at_most)
        rows.append(
            {
                "title": status["title"],
                "track": track_title(data, target.track) if target else "",
                "target": f"{'≤' if at_most else '≥'}{status['target']:.0%}",
                "actual": names.percent(status["actual"]),
                "count": status["count"],
                "rated": status["rated"],
                "gap": _gap(status["count"], status["rated"], status["target"], at_most),
                "met": "已达到" if status["met"] else "未达到",
            }
        )
    first = ReportTable(
        **_header(data, "目标完成进度表"),
        sheet="目标进度",
        columns=[
            Column("title", "目标", 22),
            Column("track", "类别", 10),
            Column("target", "目标值", 9),
            Column("actual", "实际", 9),
            Column("count", "达到数", 8),
            Column("rated", "参评数", 8),
            Column("gap", "差距(个)", 9),
            Column("met", "完成情况", 9),
        ],
        rows=rows,
        notes=["差距:距目标还差的个数(上限目标为超出的个数)。"]
        if rows
        else ["本方案本期未设定目标。"],
    )
    return [first, *_progress_by_unit(data, targets)]


def _progress_by_unit(data: ReportData, targets: dict) -> list[ReportTable]:
    measured = {s["key"] for s in data.summary["targets"]}
    tables = []
    for key, results in by_track(data, rows=data.levels_by_unit()).items():
        chosen = [t for t in targets.values() if t.track == key and t.key in measured]
        if not chosen:
            continue
        units: dict[str, list] = {}
        for r in results:
            units.setdefault(data.parent_name(r), []).append((as_engine_result(r), r["count"]))
        rows = []
        for unit, found in sorted(units.items()):
            statuses = engine.measure_counted(chosen, data.cycle.period, found)
            row = {"unit": unit}
            if not any(status.rated for status in statuses):
                continue
            for status in statuses:
                row[f"a.{status.key}"] = names.percent(status.actual if status.rated else None)
                gap = _gap(status.count, status.rated, status.target, targets[status.key].at_most)
                row[f"g.{status.key}"] = gap if status.rated else "—"
            rows.append(row)
        tables.append(
            ReportTable(
                **_header(data, f"{track_title(data, key)}目标完成进度(按所在党组织)"),
                sheet=f"进度-{track_title(data, key)}",
                columns=[
                    Column("unit", "所在党组织", 26),
                    *(
                        column
                        for t in chosen
                        for column in (
                            Column(f"a.{t.key}", "实际", 9, t.title),
                            Column(f"g.{t.key}", "差距", 8, t.title),
                        )
                    ),
                ],
                rows=rows,
            )
        )
    return tables
