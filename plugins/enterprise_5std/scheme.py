"""五个标准化 + 星级提升 of a company (seeds 002 篇三 and 003): the tracks, the 组织考核
rubric (part one's automatic checks and the assessor's checklist), the star levels (part
two), the adjustable points and the targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from enterprise_5std.rules import DOWNGRADES, RULES
from enterprise_5std.standards import CHECKS, indicators
from zhibu.engine import Adjustable, Band, Definition, Indicator, Rubric, Source, Target, Track
from zhibu.evaluations.periods import parse_period

ORGANIZATION_KINDS = ("branch", "general_branch", "enterprise")
CHECKLIST_KEY = "enterprise_5std.checklist"

# Seed: "(4)信息台账标准化(3本6盒1证)" and "(5)活动阵地标准化(3+X:1室1栏1群+其他)" — what the
# records cannot show, the assessor checks on site: each item starts full and a shortfall
# is a deduction whose reason is the evidence note. Points are this project's defaults.
CHECKLIST = (
    (
        "T1",
        "信息台账",
        "会议(学习)记录本",
        3,
        "党支部会议记录本(有党小组的配党小组会议记录本)、"
        "党员学习笔记本,每年1本,载明党组织简介、组织生活考勤,做好移交与归档",
    ),
    ("T2", "信息台账", "组织管理档案盒", 2, "成立、换届选举及委员变更资料,计划、总结;建立目录"),
    ("T3", "信息台账", "党员管理档案盒", 2, "党员花名册、关系转接、党费票据及台账、发展党员资料"),
    ("T4", "信息台账", "组织生活档案盒", 2, "“3会1课”计划及材料、主题党日、组织生活会、民主评议"),
    ("T5", "信息台账", "集中教育档案盒", 2, "上级重要文件,集中教育方案、计划、总结及过程资料"),
    ("T6", "信息台账", "创先争优档案盒", 2, "“3亮3比”、党员服务队、责任区(示范岗)、先进典型"),
    ("T7", "信息台账", "群团文化档案盒", 2, "联系服务群众、员工思想动态、志愿服务、团青工作资料"),
    ("T8", "信息台账", "党费证", 3, "记录党员交纳党费的情况"),
    ("P1", "活动阵地", "党员活动室", 4, "专用“1牌1旗3板”或共用“1牌1旗2板”"),
    ("P2", "活动阵地", "党支部宣传栏", 4, "“3亮3比”公示图板"),
    (
        "P3",
        "活动阵地",
        "党支部微信群",
        4,
        "书记或1名支委管理,群名与支部名称一致,党员、预备党员、"
        "入党积极分子进群率达到90%以上,每月至少推送学习资料1次",
    ),
)

SETTINGS = (
    *(
        Adjustable(f"points.{code}", points, f"组织考核:{code} {category}·{title}(分)", 0, 20)
        for code, _, category, title, points, _ in CHECKS
    ),
    *(
        Adjustable(f"points.{code}", points, f"组织考核:{code} {category}·{title}(分)", 0, 20)
        for code, category, title, points, _ in CHECKLIST
    ),
    Adjustable("term_years", 5, "支部委员会每届任期(年,3至5)", 3, 5),
)


def checklist(settings: Mapping[str, Any]) -> Rubric:
    return Rubric(
        CHECKLIST_KEY,
        "信息台账与活动阵地检查清单",
        tuple(
            Indicator(
                code, title, settings[f"points.{code}"], "deduction", category, evidence=evidence
            )
            for code, category, title, _, evidence in CHECKLIST
        ),
    )


def levels() -> tuple[tuple[Band, ...], Band]:
    """Seed: "考核分数80以下(不含80分)为三星级,80-90分(不含90分)为四星级,90分以上为五星级。"
    (90 included; totals kept to two decimals, so 89.99 is four stars.)"""
    return (Band(90, 5), Band(80, 4)), Band(0, 3)


def define(settings: Mapping[str, Any]) -> Definition:
    """Seed: "基层党组织在公司评审前,对照考核细则进行自评,申报相应星级;党委组织科根据各基层党组
    织申报情况,协调有关部门按照标准对其进行考核评审" — the self-assessment (自评) is kept and
    shown, the organization's assessment (组织考核) makes the score. The 考核细则 annex is not
    given: the standard is part one's, seed 002's "依照定量与定性相结合的方式,建立基层党支部可遵照
    履行、上级党组织可根据指点,并进行考核评估的标准体系" — the automatic checks (定量) and the
    assessor's checklist (定性) together, or a total the assessor enters instead.

    Party groups and members are subjects too, checked but not rated: their results carry
    what the checks found about them (``lapsed_six_months`` …)."""
    bands, floor = levels()
    automatic = indicators(settings)
    rubric = checklist(settings)
    organization = Track(
        "organization",
        "基层党组织",
        ORGANIZATION_KINDS,
        (
            Source(
                "assessment",
                "组织考核",
                1.0,
                rubric=rubric.key,
                automatic=tuple(i.key for i in automatic),
            ),
            Source("self", "自评申报", 0, counted=False, rubric=rubric.key),
        ),
        bands,
        floor,
    )
    groups = Track("party_group", "党小组(只核查,不评星)", ("party_group",), (), ())
    members = Track("member", "党员(只核查,不评星)", ("member",), (), ())
    return Definition((organization, groups, members), (rubric,), RULES, automatic)


# Seed: "力争通过一年时间,五星级党组织达到总数的30%,2014年上半年达到50%,2015年上半年达到
# 70%,无三星级党支部。" The plan is of 2012 (XX局发〔2012〕), so "one year" is 2013.
TARGETS = (
    Target(
        "five_star_share",
        "五星级党组织占比",
        "organization",
        {"2013": 0.3, "2014H1": 0.5, "2014": 0.5, "2015H1": 0.7, "2015": 0.7},
        stars=5,
    ),
    Target(
        "no_three_star",
        "三星级党组织占比(应为零)",
        "organization",
        {"2015H1": 0.0, "2015": 0.0},
        stars=3,
        at_most=True,
    ),
)


def deadlines(period: str) -> dict[str, str]:
    """ "自评申报-组织考核-党委评定-结果公示-挂牌管理" are the five phases; the assessment ends
    with the period (the seed sets no dates)."""
    return {"assessment": parse_period(period).end.isoformat()}


INCIDENT_KINDS = DOWNGRADES
