"""样板党支部 / 评星定级 of Akesu Vocational and Technical College (seed 000)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from akesu_college.rules import RULES, VETO_KINDS
from zhibu.engine import (
    Adjustable,
    Band,
    Definition,
    Indicator,
    Rubric,
    SettingsConflict,
    Source,
    Target,
    Track,
)

# Seed: "按照党的组织全覆盖、党的领导全覆盖、党的工作全覆盖、党的作用全覆盖、党的活动全覆盖、
# 党的优势全覆盖、党的力量壮大全覆盖、开展“两学一做”学习教育,持续巩固“不忘初心,牢记使命”
# 主题教育成果等八个方面进行考评(附件1以百分制评分的方式进行,总分为100分" — Annex 1 is not
# given, so each aspect's points are adjustable; the defaults are this project's.
BRANCH_ASPECTS = (
    ("A1", "党的组织全覆盖", 15),
    ("A2", "党的领导全覆盖", 15),
    ("A3", "党的工作全覆盖", 15),
    ("A4", "党的作用全覆盖", 15),
    ("A5", "党的活动全覆盖", 10),
    ("A6", "党的优势全覆盖", 10),
    ("A7", "党的力量壮大全覆盖", 10),
    ("A8", "开展“两学一做”学习教育、巩固主题教育成果", 10),
)
# Seed: "从信念坚定、师德清廉、爱岗敬业、学习争先、遵纪守法等五个方面进行考评(附件2)以百分制
# 评分的方式进行,总分为100分" — Annex 2 is not given either: 20 points each by default.
MEMBER_ASPECTS = (
    ("B1", "信念坚定", 20),
    ("B2", "师德清廉", 20),
    ("B3", "爱岗敬业", 20),
    ("B4", "学习争先", 20),
    ("B5", "遵纪守法", 20),
)

SETTINGS = (
    *(
        Adjustable(f"branch_points.{code}", points, f"支部评星:{title}(分)", 0, 100)
        for code, title, points in BRANCH_ASPECTS
    ),
    *(
        Adjustable(f"member_points.{code}", points, f"党员星级:{title}(分)", 0, 100)
        for code, title, points in MEMBER_ASPECTS
    ),
    Adjustable("five_star_member_share", 0.3, "五星级党员比例上限(原则上不超过 30%)", 0, 1),
    Adjustable("enforce_member_quota", True, "五星党员比例按排名执行(否则只提示)"),
)


def _rubric(key: str, title: str, aspects, settings: Mapping[str, Any], prefix: str) -> Rubric:
    indicators = tuple(
        Indicator(code, name, settings[f"{prefix}.{code}"], category=name)
        for code, name, _ in aspects
    )
    rubric = Rubric(key, title, indicators)
    if abs(rubric.max_points - 100) > 1e-9:
        total = f"{rubric.max_points:g}"
        raise SettingsConflict(
            [prefix],
            f"各方面分值合计须为 100 分,现为 {total} 分",
            f"the aspects must add up to 100 points, not {total}",
        )
    return rubric


def stars() -> tuple[Band, ...]:
    """Seed: "综合考评得分在90分以上的可评为“五星”级,80—89分的可评为“四星”级,70—79分可评为
    “三星”级,60—69分可评为“二星”级,60分以下可评为“一星”级。" (90 included; totals keep two
    decimals, so 89.99 is four stars.)"""
    return (Band(90, 5), Band(80, 4), Band(70, 3), Band(60, 2))


def define(settings: Mapping[str, Any]) -> Definition:
    """Seed: "党支部综合考评得分=民主测评打分×30%+考核组量化打分×50%+上级党组织评价打分×20%,
    党员综合考评得分=民主测评得分×60%+支委会评价得分×40%。" """
    branch_rubric = _rubric(
        "akesu.branch", "党支部评星定级评分细则", BRANCH_ASPECTS, settings, "branch_points"
    )
    member_rubric = _rubric(
        "akesu.member", "党员星级评定评分细则", MEMBER_ASPECTS, settings, "member_points"
    )
    branch = Track(
        "branch",
        "党支部评星定级",
        ("branch",),
        (
            Source("democratic", "民主测评", 0.3),
            Source("assessment_team", "考核组量化打分", 0.5, rubric=branch_rubric.key),
            Source("superior", "上级党组织评价", 0.2),
            Source("self", "自查自评", 0, counted=False, rubric=branch_rubric.key),
        ),
        stars(),
        floor=Band(0, 1),
    )
    member = Track(
        "member",
        "党员星级评定",
        ("member",),
        (
            Source("democratic", "民主测评", 0.6),
            Source("committee", "支委会评价", 0.4, rubric=member_rubric.key),
            Source("self", "自查自评", 0, counted=False, rubric=member_rubric.key),
        ),
        stars(),
        floor=Band(0, 1),
    )
    return Definition((branch, member), (branch_rubric, member_rubric), RULES)


# Seed: "利用三年时间,按照2020年50%的党支部达到“样板党支部”标准、2021年70%的党支部达到“样板
# 党支部”标准、2022年所有党支部达到“样板党支部”标准的计划"
TARGETS = (
    Target(
        "model_branch_share",
        "样板党支部占比",
        "branch",
        {"2020": 0.5, "2021": 0.7, "2022": 1.0},
        title_key="model_branch",
    ),
)


def deadlines(period: str) -> dict[str, str]:
    """The four stages: "标准化建设(3月-11月)", "评估认定(12月)", "命名表彰(1月)"; self
    reports in November ("每年11月份各党支部和全体党员对照考评标准,在自查自评的基础上填写…")."""
    year = int(period[:4])
    return {
        "self_assessment": f"{year}-11-30",
        "assessment": f"{year}-12-20",
        "review": f"{year}-12-31",
        "publicity": f"{year + 1}-01-15",
        "final": f"{year + 1}-01-31",
    }


INCIDENT_KINDS = VETO_KINDS
