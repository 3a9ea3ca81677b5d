"""The rules of 基层党建观摩、检查、测评 (seed 001, shared/seeds/001_57e792133185ab55.txt),
each citing the sentence it implements."""

from __future__ import annotations

from collections import defaultdict

from zhibu.engine import Context, Result
from zhibu.engine import rules as r
from zhibu.engine.compute import apply_band
from zhibu.engine.numbers import fmt, mean, round2

SITES = ("village_community", "two_new")


def rank_in_township(ctx: Context) -> None:
    """Sites (villages, communities, "两新" organizations) ranked within their township.

    Seed: "參與觀摩人員進行現(xiàn)場打分,匯總后對觀摩的村(社區(qū))和“兩新”黨組織依次排名,
    依據(jù)排名情況對所轄黨組織進行分類管理,排名結(jié)果和分類情況報縣委組織部備案。" The seed
    carries pinyin inside some words; it is quoted as it is. Classification (先进 / 达标 /
    落后) is the grade the bands give; ranking and grade are what the township files with
    the county (the ranking report).
    """
    by_township: dict[str, list[Result]] = defaultdict(list)
    for track in SITES:
        for result in ctx.rated(track):
            by_township[ctx.subjects[result.subject].unit or ""].append(result)
    for results in by_township.values():
        name = ctx.subjects[results[0].subject].attrs.get("unit_name") or "本乡镇"
        r.rank_within(results, name, rule="county.rank_in_township", definition=ctx.definition)


def township_from_sites(ctx: Context) -> None:
    """全县示范观摩: a township's score is the mean of its demonstration sites' scores, and
    townships are ranked county-wide (通报).

    Seed: "將推薦村(社區(qū))、“兩新”黨建示范點各X個,作為縣級觀摩對象" and "觀摩結(jié)束后,
    參與人員進行現(xiàn)場打分,由縣委組織部匯總后,對各鄉(xiāng)(鎮(zhèn)、街道)依次進行排名通報。"
    Runs only in the ``county_demo`` round (the township track exists only then).
    """
    townships = ctx.rated("township")
    if not townships:
        return
    track = ctx.definition.track_of_kind("township")
    for township in townships:
        sites = [
            s for t in SITES for s in ctx.members_of(township.subject, t) if s.total is not None
        ]
        if not sites:
            township.flag(
                "no_demo_site",
                "未推荐示范点或示范点未评分",
                rule="county.township_from_sites",
                en="no scored demonstration site",
            )
            continue
        township.total = round2(mean([s.total for s in sites]))
        listed = "、".join(
            f"{ctx.subjects[s.subject].name or s.subject} {fmt(s.total)}" for s in sites
        )
        township.note(
            f"示范点平均:{listed} → {fmt(township.total)}",
            township.total,
            rule="county.township_from_sites",
            en=f"mean of demonstration sites: {listed} → {fmt(township.total)}",
        )
        apply_band(track, township, ctx.definition.grade_names)
    r.rank_within(townships, "全县", rule="county.township_from_sites", definition=ctx.definition)


RULES = (rank_in_township, township_from_sites)
