"""The college's forms: 党支部评星定级情况登记表, 党员星级评定情况登记表, 党员星级评定情况
汇总表 (one per branch) and the publicity list (公示).

Seed: "在自查自评的基础上填写《阿克苏职业技术学院党支部评星定级情况登记表》和《阿克苏职业技术
学院党员星级评定情况登记表》…党员星级评定情况由各党支部汇总后填写《阿克苏职业技术学院党员星级
评定情况汇总表》" and "学院党委将评定“样板党支部”的结果在相应的报告栏、校园网、微信公众平台进行
公示". Annex 3 (the forms themselves) is not given: the columns follow what the seed asks
each form to record.
"""

from __future__ import annotations

from datetime import date, timedelta

from zhibu.plugins import ReportBuilder
from zhibu.reports import STARS, Column, ReportData, ReportTable

COLLEGE = "阿克苏职业技术学院"
NOTES = {
    "vetoed": "一票否决",
    "retired": "离退休党支部,不评星",
    "exempt": "暂不列入星级管理",
    "missing_source": "评分不全",
    "quota_demoted": "超出五星比例,按排名评为四星",
    "quota_tie": "五星比例线上同分,待研究",
    "quota_exceeded": "五星党员超过30%",
    "model_branch_revoked": "复查不足90分,取消样板党支部称号",
    "unqualified_member": "连续两年二星及以下,列入不合格党员",
    "rectification_plan": "制定整改方案,限期整改",
    "interview_general_branch_secretary": "约谈党总支书记",
    "adjust_branch_secretary": "调整党支部书记",
}


def _stars(result: dict) -> str:
    return STARS.get(result["stars"], "—")


def _remarks(result: dict) -> str:
    return ";".join(NOTES.get(x, x) for x in [*result["flags"], *result["actions"]])


def _unit_path(data: ReportData, unit_id) -> tuple[str, str]:
    unit = data.units[unit_id]
    parent = data.units.get(unit["parent_id"]) or {}
    return parent.get("name", ""), unit["name"]


def _secretary(data: ReportData, unit_id) -> str:
    return next(
        (
            m["name"]
            for m in data.members.values()
            if m["org_id"] == unit_id and (m["position"] or "").startswith("支部书记")
        ),
        "",
    )


def _header(data: ReportData, form: str) -> dict:
    return {
        "issuer": f"{COLLEGE}党委组织部",
        "date": data.today,
        "title": f"{COLLEGE}{form}({data.cycle.label}年度)",
    }


def branch_register(data: ReportData) -> list[ReportTable]:
    counts: dict = {}
    for member in data.members.values():
        counts[member["org_id"]] = counts.get(member["org_id"], 0) + 1
    rows = []
    for number, r in enumerate(data.results_of("org"), start=1):
        general, name = _unit_path(data, r["subject_id"])
        scores = r["scores"]
        rows.append(
            {
                "no": number,
                "general": general,
                "branch": name,
                "secretary": _secretary(data, r["subject_id"]),
                "members": counts.get(r["subject_id"], 0),
                "self": scores.get("self"),
                "democratic": scores.get("democratic"),
                "team": scores.get("assessment_team"),
                "superior": scores.get("superior"),
                "total": r["total"],
                "stars": _stars(r),
                "model": "是" if "model_branch" in r["titles"] else "",
                "remarks": _remarks(r),
            }
        )
    notes = [
        f"{t['title']}:{data.cycle.label}年目标 {t['target']:.0%},实际 {t['actual']:.1%}"
        f"({t['count']}/{t['rated']})"
        for t in data.summary["targets"]
    ]
    return [
        ReportTable(
            **_header(data, "党支部评星定级情况登记表"),
            sheet="党支部评星定级",
            columns=[
                Column("no", "序号", 6),
                Column("general", "所属党总支", 18),
                Column("branch", "党支部名称", 22),
                Column("secretary", "支部书记", 10),
                Column("members", "党员数", 8),
                Column("self", "自查自评", 9),
                Column("democratic", "民主测评(30%)", 10, "综合考评得分"),
                Column("team", "考核组(50%)", 10, "综合考评得分"),
                Column("superior", "上级评价(20%)", 10, "综合考评得分"),
                Column("total", "综合得分", 9, "综合考评得分"),
                Column("stars", "星级", 7),
                Column("model", "样板党支部", 9),
                Column("remarks", "备注", 30),
            ],
            rows=rows,
            notes=notes,
        )
    ]


def _member_row(data: ReportData, number: int, r: dict) -> dict:
    member = data.members[r["subject_id"]]
    _, branch = _unit_path(data, member["org_id"])
    born, joined = member["birth_date"], member["joined_on"]
    return {
        "no": number,
        "name": member["name"],
        "gender": member["gender"],
        "ethnicity": member["ethnicity"],
        "born": born.strftime("%Y.%m") if born else "",
        "joined": joined.strftime("%Y.%m") if joined else "",
        "branch": branch,
        "position": member["position"] or "",
        "self": r["scores"].get("self"),
        "democratic": r["scores"].get("democratic"),
        "committee": r["scores"].get("committee"),
        "total": r["total"],
        "stars": _stars(r),
        "remarks": _remarks(r),
    }


