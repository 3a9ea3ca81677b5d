"""The rules of enterprise_5std, each citing its seed sentence: star upgrading (星级提升) of a
company's Party organizations (seed 003, 《开展星级党组织提升活动方案》), then what part one's
checks say about each member and party group (seed 002 篇三)."""

from __future__ import annotations

from enterprise_5std import roster
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
            "半年评审,年度定星",
            rule="enterprise.half_year_review",
            en="half-year review: the year sets the stars",
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
                f"{names[step]}:{last.stars}★ → {result.stars}★",
                rule="enterprise.movement",
                en=f"{step}: {last.stars}★ → {result.stars}★",
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
                "连续两年不能晋星:支部书记不得评优、不得晋升职务,扣发年度绩效 2%",
                rule="enterprise.two_years",
                en="two years without promotion: the secretary is not rated excellent nor "
                "promoted, 2% of the year's bonus withheld",
            )


def targeted_assistance(ctx: Context) -> None:
    """Three-star organizations get targeted assistance.

    Seed: "对三星级党支部组织人员或其他党组织进行定向帮扶。"
    """
    for result in ctx.rated(TRACK):
        if result.stars == 3:
            result.act(
                "targeted_assistance",
                "三星级:组织人员或其他党组织定向帮扶",
                rule="enterprise.targeted_assistance",
                en="three stars: targeted assistance by people or another organization",
            )


def _months(months, none: str = "无", joint: str = "、") -> str:
    return joint.join(m[5:] for m in sorted(months)) or none


def lapsed_six_months(ctx: Context) -> None:
    """A member without organizational life, or without dues, for six consecutive months is
    flagged for the branch to look into (whether there was a good reason is its call).

    Seed: "党员如果没有正当理由,连续6个月不参加党的组织生活,或不交纳党费,或不做党分配的工作,
    按自行脱党处理。" Read from attendance at meetings and from dues records, over the months
    of the cycle the person belonged.
    """
    for result in ctx.rated("member"):
        member = ctx.subjects[result.subject]
        records = ctx.cycle.records_of(member.code)
        attended = roster.attended_months(member, records)
        paid = roster.paid_months(member, records)
        wanted = roster.member_months(member, ctx.cycle)
        came, gave = attended & set(wanted), paid & set(wanted)
        result.note(
            f"组织生活:出勤 {_months(came)} 月;党费:已交 {_months(gave)} 月",
            rule="enterprise.lapse",
            en=f"months attended: {_months(came, 'none', ', ')}; "
            f"months paid: {_months(gave, 'none', ', ')}",
        )
        found = roster.lapse(member, ctx.cycle)
        if found.lapsed(roster.LAPSE_MONTHS):
            result.flag(
                "lapsed_six_months",
                f"{found.text()}:按规定应予核实,无正当理由的按自行脱党处理",
                rule="enterprise.lapse",
                en="six months without organizational life or dues: to be looked into",
            )


def training_short(ctx: Context) -> None:
    """A member under the year's training hours (32; 56 for the secretary and committee
    members, in proportion to the months belonged) is flagged ``training_short``.

    Seed: "党员每一年集中学习培训时间应很多于32学时。党支部书记和党支部委员每一年集中学习培训
    时间应很多于56学时。"
    """
    for result in ctx.rated("member"):
        member = ctx.subjects[result.subject]
        hours = roster.training_hours(member, ctx.cycle)
        needed = roster.required_hours(member, ctx.cycle)
        text, en = f"学习培训 {hours:g}/{needed:g} 学时", f"training {hours:g}/{needed:g} hours"
        if hours + 1e-9 < needed:
            result.flag(
                "training_short", f"{text}:未达到", rule="enterprise.training", en=f"{en}: short"
            )
        else:
            result.note(text, rule="enterprise.training", en=en)


def party_group_size(ctx: Context) -> None:
    """A party group of fewer than three members, or without a full member, is flagged
    ``group_below_standard``.

    Seed: "每一个党小组不应少于3名党员,其中最少有1名正式党员"
    """
    last = roster.months(ctx.cycle)[-1]
    for result in ctx.rated("party_group"):
        people = [
            m
            for m in ctx.cycle.under(result.subject)
            if m.kind == "member" and (m.periods is None or last in m.periods)
        ]
        full = sum(1 for m in people if roster.is_full(m))
        text = f"党员 {len(people)} 人,其中正式党员 {full} 人"
        en = f"{len(people)} members, {full} of them full members"
        if len(people) < 3 or full < 1:
            result.flag(
                "group_below_standard",
                f"{text}:不符合要求",
                rule="enterprise.group",
                en=f"{en}: below the standard",
            )
        else:
            result.note(text, rule="enterprise.group", en=en)


RULES = (
    downgrade,
    half_year_review,
    movement,
    two_years_not_promoted,
    targeted_assistance,
    lapsed_six_months,
    training_short,
    party_group_size,
)
