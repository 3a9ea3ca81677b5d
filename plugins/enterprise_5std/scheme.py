"""五个标准化 + 星级提升 of a company (seeds 002 篇三 and 003). This module: Part two, the
star upgrading; Part one (the five standardizations as automatic indicators and a
checklist) follows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from enterprise_5std.rules import DOWNGRADES, RULES
from zhibu.engine import Band, Definition, Source, Target, Track
from zhibu.evaluations.periods import parse_period

ORGANIZATION_KINDS = ("branch", "general_branch", "enterprise")


def levels() -> tuple[tuple[Band, ...], Band]:
    """Seed: "考核分数80以下(不含80分)为三星级,80-90分(不含90分)为四星级,90分以上为五星级。"
    (90 included; totals kept to two decimals, so 89.99 is four stars.)"""
    return (Band(90, 5), Band(80, 4)), Band(0, 3)


def define(settings: Mapping[str, Any]) -> Definition:
    """Seed: "基层党组织在公司评审前,对照考核细则进行自评,申报相应星级;党委组织科根据各基层党组
    织申报情况,协调有关部门按照标准对其进行考核评审" — the self-assessment (自评) is kept and
    shown, the organization's assessment (组织考核) makes the score (the 考核细则 annex is not
    given: the assessment is entered as a total or by items of the assessor's own)."""
    bands, floor = levels()
    track = Track(
        "organization",
        "基层党组织",
        ORGANIZATION_KINDS,
        (
            Source("assessment", "组织考核", 1.0),
            Source("self", "自评申报", 0, counted=False),
        ),
        bands,
        floor,
    )
    return Definition((track,), (), RULES)


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
