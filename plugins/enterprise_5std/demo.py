"""Demo data for ``make demo``: a company (集团公司) with twelve branches and their party
groups, a roster through the real importer, a year (2021) of meetings, lectures, training
and dues, elections of earlier years, the 2020 stars, the assessors' checklists and the
self-assessments, one downgrade incident, and the 2021 cycle computed.

Generated from a fixed random seed, so every run makes the same company. A few branches are
made to miss a standard (an overdue election, a new secretary of two years' standing, an
even committee, a party group of two, members who stopped coming or paying), so that every
check has something to show.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from zhibu.evaluations import compute, cycles, facts, sheets
from zhibu.members import importer
from zhibu.members.roster import write_roster
from zhibu.orgs import service as orgs
from zhibu.plugins import DemoContext

# code, name, members, party groups (0: none), general branch (or the committee)
BRANCHES = (
    ("Z01", "公司机关第一党支部", 12, 2, "ZZ1"),
    ("Z02", "公司机关第二党支部", 9, 0, "ZZ1"),
    ("Z03", "财务资产党支部", 6, 0, "ZZ1"),
    ("Z04", "生产运行第一党支部", 22, 3, None),
    ("Z05", "生产运行第二党支部", 18, 2, None),
    ("Z06", "检修维护党支部", 15, 2, None),
    ("Z07", "安全监察党支部", 8, 0, None),
    ("Z08", "市场营销党支部", 14, 2, None),
    ("Z09", "客户服务中心党支部", 11, 0, None),
    ("Z10", "信息通信党支部", 10, 0, None),
    ("Z11", "物资供应党支部", 7, 0, None),
    ("Z12", "工程建设项目部临时党支部", 4, 0, None),
)
COMMITTEE = ("支部书记", "组织委员", "宣传委员", "纪检委员", "群工委员")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红玲燕彬鹏辉建国志海文斌东晨阳雪梅"
SHORTFALLS = (
    ("T1", 1, "党小组会议记录本缺2021年度考勤页"),
    ("T3", 1, "党费收缴票据未按月装盒"),
    ("T4", 1, "组织生活会相互批评意见表未归档"),
    ("T6", 2, "创先争优档案盒未建立目录"),
    ("T8", 1, "2名党员党费证未及时登记"),
    ("P1", 2, "活动室缺主题教育图板"),
    ("P2", 2, "“3亮3比”公示内容未更新"),
    ("P3", 2, "微信群进群率86%,未达到90%"),
    ("P3", 1, "微信群本季度有两个月未推送学习资料"),
)


def build(context: DemoContext) -> str:
    rng = random.Random(2021)
    tenant, access = context.tenant, context.access
    units, groups, general = _tree(tenant.id)
    report = importer.commit(tenant, access, write_roster(_roster(rng, units, groups)))
    members = _members(tenant.id)
    history = cycles.open_cycle(tenant, "enterprise_5std", "2020")
    past = _history(rng, units)
    # the records before the stored 2020 results: a final cycle takes no more of its year
    added = facts.add_records(access, _records(rng, units, groups, members))
    compute.store_history(history, past)
    cycle = cycles.open_cycle(tenant, "enterprise_5std", "2021")
    saved = sheets.save_many(cycle, _sheets(rng, [*units.values(), general]))
    facts.add_incident(
        access, "org", units["Z06"].id, "downgrade.major_accident", date(2021, 8, 17),
        "检修作业违章引发设备损坏,受到上级通报",
    )  # fmt: skip
    cycles.advance(cycle, "review")
    result_set = compute.recompute(cycle)
    return (
        f"{tenant.name}: {len(units)} 个党支部, {len(groups)} 个党小组, {report.to_create} 名"
        f"党员, {added} 条组织生活、培训与党费记录, {saved} 张考核表, "
        f"{result_set.subjects} 个 2021 年度结果"
    )


def _tree(tenant_id) -> tuple[dict, dict, object]:
    root = orgs.create_org(tenant_id, code="DW", name="中共示范集团公司委员会", kind="committee")
    general = orgs.create_org(
        tenant_id, code="ZZ1", name="公司机关党总支", kind="general_branch", parent_id=root.id
    )
    units, groups = {}, {}
    for code, name, _, group_count, parent in BRANCHES:
        unit = orgs.create_org(
            tenant_id,
            code=code,
            name=name,
            kind="branch",
            parent_id=(general if parent else root).id,
        )
        units[code] = unit
        for number in range(1, group_count + 1):
            group = orgs.create_org(
                tenant_id,
                code=f"{code}-G{number}",
                name=f"{name}第{'一二三'[number - 1]}党小组",
                kind="party_group",
                parent_id=unit.id,
            )
            groups[group.code] = (code, group)
    return units, groups, general


def _committee_size(code: str, size: int) -> int:
    if code == "Z08":
        return 4  # an even committee: the check says so
    return 0 if size < 7 else 5 if size >= 15 else 3


def _roster(rng: random.Random, units, groups) -> list[dict]:
    rows = []
    for code, _, size, _, _ in BRANCHES:
        board = _committee_size(code, size)
        own = [g for g, (branch, _) in groups.items() if branch == code]
        for number in range(size):
            position = COMMITTEE[number] if number < max(board, 1) else None
            joined = date(1990, 1, 1) + timedelta(days=rng.randint(0, 365 * 30))
            if code in ("Z03", "Z09") and number == 0:
                joined = date(2018, 5, 20)  # a secretary newly elected in 2021
            probationary = number >= 2 and rng.random() < 0.08
            if probationary:
                joined = date(2021, rng.randint(1, 6), 1)
            # the committee sits in the branch, the others in its groups (one group of two)
            unit = code
            if own and number >= board:
                unit = _group_of(rng, code, number - board, own)
            rows.append(
                {
                    "name": rng.choice(SURNAMES)
                    + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                    "gender": rng.choice(("男", "女")),
                    "birth_date": joined - timedelta(days=365 * rng.randint(22, 30)),
                    "joined_on": joined,
                    "full_member_on": None if probationary else joined + timedelta(days=365),
                    "branch": unit,
                    "position": position,
                    "status": "probationary" if probationary else "full",
                    "category": "serving",
                    "archive_code": f"QY-{code[1:]}{number + 1:02d}",
                }
            )
    return rows


def _group_of(rng: random.Random, code: str, number: int, own: list[str]) -> str:
    if code == "Z06":  # a group of two: the check says so
        return own[0] if number < 2 else rng.choice(own[1:])
    return own[number % len(own)] if number < 3 * len(own) else rng.choice(own)


def _members(tenant_id) -> dict[str, list]:
    """Each branch's members (its own and its groups'), by the branch code."""
    from sqlalchemy import select

    from zhibu.db import db
    from zhibu.models import Member

    by_branch: dict[str, list] = {}
    for member in db.session.scalars(
        select(Member).where(Member.tenant_id == tenant_id).order_by(Member.archive_code)
    ):
        by_branch.setdefault(f"Z{member.archive_code[3:5]}", []).append(member)
    return by_branch


def _history(rng: random.Random, units) -> list[dict]:
    return [
        {"subject": ("org", unit.id), "stars": stars, "total": total}
        for unit in units.values()
        for total in (round(rng.uniform(76, 94), 2),)
        for stars in (5 if total >= 90 else 4 if total >= 80 else 3,)
    ]


def _records(rng: random.Random, units, groups, members) -> list[dict]:
    rows = []
    lapsed = {members["Z04"][7].id: "life", members["Z09"][5].id: "dues"}
    lapsed[members["Z05"][9].id] = "both"
    for code, unit in units.items():
        people = members[code]
        care = 0.97 if code in ("Z01", "Z04", "Z07") else rng.uniform(0.78, 0.95)
        rows += _elections(code, unit, people)
        rows += _meetings(rng, code, unit, people, care, lapsed)
        rows += _dues(rng, unit, people, lapsed)
        rows += _training(rng, unit, people)
        for branch, group in groups.values():
            if branch == code:
                in_group = [m for m in people if m.org_id == group.id]
                rows += _monthly(rng, group.id, "group_meeting", in_group, care, lapsed, 12)
    return rows


def _elections(code: str, unit, people) -> list[dict]:
    held = {"Z02": date(2015, 6, 18), "Z03": date(2021, 4, 9), "Z09": date(2021, 3, 26)}
    when = held.get(code, date(2018 + int(code[1:]) % 3, 3 + int(code[1:]) % 6, 12))
    secretary = people[0].id if when.year == 2021 else None
    return [{"org_id": unit.id, "kind": "election", "held_on": when, "member_id": secretary}]


def _attending(rng, people, care, lapsed, month: int) -> list:
    away = {m for m, how in lapsed.items() if how in ("life", "both") and 3 <= month <= 10}
    return [m.id for m in people if m.id not in away and rng.random() < care + 0.03]


def _monthly(rng, org_id, kind, people, care, lapsed, every: int, day: int = 10) -> list[dict]:
    step = 12 // every
    rows = []
    for month in range(step, 13, step):
        if rng.random() > care + 0.04:
            continue  # a month (quarter) missed
        held = date(2021, month, min(28, day + rng.randint(0, 5)))
        attendees = _attending(rng, people, care, lapsed, month)
        rows.append({"org_id": org_id, "kind": kind, "held_on": held, "attendees": attendees})
    return rows


def _meetings(rng, code, unit, people, care, lapsed) -> list[dict]:
    rows = _monthly(rng, unit.id, "general_meeting", people, care, lapsed, 4, 5)
    if len(people) >= 7:
        board = [m for m in people if m.position]
        rows += _monthly(rng, unit.id, "committee_meeting", board, care, lapsed, 12, 2)
    rows += _monthly(rng, unit.id, "theme_party_day", people, care, lapsed, 12, 1)
    lectures = _monthly(rng, unit.id, "party_lecture", people, care, lapsed, 4, 20)
    for number, lecture in enumerate(lectures):
        by_secretary = number == 0 and code not in ("Z10", "Z12")
        lecture["member_id"] = people[0 if by_secretary else 1 + number % (len(people) - 1)].id
    rows += lectures
    for kind, month in (("org_life_meeting", 12), ("member_appraisal", 12)):
        if code not in ("Z11", "Z12") or kind == "member_appraisal":
            held = date(2021, month, rng.randint(10, 28))
            attendees = _attending(rng, people, care, lapsed, month)
            rows.append({"org_id": unit.id, "kind": kind, "held_on": held, "attendees": attendees})
    return rows


def _dues(rng, unit, people, lapsed) -> list[dict]:
    rows = []
    for member in people:
        start = member.joined_on.month if member.joined_on.year == 2021 else 1
        for month in range(start, 13):
            if lapsed.get(member.id) in ("dues", "both") and month >= 5:
                continue
            if rng.random() < 0.03:
                continue  # a month forgotten now and then
            rows.append(
                {
                    "org_id": unit.id,
                    "kind": "dues",
                    "held_on": date(2021, month, rng.randint(1, 15)),
                    "member_id": member.id,
                    "month": f"2021-{month:02d}",
                }
            )
    return rows


def _training(rng, unit, people) -> list[dict]:
    """The company's own course for everyone, two branch sessions, and a course for the
    secretaries and committee members."""
    everyone = [m.id for m in people]
    board = [m.id for m in people if m.position]
    return [
        {"org_id": unit.id, "kind": "training", "held_on": date(2021, 3, 16), "hours": 16,
         "attendees": [m for m in everyone if rng.random() < 0.95], "topic": "党史学习教育"},
        {"org_id": unit.id, "kind": "training", "held_on": date(2021, 7, 8), "hours": 8,
         "attendees": [m for m in everyone if rng.random() < 0.9], "topic": "支部集中学习"},
        {"org_id": unit.id, "kind": "training", "held_on": date(2021, 10, 21), "hours": 8,
         "attendees": [m for m in everyone if rng.random() < 0.9], "topic": "支部集中学习"},
        {"org_id": unit.id, "kind": "training", "held_on": date(2021, 11, 3), "hours": 24,
         "attendees": [m for m in board if rng.random() < 0.85], "topic": "党务干部轮训班"},
    ]  # fmt: skip


def _sheets(rng: random.Random, units) -> list[sheets.SheetInput]:
    out = []
    for unit in units:
        picked = rng.sample(SHORTFALLS, rng.randint(0, 3))
        deductions = {}
        for item, points, reason in picked:
            deductions.setdefault(item, {"item": item, "points": points, "reason": reason})
        out.append(
            sheets.SheetInput(
                "org", unit.id, "assessment", rater="党委组织科",
                deductions=list(deductions.values()),
            )
        )  # fmt: skip
        out.append(sheets.SheetInput("org", unit.id, "self", score=round(rng.uniform(85, 98), 1)))
    return out
