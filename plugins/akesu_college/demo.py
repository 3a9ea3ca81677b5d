"""Demo data for ``make demo``: a college with 26 branches (and 3 retired branches), its
members, a 2020 result history and a 2021 cycle with scores, computed.

Generated from a fixed random seed, so every run makes the same college. Everything is
created through the platform's services: the roster goes through the real importer.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from zhibu.evaluations import compute, cycles, facts, sheets
from zhibu.members import importer
from zhibu.members.roster import write_roster
from zhibu.orgs import service as orgs
from zhibu.plugins import DemoContext

DEPARTMENTS = (
    ("ZZ01", "机电工程系党总支", ("机电教工第一党支部", "机电教工第二党支部", "机电学生党支部")),
    ("ZZ02", "信息技术系党总支", ("信息教工党支部", "信息学生第一党支部", "信息学生第二党支部")),
    ("ZZ03", "经济管理系党总支", ("经管教工党支部", "经管学生第一党支部", "经管学生第二党支部")),
    ("ZZ04", "建筑工程系党总支", ("建工教工党支部", "建工学生党支部", "建工实训中心党支部")),
    ("ZZ05", "农林科学系党总支", ("农林教工党支部", "农林学生党支部", "林果技术推广党支部")),
    ("ZZ06", "医学护理系党总支", ("医护教工党支部", "护理学生第一党支部", "护理学生第二党支部")),
    ("ZZ07", "教育与人文系党总支", ("师范教工党支部", "人文教工党支部", "教育学生党支部")),
    (
        "ZZ08",
        "机关党总支",
        ("党政办党支部", "教务处党支部", "后勤保障处党支部", "图书馆党支部", "财务处党支部"),
    ),
)
RETIRED = ("离退休第一党支部", "离退休第二党支部", "离退休第三党支部")
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志"
    "刚海燕文斌晓东丹晨阳雪梅春霞永辉亚楠丽娜古丽热依拉阿依努尔艾力买买提"
)
ETHNICITIES = ("汉族",) * 6 + ("维吾尔族",) * 3 + ("回族", "哈萨克族")
EDUCATION = ("大学本科", "硕士研究生", "大学专科", "博士研究生")
REASONS = (
    "三会一课记录不完整",
    "主题党日活动缺少影像资料",
    "党员发展程序材料不全",
    "组织生活会问题整改未闭环",
    "党建阵地“六有”标准未全部达到",
    "学习笔记不全",
)


def build(context: DemoContext) -> str:
    rng = random.Random(2021)
    tenant, access = context.tenant, context.access
    branches = _tree(tenant.id)
    report = importer.commit(tenant, access, write_roster(_roster(rng, branches)))
    history = cycles.open_cycle(tenant, "akesu_college", "2020")
    members = _members(tenant.id)
    compute.store_history(history, _history(rng, branches, members))
    cycle = cycles.open_cycle(tenant, "akesu_college", "2021")
    saved = sheets.save_many(cycle, _scores(rng, branches, members))
    _incidents(access, rng, members)
    cycles.advance(cycle, "review")
    result_set = compute.recompute(cycle)
    return (
        f"{tenant.name}: {len(branches)} 个党支部, {report.to_create} 名党员, "
        f"{saved} 张评分表, {result_set.subjects} 个 2021 年度结果"
    )


def _tree(tenant_id) -> dict[str, object]:
    root = orgs.create_org(
        tenant_id, code="DW", name="中共阿克苏职业技术学院委员会", kind="committee"
    )
    branches = {}
    number = 0
    for code, name, names in DEPARTMENTS:
        general = orgs.create_org(
            tenant_id, code=code, name=name, kind="general_branch", parent_id=root.id
        )
        for branch_name in names:
            number += 1
            unit = orgs.create_org(
                tenant_id,
                code=f"Z{number:02d}",
                name=branch_name,
                kind="branch",
                parent_id=general.id,
            )
            branches[unit.code] = unit
    for index, name in enumerate(RETIRED, start=1):
        orgs.create_org(
            tenant_id, code=f"LT{index}", name=name, kind="branch", parent_id=root.id, retired=True
        )
    return branches


def _roster(rng: random.Random, branches) -> list[dict]:
    rows = []
    for unit in branches.values():
        for position in range(rng.randint(10, 24)):
            born = date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 36))
            joined = born + timedelta(days=rng.randint(365 * 19, 365 * 30))
            joined = min(joined, date(2020, 6, 30))
            rows.append(
                {
                    "name": rng.choice(SURNAMES)
                    + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                    "gender": rng.choice(("男", "女")),
                    "ethnicity": rng.choice(ETHNICITIES),
                    "birth_date": born,
                    "joined_on": joined,
                    "full_member_on": joined + timedelta(days=365),
                    "branch": unit.name,
                    "position": "支部书记"
                    if position == 0
                    else ("支部委员" if position < 3 else None),
                    "education": rng.choice(EDUCATION),
                    "status": "full",
                    "category": "serving",
                    "phone": f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}",
                }
            )
    return rows


def _members(tenant_id) -> dict[str, list]:
    from sqlalchemy import select

    from zhibu.db import db
    from zhibu.models import Member

    by_unit: dict = {}
    for member in db.session.scalars(
        select(Member).where(Member.tenant_id == tenant_id).order_by(Member.archive_code)
    ):
        by_unit.setdefault(member.org_id, []).append(member)
    return by_unit


def _history(rng: random.Random, branches, members) -> list[dict]:
    entries = []
    for unit in branches.values():
        total = round(rng.uniform(62, 97), 2)
        stars = 5 if total >= 90 else 4 if total >= 80 else 3 if total >= 70 else 2
        titles = ["model_branch"] if stars == 5 and rng.random() < 0.6 else []
        entries.append(
            {"subject": ("org", unit.id), "total": total, "stars": stars, "titles": titles}
        )
        for member in members.get(unit.id, []):
            score = round(rng.uniform(58, 96), 2)
            entries.append(
                {
                    "subject": ("member", member.id),
                    "total": score,
                    "stars": 5
                    if score >= 90
                    else 4
                    if score >= 80
                    else 3
                    if score >= 70
                    else 2
                    if score >= 60
                    else 1,
                }
            )
    return entries


def _scores(rng: random.Random, branches, members) -> list[sheets.SheetInput]:
    aspects = {"A1": 15, "A2": 15, "A3": 15, "A4": 15, "A5": 10, "A6": 10, "A7": 10, "A8": 10}
    out = []
    for unit in branches.values():
        strength = rng.uniform(0.62, 0.99)
        out.append(
            sheets.SheetInput(
                "org",
                unit.id,
                "democratic",
                score=round(min(100, strength * 100 + rng.uniform(-4, 4)), 1),
            )
        )
        out.append(
            sheets.SheetInput(
                "org",
                unit.id,
                "superior",
                score=round(min(100, strength * 100 + rng.uniform(-5, 3)), 1),
            )
        )
        for rater in ("考核组1", "考核组2", "考核组3"):
            items = {
                code: round(points * min(1, strength + rng.uniform(-0.05, 0.08)), 1)
                for code, points in aspects.items()
            }
            lost = rng.choice(list(aspects))
            deductions = []
            if rng.random() < 0.5:
                points = min(items[lost], round(rng.uniform(0.5, 2.5), 1))
                items[lost] = aspects[lost]  # the deduction comes off the full points
                deductions = [{"item": lost, "points": points, "reason": rng.choice(REASONS)}]
            out.append(
                sheets.SheetInput(
                    "org",
                    unit.id,
                    "assessment_team",
                    rater=rater,
                    items=items,
                    deductions=deductions,
                )
            )
        for member in members.get(unit.id, []):
            base = rng.triangular(0.6, 0.99, 0.88) * 100
            out.append(
                sheets.SheetInput(
                    "member",
                    member.id,
                    "democratic",
                    score=round(min(100, base + rng.uniform(-3, 3)), 1),
                )
            )
            out.append(
                sheets.SheetInput(
                    "member",
                    member.id,
                    "committee",
                    score=round(min(100, base + rng.uniform(-4, 4)), 1),
                )
            )
    return out


def _incidents(access, rng: random.Random, members) -> None:
    everyone = [m for group in members.values() for m in group]
    picked = rng.sample(everyone, 2)
    facts.add_incident(
        access,
        "member",
        picked[0].id,
        "veto.discipline_pending",
        date(2021, 5, 18),
        "受党内警告处分,处分期内",
    )
    facts.add_incident(
        access,
        "member",
        picked[1].id,
        "veto.illegal_organization",
        date(2021, 9, 3),
        "参加非法宗教活动",
    )
