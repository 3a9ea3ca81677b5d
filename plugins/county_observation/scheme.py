"""基层党建观摩、检查、测评 of a county (seed 001)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from county_observation.rules import RULES
from county_observation.sheets import TWO_NEW, VILLAGE_COMMUNITY
from zhibu.engine import Adjustable, Band, Definition, SettingsConflict, Source, Track

ROUNDS = ("internal", "cross", "county_demo")
ROUND_NAMES = {
    "internal": "乡镇内部逐个观摩",
    "cross": "乡镇之间交叉观摩",
    "county_demo": "全县示范观摩",
}

SETTINGS = (
    Adjustable(
        "aggregation",
        "trimmed_mean",
        "现场打分汇总方式(去掉最高最低分后平均 / 平均)",
        choices=("trimmed_mean", "mean"),
    ),
    Adjustable("trim_from", 5, "评分人达到几人时去掉最高分和最低分", 3, 50),
    Adjustable("advanced_from", 90, "先进(分)", 0, 100),
    Adjustable("standard_from", 75, "达标(分)", 0, 100),
    # Seed: "不定期開展“回頭看”,對整改工作逐項驗收“銷號”" — 逐项验收: a 销号 of an item
    # raised from a deduction shows what was checked (a file, or a written note);
    # adjustable, on by default.
    Adjustable("signoff_needs_evidence", True, "扣分整改事项销号须附佐证材料或核查说明"),
)
# Seed: the three ways — "采取鄉(xiāng)級黨委所屬基層黨組織內(nèi)部觀摩、
# 各鄉(xiāng)級所屬黨組織交叉觀摩、全縣示范觀摩等方式" — are the cycle's round, chosen when
# the cycle opens.
CYCLE_OPTIONS = (Adjustable("round", "internal", "观摩方式", choices=ROUNDS),)
# Seed: "鄉(xiāng)(鎮(zhèn)、街道)內(nèi)部逐個觀摩。由黨(工)委書記帶隊" …
# "參與觀摩人員進行現(xiàn)場打分" — the township's own staff (branch secretaries of the
# township's subtree) score its villages' on-site sheets: the branch enters ``observer``
# (Scheme.branch_sources), each their own sheet.
BRANCH_SOURCES = frozenset({"observer"})


def grades(settings: Mapping[str, Any]) -> tuple[tuple[Band, ...], Band]:
    """先进 / 达标 / 落后: "使先進基層黨組織示范引領(lǐng)、達標基層黨組織奮力趕超、落后基層黨組織
    加壓前進" — the seed names the three classes but not their lines: adjustable (90 / 75)."""
    if settings["standard_from"] >= settings["advanced_from"]:
        raise SettingsConflict(
            ["standard_from", "advanced_from"],
            "“达标”的分数线须低于“先进”的分数线",
            "the standard line must be below the advanced line",
        )
    return (
        (
            Band(settings["advanced_from"], grade="advanced"),
            Band(settings["standard_from"], grade="standard"),
        ),
        Band(0, grade="lagging"),
    )


def define(settings: Mapping[str, Any]) -> Definition:
    """Seed: "參與觀摩人員進行現(xiàn)場打分" — every participant scores on site (source
    ``observer``, many raters; the mean, or with five raters or more the mean without the
    highest and the lowest — adjustable). The two deduction sheets are the seed's annexes."""
    bands, floor = grades(settings)

    def observer(rubric: str) -> Source:
        return Source(
            "observer",
            "现场观摩打分",
            1.0,
            aggregation=settings["aggregation"],
            trim_from=settings["trim_from"],
            rubric=rubric,
        )

    tracks = [
        Track(
            "village_community",
            "村(社区)",
            ("village", "community"),
            (observer(VILLAGE_COMMUNITY.key),),
            bands,
            floor,
        ),
        Track("two_new", "“两新”组织", ("two_new",), (observer(TWO_NEW.key),), bands, floor),
    ]
    if settings.get("round") == "county_demo":
        tracks.append(Track("township", "乡镇(街道)", ("township",), (), bands, floor))
    return Definition(tuple(tracks), (VILLAGE_COMMUNITY, TWO_NEW), RULES)


def deadlines(period: str) -> dict[str, str]:
    """ "第一輪觀摩要在X月X日前完成" leaves the dates open: by default the observations end
    with the period, the review a week later."""
    from zhibu.evaluations.periods import parse_period

    end = parse_period(period).end
    return {"assessment": end.isoformat()}
