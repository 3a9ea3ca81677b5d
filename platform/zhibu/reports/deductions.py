"""Reports on where points were lost: a subject's score sheet with every deduction and its
reason, the 整改通知单 of every unit that lost points, and the 整改台账 of the cycle."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from zhibu.reports import names
from zhibu.reports.rubrics import Sheets
from zhibu.reports.table import Column, ReportData, ReportTable


def _line_row(sheets: Sheets, result: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
    points = line.get("points")
    indicator = sheets.indicator(result, line)
    deduction = bool(line.get("reason")) and points is not None and points < 0
    title = sheets.title(result, line.get("source"))
    return {
        "source": title or ("评定" if line.get("rule") else ""),
        "rater": line.get("rater") or "",
        "indicator": sheets.indicator_name(result, line),
        "max": indicator.max_points if indicator and not deduction else None,
        "points": None if deduction else points,
        "deduction": -points if deduction else None,
        "reason": line.get("reason") or "",
        "text": line["text"].split(" / ")[0],
    }


SHEET_COLUMNS = [
    Column("source", "评分来源", 14, category=True),
    Column("rater", "评分人", 10),
    Column("indicator", "考核指标", 24),
    Column("max", "分值", 7),
    Column("points", "得分", 8),
    Column("deduction", "扣分", 7),
    Column("reason", "扣分原因", 28),
    Column("text", "计分说明", 36),
]


def score_sheet(data: ReportData) -> list[ReportTable]:
    """One subject's sheet (``params["subject_id"]``): every line of its explanation, each
    deduction with its reason. Without a subject: every unit's, in one table."""
    sheets = Sheets(data.definition)
    wanted = data.params.get("subject_id")
    if wanted is not None:
        result = data.result_of(wanted)
        if result is None:
            return []
        return [_one_sheet(data, sheets, result)]
    rows = []
    for r in data.results_of("org"):
        subject = f"{data.name_of(r)}({r['code']})"
        rows += [{"subject": subject, **_line_row(sheets, r, line)} for line in r["explanation"]]
    return [
        ReportTable(
            title=f"党组织考评计分明细表({data.cycle.label})",
            sheet="计分明细",
            issuer=data.tenant.name,
            date=data.today,
            columns=[Column("subject", "党组织", 20, category=True), *SHEET_COLUMNS],
            rows=rows,
        )
    ]


def _one_sheet(data: ReportData, sheets: Sheets, result: dict[str, Any]) -> ReportTable:
    name = data.name_of(result)
    remarks = names.remarks(result, data.scheme)
    notes = [
        f"综合得分:{'—' if result['total'] is None else result['total']};"
        f"星级(等次):{names.level(result, data.scheme)}"
        + (f";名次:{result['rank']}" if result.get("rank") else "")
    ]
    if remarks:
        notes.append(f"备注:{remarks}")
    return ReportTable(
        title=f"{name}考评计分表({data.cycle.label})",
        sheet=result["code"] or "计分表",
        issuer=data.parent_name(result) or data.tenant.name,
        date=data.today,
        columns=SHEET_COLUMNS,
        rows=[_line_row(sheets, result, line) for line in result["explanation"]],
        notes=notes,
    )


def lost_points(result: dict[str, Any]) -> dict[tuple[str, str, str], float]:
    """(source, indicator, reason) → the points taken off for it, as the result counts
    them: what each rater took with that reason (added up), averaged over every rater who
    scored the indicator. An item's score is its raters' mean, so its rows add up to what
    it lost: two raters each taking an item's 3 points, for two different reasons, give
    1.5 and 1.5, not 3 and 3."""
    by_rater: dict[tuple[str, str, str], dict[str | None, float]] = {}
    raters: dict[tuple[str, str], set[str | None]] = {}
    for line in result["explanation"]:
        if not line.get("indicator") or line.get("points") is None:
            continue
        item = (line.get("source") or "", line["indicator"])
        raters.setdefault(item, set()).add(line.get("rater"))
        if line.get("reason") and line["points"] < 0:
            taken = by_rater.setdefault((*item, line["reason"]), {})
            taken[line.get("rater")] = taken.get(line.get("rater"), 0.0) - line["points"]
    return {key: sum(taken.values()) / len(raters[key[:2]]) for key, taken in by_rater.items()}


def evidence_cell(files: list[dict[str, Any]]) -> str:
    """The files as a cell: their names, or (for a reader who may not open them) how many;
    both where the reader may open some (an overseer, the kinds the scheme shares)."""
    if not files:
        return ""
    names = [f["name"] for f in files if f["name"]]
    if not names:
        return f"佐证材料 {len(files)} 份"
    hidden = len(files) - len(names)  # an overseer's: the kinds the scheme does not share
    return "、".join(names) + (f";另有佐证材料 {hidden} 份" if hidden else "")


def evidence_note(files: list[dict[str, Any]]) -> list[str]:
    """A notice's line naming the files of its deductions (none: no line)."""
    return [f"扣分佐证材料:{evidence_cell(files)}。"] if files else []


