"""Star upgrading (星级提升) of a company's Party organizations, each rule citing its sentence
of seed 003 (《开展星级党组织提升活动方案》, seeds/003_95181908de4be503.txt)."""

from __future__ import annotations

from zhibu.engine import Context, Past, Result
from zhibu.engine import rules as r

TRACK = "organization"
DOWNGRADES = {
    "downgrade.disunity": "领导班子不团结或不作为,没有按核定计划完成生产经营任务",
    "downgrade.discipline": "领导班子成员违规违纪受到党纪政纪处分",
    "downgrade.major_accident": "发生重大质量、安全等责任事故,受到上级责任追究",
    "downgrade.petition": "发生集体上访、越级上访和聚众闹事等事件被通报",
    "downgrade.member_violation": "党员群众违法违纪受处分或被立案侦查、取保候审",
    "downgrade.family_planning": "因计划生育工作被“一票否决”",
}


def downgrade(ctx: Context) -> None:
    """Each incident of the six kinds lowers the organization one level, never below three.

    Seed: "出现下列情况之一的,降低一个星级格次:" and, for the floor, "提升共分为三个等级。即
    “三星级党组织”、“四星级党组织”和“五星级党组织”" — there is no level under three, so an
    incident that would go below it is flagged ``downgrade_floor`` instead.
    """
    r.apply_downgrades(ctx, DOWNGRADES, floor=3, rule="enterprise.downgrade")


def half_year_review(ctx: Context) -> None:
    """A half-year cycle is a review; the stars are set by the year.

    Seed: "每半年进行一次评审,每年度进行一次定星。" Half-year results are flagged
    ``half_year_review`` and are not the stars that the year's movement compares.
    """
    if "H" not in ctx.cycle.period:
        return
    for result in ctx.rated(TRACK):
        result.flag(
            "half_year_review",
            "半年评审,年度定星 / half-year review: the year sets the stars",
            rule="enterprise.half_year_review",
        )


def _movement(now: int | None, before: int | None) -> str | None:
    if now is None or before is None:
        return None
    return "promoted" if now > before else "demoted" if now < before else "kept"


def movement(ctx: Context) -> None:
    """Year over year each organization is promoted, kept or demoted.

    Seed: "“星级党组织”实行动态管理,经年度评审需晋星的给予晋星,需保留原星级级别的继续给予
    保留,需降星的给予降星,根据评定的星级重新给予挂牌。"
    """
    if "H" in ctx.cycle.period:
        return
    names = {"promoted": "晋星", "kept": "保留原星级", "demoted": "降星"}
    for result in ctx.rated(TRACK):
        (last,) = ctx.past(result.subject, 1) or (None,)
        step = _movement(result.stars, last.stars if last else None)
        if step:
            result.flag(
                step,
                f"{names[step]}:{last.stars}★ → {result.stars}★ / {step}",
                rule="enterprise.movement",
            )


def _not_promoted(now: Result | Past, before: Past | None) -> bool:
    return (
        before is not None
        and now.stars is not None
        and before.stars is not None
        and (now.stars <= before.stars)
        and now.stars < 5
    )


def two_years_not_promoted(ctx: Context) -> None:
    """Not promoted two years running: the secretary is not rated excellent, not promoted,
    and 2 % of the yearly performance pay is withheld.

    Seed: "对连续两年不能晋星的党支部,支部书记年度考核不得评为优秀,不得晋升职务,扣发本人
    年度绩效工作的2%" A five-star organization cannot rise further and is not held to it
    (this project's reading).
    """
    if "H" in ctx.cycle.period:
        return
    for result in ctx.rated(TRACK):
        last, before = [*ctx.past(result.subject, 2), None, None][:2]
        if _not_promoted(result, last) and last is not None and _not_promoted(last, before):
            result.act(
                "secretary_not_excellent",
                "连续两年不能晋星:支部书记不得评优、不得晋升职务,"
                "扣发年度绩效 2% / two years without promotion",
                rule="enterprise.two_years",
            )


def targeted_assistance(ctx: Context) -> None:
    """Three-star organizations get targeted assistance.

    Seed: "对三星级党支部组织人员或其他党组织进行定向帮扶。"
    """
    for result in ctx.rated(TRACK):
        if result.stars == 3:
            result.act(
                "targeted_assistance",
                "三星级:组织人员或其他党组织定向帮扶 / targeted assistance",
                rule="enterprise.targeted_assistance",
            )


RULES = (downgrade, half_year_review, movement, two_years_not_promoted, targeted_assistance)