def member_register(data: ReportData) -> list[ReportTable]:
    rows = [_member_row(data, n, r) for n, r in enumerate(data.results_of("member"), start=1)]
    return [
        ReportTable(
            **_header(data, "党员星级评定情况登记表"),
            sheet="党员星级评定",
            columns=[
                Column("no", "序号", 6),
                Column("name", "姓名", 10),
                Column("gender", "性别", 6),
                Column("ethnicity", "民族", 8),
                Column("born", "出生年月", 10),
                Column("joined", "入党时间", 10),
                Column("branch", "所在党支部", 20),
                Column("position", "党内职务", 10),
                Column("self", "自评", 7, "得分"),
                Column("democratic", "民主测评(60%)", 10, "得分"),
                Column("committee", "支委会评价(40%)", 11, "得分"),
                Column("total", "综合得分", 9, "得分"),
                Column("stars", "星级", 7),
                Column("remarks", "备注", 28),
            ],
            rows=rows,
        )
    ]


def member_summary(data: ReportData) -> list[ReportTable]:
    """One table per branch, with the count and share of each star level."""
    by_unit: dict = {}
    for r in data.results_of("member"):
        by_unit.setdefault(data.members[r["subject_id"]]["org_id"], []).append(r)
    tables = []
    for unit_id, results in sorted(by_unit.items(), key=lambda kv: data.units[kv[0]]["code"]):
        _, branch = _unit_path(data, unit_id)
        rows = [
            {
                "no": n,
                "name": data.members[r["subject_id"]]["name"],
                "position": data.members[r["subject_id"]]["position"] or "",
                "democratic": r["scores"].get("democratic"),
                "committee": r["scores"].get("committee"),
                "total": r["total"],
                "stars": _stars(r),
                "remarks": _remarks(r),
            }
            for n, r in enumerate(results, start=1)
        ]
        rated = [r for r in results if r["stars"] is not None]
        counts = "、".join(
            f"{STARS[s]} {sum(1 for r in rated if r['stars'] == s)} 人" for s in (5, 4, 3, 2, 1)
        )
        five = sum(1 for r in rated if r["stars"] == 5)
        share = f"{five / len(rated):.1%}" if rated else "—"
        header = _header(data, "党员星级评定情况汇总表")
        header["issuer"] = branch
        tables.append(
            ReportTable(
                **header,
                sheet=data.units[unit_id]["code"],
                columns=[
                    Column("no", "序号", 6),
                    Column("name", "姓名", 12),
                    Column("position", "党内职务", 12),
                    Column("democratic", "民主测评(60%)", 12, "得分"),
                    Column("committee", "支委会评价(40%)", 12, "得分"),
                    Column("total", "综合得分", 10, "得分"),
                    Column("stars", "星级", 8),
                    Column("remarks", "备注", 30),
                ],
                rows=rows,
                notes=[f"参评党员 {len(rated)} 人:{counts};五星级党员占 {share}。"],
            )
        )
    return tables


def publicity(data: ReportData) -> list[ReportTable]:
    """The list put up for public comment: model branches, five-star branches and
    five-star members."""
    rows = []
    for r in data.results_of("org"):
        general, name = _unit_path(data, r["subject_id"])
        if "model_branch" in r["titles"]:
            rows.append(
                {
                    "kind": "样板党支部",
                    "name": name,
                    "unit": general,
                    "total": r["total"],
                    "stars": _stars(r),
                }
            )
    for r in data.results_of("org"):
        general, name = _unit_path(data, r["subject_id"])
        if r["stars"] == 5:
            rows.append(
                {
                    "kind": "五星级党支部",
                    "name": name,
                    "unit": general,
                    "total": r["total"],
                    "stars": _stars(r),
                }
            )
    for r in data.results_of("member"):
        if r["stars"] == 5:
            member = data.members[r["subject_id"]]
            rows.append(
                {
                    "kind": "五星级党员",
                    "name": member["name"],
                    "unit": _unit_path(data, member["org_id"])[1],
                    "total": r["total"],
                    "stars": _stars(r),
                }
            )
    for number, row in enumerate(rows, start=1):
        row["no"] = number
    start = date.fromisoformat(data.today)
    end = start + timedelta(days=7)
    return [
        ReportTable(
            title=f"关于{data.cycle.label}年度“样板党支部”认定及党支部评星定级、党员星级评定结果的公示",
            sheet="公示",
            issuer=f"中共{COLLEGE}委员会组织部",
            date=data.today,
            columns=[
                Column("no", "序号", 6),
                Column("kind", "类别", 14),
                Column("name", "名称(姓名)", 24),
                Column("unit", "所属党组织", 24),
                Column("total", "综合得分", 10),
                Column("stars", "星级", 8),
            ],
            rows=rows,
            notes=[
                f"公示期:{start.isoformat()} 至 {end.isoformat()}。公示期间如有异议,请以书面形式"
                "向学院党委组织部反映(署真实姓名)。",
                "评定结果作为党务公开的一项重要内容,接受教职工监督。",
            ],
        )
    ]


REPORTS = (
    ReportBuilder(
        "akesu_college.branch_register",
        "党支部评星定级情况登记表",
        branch_register,
        ("akesu_college",),
    ),
    ReportBuilder(
        "akesu_college.member_register",
        "党员星级评定情况登记表",
        member_register,
        ("akesu_college",),
        personal=True,
    ),
    ReportBuilder(
        "akesu_college.member_summary",
        "党员星级评定情况汇总表",
        member_summary,
        ("akesu_college",),
        personal=True,  # each member's name, score and stars: not for overseers (issue 23)
    ),
    ReportBuilder(
        "akesu_college.publicity",
        "评星定级结果公示",
        publicity,
        ("akesu_college",),
        replaces=("core.publicity",),
    ),
)
