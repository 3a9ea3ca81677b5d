"""Demo data: a county with four townships, their villages, communities and "两新"
organizations, their members (a few in each, through the roster importer), the townships'
secretaries' logins, and a quarter of internal observations with rectification items.
Fixed random seed; everything through the platform's services."""

from __future__ import annotations

import random
from datetime import date, timedelta

from county_observation.sheets import SHEETS
from zhibu.evaluations import compute, cycles, ledger, sheets
from zhibu.members import importer
from zhibu.members.roster import write_roster
from zhibu.orgs import service as orgs
from zhibu.plugins import DemoContext

TOWNSHIPS = (
    (
        "T01",
        "城关镇",
        ("东关村", "西关村", "南街社区", "北街社区", "河滨社区"),
        ("城关建材有限公司党支部", "县商会党支部"),
    ),
    ("T02", "南山乡", ("南山村", "石门村", "杏花村", "柳树湾村"), ("南山茶叶合作社党支部",)),
    (
        "T03",
        "北岭镇",
        ("北岭村", "青石村", "红旗村", "新华社区", "朝阳村"),
        ("北岭物流有限公司党支部", "北岭镇个体劳动者协会党支部"),
    ),
    (
        "T04",
        "东湖街道",
        ("东湖社区", "湖滨社区", "翠园社区", "锦绣社区"),
        ("东湖科技园党委", "东湖律师事务所党支部"),
    ),
)
REASONS = (
    "台账记录不完整",
    "未按要求公示",
    "活动开展次数不足",
    "制度未上墙",
    "资料归档不规范",
    "党员信息未及时更新",
    "会议记录缺少签到",
    "整改清单未销号",
)
OBSERVERS = (
    "党委书记",
    "党委副书记",
    "组织委员",
    "宣传委员",
    "纪委书记",
    "村书记代表",
    "专职副书记",
)


def build(context: DemoContext) -> str:
    rng = random.Random(2020)
    tenant = context.tenant
    root = orgs.create_org(tenant.id, code="XW", name="中共示范县委员会", kind="committee")
    sites = []
    for code, name, villages, two_new in TOWNSHIPS:
        township = orgs.create_org(
            tenant.id, code=code, name=f"{name}党委", kind="township", parent_id=root.id
        )
        for index, site in enumerate(villages, start=1):
            kind = "community" if site.endswith("社区") else "village"
            sites.append(
                orgs.create_org(
                    tenant.id,
                    code=f"{code}-{index:02d}",
                    name=f"{site}党支部",
                    kind=kind,
                    parent_id=township.id,
                )
            )
        for index, site in enumerate(two_new, start=1):
            sites.append(
                orgs.create_org(
                    tenant.id,
                    code=f"{code}-X{index}",
                    name=site,
                    kind="two_new",
                    parent_id=township.id,
                )
            )
        context.add_user(
            "branch_secretary", f"{code.lower()}_zzw", f"{name}组织委员", org_id=township.id
        )
    report = importer.commit(tenant, context.access, write_roster(_roster(rng, sites)))
    cycle = cycles.open_cycle(
        tenant, "county_observation", "2021Q3", round="internal", label="2021年第三季度内部观摩"
    )
    saved = sheets.save_many(cycle, [s for site in sites for s in _observations(rng, site)])
    cycles.advance(cycle, "review")
    compute.recompute(cycle)
    items = _rectification(rng, context.access, cycle)
    return (
        f"{tenant.name}: {len(TOWNSHIPS)} 个乡镇(街道), {len(sites)} 个村(社区)和“两新”组织, "
        f"{report.to_create} 名党员, {saved} 份现场打分, {items} 条整改事项"
    )


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红玲燕彬鹏辉建国志海文斌东晨阳"


def _roster(rng: random.Random, sites) -> list[dict]:
    """Three to eight members in each site (the first its secretary): the county's scheme
    rates sites, not members, but members log in to follow their branch."""
    rows = []
    for site in sites:
        for number in range(rng.randint(3, 8)):
            joined = date(1985, 1, 1) + timedelta(days=rng.randint(0, 365 * 34))
            rows.append(
                {
                    "name": rng.choice(SURNAMES)
                    + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                    "gender": rng.choice(("男", "女")),
                    "birth_date": joined - timedelta(days=365 * rng.randint(20, 35)),
                    "joined_on": joined,
                    "full_member_on": joined + timedelta(days=365),
                    "branch": site.code,
                    "position": "支部书记" if number == 0 else None,
                    "status": "full",
                    "category": "serving",
                }
            )
    return rows


def _observations(rng: random.Random, site) -> list[sheets.SheetInput]:
    rubric = SHEETS[site.kind]
    weakness = rng.uniform(0.02, 0.3)
    out = []
    for rater in rng.sample(OBSERVERS, rng.randint(4, 7)):
        deductions = []
        for indicator in rubric.indicators:
            if rng.random() < weakness:
                points = round(
                    min(indicator.max_points, rng.uniform(0.5, indicator.max_points * 0.7)), 1
                )
                deductions.append(
                    {
                        "item": indicator.code,
                        "points": max(points, 0.5),
                        "reason": rng.choice(REASONS),
                    }
                )
        out.append(
            sheets.SheetInput("org", site.id, "observer", rater=rater, deductions=deductions)
        )
    return out


def _rectification(rng: random.Random, access, cycle) -> int:
    """Three items in every township, from its deductions in a stable order (unit code,
    rater, item), so that every run raises the same ones."""
    from sqlalchemy import select

    from zhibu.db import db
    from zhibu.models import OrgUnit, ScoreItem, ScoreSheet

    rows = db.session.execute(
        select(ScoreItem.id, OrgUnit.code)
        .join(
            ScoreSheet,
            (ScoreSheet.tenant_id == ScoreItem.tenant_id) & (ScoreSheet.id == ScoreItem.sheet_id),
        )
        .join(
            OrgUnit,
            (OrgUnit.tenant_id == ScoreSheet.tenant_id) & (OrgUnit.id == ScoreSheet.subject_id),
        )
        .where(ScoreSheet.cycle_id == cycle.id, ScoreItem.kind == "deduction")
        .order_by(OrgUnit.code, ScoreSheet.rater, ScoreItem.indicator)
    ).all()
    by_township: dict[str, list] = {}
    for deduction_id, code in rows:
        by_township.setdefault(code.split("-")[0], []).append(deduction_id)
    raised = 0
    for township in sorted(by_township):
        for deduction in rng.sample(by_township[township], min(3, len(by_township[township]))):
            deadline = date(2021, 10, 31) + timedelta(days=rng.choice((-40, 0, 30, 60)))
            item = ledger.raise_from_deduction(
                access,
                deduction,
                deadline=deadline,
                measure="对照标准逐项整改,完善台账资料",
                responsible="支部书记",
            )
            raised += 1
            if raised % 3 == 1:  # a third of them checked already, still to be signed off
                ledger.follow_up(
                    access,
                    item,
                    checked_on=deadline - timedelta(days=5),
                    finding="回头看:已按要求整改",
                    satisfactory=True,
                )
    return raised
