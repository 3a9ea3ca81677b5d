"""Tracks, sources, bands and settings of Dujiangyan's 量化考评 (seed 004)."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from dujiangyan_quantified.rubrics import (
    ASPECTS,
    BRANCH_TYPES,
    KIND_TYPES,
    STANDARDS,
    branch_rubric,
    default_aspect_points,
    default_standard_points,
    member_rubric,
)
from dujiangyan_quantified.rules import RULES
from zhibu.engine import Adjustable, Band, Definition, SettingsConflict, Source, Track

MONTHLY_SHARE = 0.8  # "日常考評情況按80%比例折算計入個人年度考評得分"
ANNUAL_SHARE = 0.2  # the rest of the year's score: the year-end appraisal (this project's reading)
SATISFACTION_SHARE = 0.4  # "黨員群眾滿意度測評在支部考核中占比達40%"
GRADES = {"excellent": "优秀", "qualified": "合格", "warning": "警示", "unqualified": "不合格"}

SETTINGS = (
    *(
        Adjustable(
            f"points.{kind}.{aspect}",
            points,
            f"{BRANCH_TYPES[kind]}:{name}(分)",
            0,
            100,
        )
        for kind in BRANCH_TYPES
        for (aspect, name), points in zip(
            ASPECTS, default_aspect_points(kind).values(), strict=True
        )
    ),
    *(
        Adjustable(f"member_points.{code}", points, f"党员考评:{name}(分)", 0, 100)
        for (code, name), points in zip(STANDARDS, default_standard_points().values(), strict=True)
    ),
    Adjustable(
        "plain_branch_type",
        "organ",
        "组织类型为“党支部”的单位按哪类支部的细则考评",
        choices=tuple(BRANCH_TYPES),
    ),
    Adjustable("five_star_from", 90, "五星级党组织(分)", 0, 100),
    Adjustable("four_star_from", 80, "四星级党组织(分)", 0, 100),
    Adjustable("three_star_from", 60, "三星级党组织(分,以下为软弱涣散)", 0, 100),
    Adjustable("excellent_from", 90, "党员优秀(分)", 0, 100),
    Adjustable("qualified_from", 70, "党员合格(分)", 0, 100),
    Adjustable("warning_from", 60, "党员警示(分,以下为不合格)", 0, 100),
    Adjustable("minimum_months", 6, "月度记实少于几个月时提示", 1, 12),
)


def _descending(settings: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    values = [settings[k] for k in keys]
    if any(a <= b for a, b in pairwise(values)):
        raise SettingsConflict(
            keys, "每一档的分数线须高于下一档", "each line must be above the next"
        )


def branch_bands(settings: Mapping[str, Any]) -> tuple[tuple[Band, ...], Band]:
    """Five, four and three stars; below three stars weak and lax, graded unqualified.

    Seed: "已評定“五星級黨組織”41個、“四星級黨組織”173個、“三星級黨組織”422個,
    整頓軟弱渙散黨組織19個"
    (the lines are not printed: 90 / 80 / 60 by default, adjustable)."""
    _descending(settings, ("five_star_from", "four_star_from", "three_star_from"))
    return (
        (
            Band(settings["five_star_from"], 5),
            Band(settings["four_star_from"], 4),
            Band(settings["three_star_from"], 3),
        ),
        Band(0, None, "unqualified"),
    )


def member_bands(settings: Mapping[str, Any]) -> tuple[tuple[Band, ...], Band]:
    """优秀 / 合格 / 警示 / 不合格: the seed names 警示 and 不合格 ("評為警示等次的黨員",
    "評為不合格等次的黨員"); the lines are this project's defaults (90 / 70 / 60)."""
    _descending(settings, ("excellent_from", "qualified_from", "warning_from"))
    return (
        (
            Band(settings["excellent_from"], grade="excellent"),
            Band(settings["qualified_from"], grade="qualified"),
            Band(settings["warning_from"], grade="warning"),
        ),
        Band(0, grade="unqualified"),
    )


def branch_kinds(settings: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Branch type → the org kinds rated on its sheet."""
    kinds: dict[str, list[str]] = {t: [] for t in BRANCH_TYPES}
    for kind, branch_type in KIND_TYPES.items():
        kinds[branch_type].append(kind)
    kinds[settings["plain_branch_type"]].append("branch")
    return {t: tuple(k) for t, k in kinds.items()}


def define(settings: Mapping[str, Any]) -> Definition:
    """Seed: "黨員群眾滿意度測評在支部考核中占比達40%" and "日常考評情況按80%比例折算計入個人年度
    考評得分" — branch total = quantified × 60 % + satisfaction × 40 %; member total = mean
    of the months × 80 % + year-end appraisal × 20 %.

    Both shares are fixed. The seed fixes the months at 80 % of the year's score; the 20 %
    it leaves is the year-end appraisal's (this project's reading: the seed contrasts the
    monthly record with "年底集中考評"). An adjustable appraisal share would either move
    the months off the seed's 80 % or make the weights no longer add up to 100 %, so there
    is none."""
    bands, floor = branch_bands(settings)
    rubrics = {t: branch_rubric(t, settings) for t in BRANCH_TYPES}
    tracks = [
        Track(
            branch_type,
            BRANCH_TYPES[branch_type],
            kinds,
            (
                Source(
                    "quantified",
                    "量化考评",
                    1 - SATISFACTION_SHARE,
                    rubric=rubrics[branch_type].key,
                ),
                Source("satisfaction", "党员群众满意度测评", SATISFACTION_SHARE),
            ),
            bands,
            floor,
        )
        for branch_type, kinds in branch_kinds(settings).items()
    ]
    members = member_rubric(settings)
    grades, lowest = member_bands(settings)
    tracks.append(
        Track(
            "member",
            "党员量化考评",
            ("member",),
            (
                Source("monthly", "每月记实考评", MONTHLY_SHARE, periodic=True, rubric=members.key),
                Source("annual", "年终评定", ANNUAL_SHARE),
            ),
            grades,
            lowest,
        )
    )
    return Definition(tuple(tracks), (*rubrics.values(), members), RULES)


def deadlines(period: str) -> dict[str, str]:
    """Monthly records through the year, the year-end appraisal in December; the review and
    publicity in January (this project's defaults)."""
    year = int(period[:4])
    return {
        "assessment": f"{year}-12-31",
        "review": f"{year + 1}-01-15",
        "publicity": f"{year + 1}-01-25",
        "final": f"{year + 1}-01-31",
    }