def evidence_photos(files: list[dict[str, Any]], caption: str = "") -> list[tuple[str, str]]:
    return [(f"{caption}{f['name']}", f["thumb"]) for f in files if f.get("thumb")]


def _notice_rows(sheets: Sheets, result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (indicator, reason), by category in the rubric's order."""
    rows = []
    for (source, code, reason), points in sorted(lost_points(result).items()):
        indicator = sheets.indicator(result, {"source": source, "indicator": code})
        rows.append(
            {
                "order": sheets.order(result, source, code),
                "category": (indicator.category if indicator else "") or code,
                "item": f"{code} {indicator.title}" if indicator else code,
                "points": round(points, 2),
                "reason": reason,
            }
        )
    firsts: dict[str, tuple] = {}
    for row in sorted(rows, key=lambda row: row["order"]):
        firsts.setdefault(row["category"], row["order"])
    rows.sort(key=lambda row: (firsts[row["category"]], row["order"]))
    for number, row in enumerate(rows, start=1):
        row["no"] = number
    return rows


NOTICE_COLUMNS = [
    Column("no", "序号", 6),
    Column("category", "考核指标", 14, category=True),
    Column("item", "考核内容", 28),
    Column("points", "扣分", 8),
    Column("reason", "扣分原因", 30),
    Column("measure", "整改措施", 24),
    Column("deadline", "整改时限", 12),
    Column("responsible", "责任人", 10),
]


def notice(data: ReportData) -> list[ReportTable]:
    """One 整改通知单 per unit that lost points: what and why (what each rater took off,
    averaged over the raters who took it), with the columns the unit fills in."""
    sheets = Sheets(data.definition)
    deadline = (date.fromisoformat(data.today) + timedelta(days=30)).isoformat()
    tables = []
    for r in data.results_of("org"):
        rows = _notice_rows(sheets, r)
        if not rows:
            continue
        name = data.name_of(r)
        tables.append(
            ReportTable(
                title=f"整改通知单({name})",
                sheet=r["code"] or name,
                issuer=data.parent_name(r) or data.tenant.name,
                date=data.today,
                columns=NOTICE_COLUMNS,
                rows=rows,
                photos=evidence_photos(data.evidence.get(r["subject_id"], [])),
                notes=[
                    f"{name}:经{data.cycle.label}考评,你单位综合得分 "
                    f"{'—' if r['total'] is None else r['total']},存在以上问题。请逐项制定整改"
                    f"措施,明确整改时限和责任人,于 {deadline} 前整改到位并书面报告;"
                    "上级党组织将开展“回头看”,逐项验收销号。",
                    *evidence_note(data.evidence.get(r["subject_id"], [])),
                ],
            )
        )
    return tables


def ledger(data: ReportData) -> list[ReportTable]:
    """The cycle's rectification items (整改台账), by unit, with their last 回头看."""
    today = date.fromisoformat(data.today)
    items = sorted(
        data.ledger,
        key=lambda i: ((data.units.get(i["org_id"]) or {}).get("code", ""), i["deadline"]),
    )
    rows, photos = [], []
    for number, item in enumerate(items, start=1):
        check = item.get("last_check")
        overdue = item["status"] != "signed_off" and item["deadline"] < today
        rows.append(
            {
                "no": number,
                "unit": (data.units.get(item["org_id"]) or {}).get("name", ""),
                "issue": item["issue"],
                "measure": item["measure"],
                "deadline": item["deadline"].isoformat(),
                "responsible": item["responsible"],
                "status": names.STATUSES.get(item["status"], item["status"]),
                "check": f"{check['checked_on'].isoformat()} {check['finding']}" if check else "",
                "signed_off": item["signed_off_at"].date().isoformat()
                if item["signed_off_at"]
                else "",
                "overdue": "逾期" if overdue else "",
                "evidence": evidence_cell(item.get("evidence", [])),
            }
        )
        photos += evidence_photos(item.get("evidence", []), f"{number}. ")
    done = sum(1 for i in items if i["status"] == "signed_off")
    late = sum(1 for row in rows if row["overdue"])
    return [
        ReportTable(
            title=f"整改台账({data.cycle.label})",
            sheet="整改台账",
            issuer=data.tenant.name,
            date=data.today,
            columns=[
                Column("no", "序号", 6),
                Column("unit", "党组织名称", 20, category=True),
                Column("issue", "整改事项", 30),
                Column("measure", "整改措施", 24),
                Column("deadline", "整改时限", 11),
                Column("responsible", "责任人", 9),
                Column("status", "整改状态", 11),
                Column("check", "回头看情况", 24),
                Column("signed_off", "完成销号时间", 11),
                Column("overdue", "备注", 7),
                Column("evidence", "佐证材料", 18),
            ],
            rows=rows,
            photos=photos,
            notes=[
                f"共 {len(items)} 项:已销号 {done} 项,未销号 {len(items) - done} 项,"
                f"其中逾期 {late} 项。"
            ],
        )
    ]
