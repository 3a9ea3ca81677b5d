"""The county's reports: the ranking and classification each township files with the
county (备案) — or, in the county round, the ranking of townships (通报) — and a
整改通知单 for every organization that lost points.

Seed: "排名結(jié)果和分類情況報縣委組織部備案。對觀摩中發(fā)現(xiàn)的問題,
由鄉(xiāng)(鎮(zhèn)、街道)逐個建立整改臺賬,并下發(fā)《整改通知單》"
"""

from __future__ import annotations

from county_observation.scheme import ROUND_NAMES
from county_observation.sheets import SHEETS
from zhibu.plugins import ReportBuilder
from zhibu.reports import Column, ReportData, ReportTable
from zhibu.reports.deductions import NOTICE_COLUMNS, evidence_note, evidence_photos, lost_points

GRADES = {"advanced": "先进", "standard": "达标", "lagging": "落后"}
KINDS = {"village": "村", "community": "社区", "two_new": "“两新”组织", "township": "乡镇(街道)"}


def ranking(data: ReportData) -> list[ReportTable]:
    round_name = ROUND_NAMES.get(data.cycle.options.get("round", "internal"), "")
    by_township: dict = {}
    for r in data.results_of("org"):
        unit = data.units[r["subject_id"]]
        by_township.setdefault(unit["parent_id"], []).append(r)
    tables = []
    for parent_id, results in sorted(
        by_township.items(), key=lambda kv: (data.units.get(kv[0]) or {}).get("code", "")
    ):
        parent = data.units.get(parent_id) or {"name": "", "code": "county"}
        ordered = sorted(results, key=lambda r: (r["rank"] is None, r["rank"] or 0))
        rows = [
            {
                "no": n,
                "name": data.units[r["subject_id"]]["name"],
                "kind": KINDS.get(r["kind"], r["kind"]),
                "total": r["total"],
                "rank": r["rank"],
                "grade": GRADES.get(r["grade"], ""),
                "issues": ";".join(dict.fromkeys(reason for (_, _, reason) in lost_points(r))),
            }
            for n, r in enumerate(ordered, start=1)
        ]
        tables.append(
            ReportTable(
                title=f"基层党建观摩、检查、测评排名与分类情况表({data.cycle.label} {round_name})",
                sheet=parent["code"][:31],
                issuer=parent["name"],
                date=data.today,
                columns=[
                    Column("no", "序号", 6),
                    Column("name", "党组织名称", 26),
                    Column("kind", "类型", 12),
                    Column("total", "得分", 9),
                    Column("rank", "排名", 7),
                    Column("grade", "分类", 8),
                    Column("issues", "主要扣分事项", 44),
                ],
                rows=rows,
                notes=["报县委组织部备案。"],
            )
        )
    return tables


def notice(data: ReportData) -> list[ReportTable]:
    """One 整改通知单 per organization with deductions: what lost points and why, with the
    columns the organization fills in (整改措施、整改时限、责任人)."""
    tables = []
    for r in data.results_of("org"):
        found = lost_points(r)
        if not found:
            continue
        unit = data.units[r["subject_id"]]
        sheet = SHEETS.get(unit["kind"])
        rows = []
        for n, ((_, code, reason), points) in enumerate(sorted(found.items()), start=1):
            indicator = sheet.indicator(code) if sheet else None
            rows.append(
                {
                    "no": n,
                    "category": indicator.category if indicator else "",
                    "item": f"{code} {indicator.title}" if indicator else code,
                    "points": round(points, 2),
                    "reason": reason,
                    "measure": "",
                    "deadline": "",
                    "responsible": "",
                }
            )
        parent = data.units.get(unit["parent_id"]) or {"name": ""}
        tables.append(
            ReportTable(
                title=f"整改通知单({unit['name']})",
                sheet=unit["code"][:31],
                issuer=parent["name"] or data.tenant.name,
                date=data.today,
                columns=NOTICE_COLUMNS,
                rows=rows,
                notes=[
                    f"{unit['name']}:经观摩、检查、测评,你单位得分 {r['total']},存在以上问题,"
                    "请逐项制定整改措施,明确整改时限和责任人,按期整改并报乡镇(街道)党(工)委;"
                    "乡镇(街道)将开展“回头看”,逐项验收销号。",
                    *evidence_note(data.evidence.get(r["subject_id"], [])),
                ],
                photos=evidence_photos(data.evidence.get(r["subject_id"], [])),
            )
        )
    return tables


REPORTS = (
    ReportBuilder(
        "county_observation.ranking",
        "排名与分类情况表",
        ranking,
        ("county_observation",),
        replaces=("core.ranking",),
    ),
    ReportBuilder(
        "county_observation.notice",
        "整改通知单",
        notice,
        ("county_observation",),
        replaces=("core.notice",),
    ),
)
