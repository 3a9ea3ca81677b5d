"""Demo data for ``make demo``: a city (都江堰市) with village, community, organ and "两新"
branches (and one plain 党支部, rated on the organ sheet), about 250 members, a 2020 result
history, and the 2021 cycle: branch quantified scores and satisfaction surveys, a year of
monthly records entered month by month through the plugin's month service (as a branch
secretary would), the year-end appraisal, computed.

Some members join during the year, one leaves in August, one moves to another branch in
June: their months outside the branch are not on the branch's sheets. Generated from a
fixed random seed, so every run makes the same city.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from dujiangyan_quantified import months
from dujiangyan_quantified.rubrics import branch_lines
from dujiangyan_quantified.scheme import branch_kinds
from zhibu.db import db
from zhibu.evaluations import compute, cycles, sheets
from zhibu.members import importer, service
from zhibu.members.roster import write_roster
from zhibu.models import Member
from zhibu.orgs import service as orgs
from zhibu.plugins import DemoContext

SCHEME = "dujiangyan_quantified"
TREE = (
    (
        "GK",
        "中共都江堰市灌口街道工作委员会",
        "township",
        (("SQ01", "幸福社区党委", "community"), ("SQ02", "灌口社区党支部", "community")),
    ),
    (
        "QCS",
        "中共都江堰市青城山镇委员会",
        "township",
        (("CN01", "青城村党支部", "village"), ("CN02", "泰安村党支部", "village")),
    ),
    ("LC", "中共都江堰市龙池镇委员会", "township", (("CN03", "南岳村党支部", "village"),)),
    (
        "JGGW",
        "中共都江堰市直属机关工作委员会",
        "committee",
        (
            ("JG01", "市委办公室党支部", "organ"),
            ("JG02", "市教育局机关党支部", "organ"),
            ("JG03", "市文化广电旅游局党支部", "branch"),
        ),
    ),
    (
        "LXGW",
        "中共都江堰市“两新”组织工作委员会",
        "committee",
        (
            ("LX01", "青城旅游发展有限公司党支部", "two_new"),
            ("LX02", "玉垒商圈楼宇联合党支部", "two_new"),
            ("LX03", "都江堰市志愿者协会党支部", "two_new"),
        ),
    ),
)
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍"
    "红玲芬燕彬鹏辉建国志海文斌东丹晨阳雪梅春永"
)
REASONS = {
    "P05": "无故缺席支部集中学习",
    "P07": "未参加支部固定党日",
    "R02": "未按时交纳党费",
    "R04": "无故不参加组织生活",
    "R05": "外出未请假",
    "F03": "未参加党员志愿服务",
    "F04": "联系服务群众不到位",
    "M06": "操办宴席铺张",
}
BRANCH_REASONS = (
    "台账不全",
    "会议记录不规范",
    "活动缺少影像资料",
    "制度执行不到位",
    "群众反映问题未回应",
)


def build(context: DemoContext) -> str:
    rng = random.Random(2021)
    tenant, access = context.tenant, context.access
    branches = _tree(tenant.id)
    report = importer.commit(tenant, access, write_roster(_roster(rng, branches)))
    members = _by_unit(tenant.id)
    _movements(access, members, branches)
    history = cycles.open_cycle(tenant, SCHEME, "2020")
    compute.store_history(history, _history(rng, branches))
    cycle = cycles.open_cycle(tenant, SCHEME, "2021")
    sheets.save_many(cycle, _branch_scores(rng, branches))
    quality = {m.id: rng.triangular(0.55, 1.0, 0.9) for group in members.values() for m in group}
    for group in list(members.values())[::4]:
        quality[group[3].id] = 0.4  # a member the branch keeps losing points on
    entered = sum(
        months.save_month(tenant.id, unit.id, f"2021-{month:02d}", rows)["saved"]
        for month in range(1, 13)
        for unit in branches.values()
        if (rows := _month_rows(rng, unit, f"2021-{month:02d}", quality))
    )
    sheets.save_many(cycle, _annual(rng, quality))
    cycles.advance(cycle, "review")
    result_set = compute.recompute(cycle)
    return (
        f"{tenant.name}: {len(branches)} 个党支部(村、社区、机关、“两新”), "
        f"{report.to_create} 名党员, {entered} 条月度记实考评, "
        f"{result_set.subjects} 个 2021 年度结果"
    )


def _tree(tenant_id) -> dict[str, object]:
    root = orgs.create_org(tenant_id, code="SW", name="中共都江堰市委员会", kind="committee")
    branches = {}
    for code, name, kind, units in TREE:
        parent = orgs.create_org(tenant_id, code=code, name=name, kind=kind, parent_id=root.id)
        for unit_code, unit_name, unit_kind in units:
            branches[unit_code] = orgs.create_org(
                tenant_id, code=unit_code, name=unit_name, kind=unit_kind, parent_id=parent.id
            )
    return branches


def _roster(rng: random.Random, branches) -> list[dict]:
    rows = []
    for unit in branches.values():
        for position in range(rng.randint(15, 28)):
            born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 48))
            joined = min(born + timedelta(days=rng.randint(365 * 19, 365 * 35)), date(2020, 7, 1))
            if position == 5:  # a new member, admitted during 2021
                joined = date(2021, rng.randint(3, 10), 1)
            rows.append(
                {
                    "name": rng.choice(SURNAMES)
                    + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                    "gender": rng.choice(("男", "女")),
                    "ethnicity": "汉族",
                    "birth_date": born,
                    "joined_on": joined,
                    "full_member_on": joined + timedelta(days=365) if joined.year < 2021 else None,
                    "branch": unit.name,
                    "position": "支部书记"
                    if position == 0
                    else ("支部委员" if position < 3 else None),
                    "status": "probationary" if joined.year >= 2020 else "full",
                    "category": "serving",
                }
            )
    return rows


def _by_unit(tenant_id) -> dict:
    by_unit: dict = {}
    for member in db.session.scalars(
        select(Member).where(Member.tenant_id == tenant_id).order_by(Member.archive_code)
    ):
        by_unit.setdefault(member.org_id, []).append(member)
    return by_unit


def _movements(access, members, branches) -> None:
    """One member moves from 青城村 to 幸福社区 in June; one of 市委办 leaves in August."""
    mover = members[branches["CN01"].id][-1]
    service.transfer_member(access, mover, branches["SQ01"].id, date(2021, 6, 15), "工作调动")
    leaver = members[branches["JG01"].id][-1]
    service.update_member(access, leaver, {"active": False, "left_on": date(2021, 8, 20)})


def _history(rng: random.Random, branches) -> list[dict]:
    """2020: one branch already unqualified (weak and lax); the rest rated."""
    entries = []
    for code, unit in branches.items():
        total = 55.0 if code == "LX03" else round(rng.uniform(65, 97), 2)
        stars = 5 if total >= 90 else 4 if total >= 80 else 3 if total >= 60 else None
        grade = "unqualified" if stars is None else None
        flags = ["weak_lax"] if stars is None else []
        entries.append(
            {
                "subject": ("org", unit.id),
                "total": total,
                "stars": stars,
                "grade": grade,
                "flags": flags,
            }
        )
    return entries


def _branch_scores(rng: random.Random, branches) -> list[sheets.SheetInput]:
    """Two assessors' deductions on the branch's own sheet, and the satisfaction survey."""
    types = {
        kind: t
        for t, kinds in branch_kinds({"plain_branch_type": "organ"}).items()
        for kind in kinds
    }
    out = []
    for code, unit in branches.items():
        weak = {"LX03": (20, 26), "CN03": (8, 12)}.get(code)  # weak and lax; three stars
        lines = [line for group in branch_lines(types[unit.kind]).values() for line in group]
        for rater in ("考核组1", "考核组2"):
            picked = rng.sample(lines, rng.randint(*weak) if weak else rng.randint(1, 6))
            deductions = [
                {
                    "item": line[0],
                    "points": line[2] if weak else round(rng.uniform(0.5, line[2]), 1),
                    "reason": rng.choice(BRANCH_REASONS),
                }
                for line in picked
            ]
            out.append(
                sheets.SheetInput("org", unit.id, "quantified", rater=rater, deductions=deductions)
            )
        low, high = (40, 62) if weak else (78, 98)
        out.append(
            sheets.SheetInput(
                "org", unit.id, "satisfaction", score=round(rng.uniform(low, high), 1)
            )
        )
    return out


def _month_rows(rng: random.Random, unit, month: str, quality) -> list[months.MonthRow]:
    """The month's sheet of the unit, as its secretary fills it: most members a score, some
    deductions with reasons, a few months not recorded."""
    rows = []
    for person in months.members_in_month(unit, month):
        q = quality[person.id]
        if rng.random() < 0.04:
            continue  # not recorded this month (away, ill): left out, not zero
        if q >= 0.5 and rng.random() < (1 - q) * 0.8:
            codes = rng.sample(list(REASONS), rng.randint(1, 2))
            deductions = [
                {"item": code, "points": rng.choice((1, 2)), "reason": REASONS[code]}
                for code in codes
            ]
            rows.append(months.MonthRow(archive_code=person.archive_code, deductions=deductions))
        else:
            score = round(min(100, q * 100 + rng.uniform(-6, 6)), 1)
            rows.append(months.MonthRow(archive_code=person.archive_code, score=max(score, 30)))
    return rows


def _annual(rng: random.Random, quality) -> list[sheets.SheetInput]:
    return [
        sheets.SheetInput(
            "member", member_id, "annual", score=round(min(100, q * 100 + rng.uniform(-5, 5)), 1)
        )
        for member_id, q in quality.items()
    ]
