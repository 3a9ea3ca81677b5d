"""The rules of five_good, each citing the sentence of seed 002 篇一 it implements.

An organization is a “五个好” organization when it meets all five standards of its kind:
each checked by the inspection (1 met, 0 not), some also by what the registry and the
records show (the age of a village's members, a community's volunteers, a township's
villages and stations).
"""

from __future__ import annotations

from collections import defaultdict

from zhibu.engine import Context, Subject

UNITS = ("village", "community", "station")
UNMET = {  # a flag a rule raises → the standard it fails
    "age_structure": "V2",
    "volunteer_share": "C2",
    "village_share": "T3",
}


def roster_at_end(ctx: Context) -> dict[str, list[Subject]]:
    """Each unit's members on the cycle's last day: moves counted, who had left not."""
    end, by_unit = ctx.cycle.end, defaultdict(list)
    for subject in ctx.cycle.subjects:
        facts = subject.member
        if facts is not None and not (facts.left and facts.left <= end):
            by_unit[subject.unit_on(end)].append(subject)
    return by_unit


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def age_structure(ctx: Context) -> None:
    """A village's members on the cycle's last day: 60 % or more aged 50 or under, 10 % or
    more aged 35 or under; otherwise its second standard (党员干部队伍好) is not met. A
    member without a birth date counts as neither.

    Seed: "党员干部队伍结构合理,50岁以下的党员达到60%以上,35岁以下的党员达到10%以上"
    """
    roster, end = roster_at_end(ctx), ctx.cycle.end
    for result in ctx.rated("village"):
        ages = [m.member.age_on(end) for m in roster[result.subject]]
        under_50 = share(sum(1 for a in ages if a is not None and a <= 50), len(ages))
        under_35 = share(sum(1 for a in ages if a is not None and a <= 35), len(ages))
        text = f"党员 {len(ages)} 名:50岁以下 {under_50:.0%},35岁以下 {under_35:.0%}"
        if under_50 >= 0.6 and under_35 >= 0.1:
            result.note(text, rule="five_good.age_structure")
        else:
            result.flag("age_structure", f"{text},未达到 60% 与 10%", "five_good.age_structure")


def volunteer_share(ctx: Context) -> None:
    """A community's members who served in its volunteer teams during the cycle: 30 % or
    more; otherwise its second standard (社区工作者队伍好) is not met.

    Seed: "社区各类党员参加社区志愿者队伍、参与社区服务工作的比例达到30%以上"
    """
    roster = roster_at_end(ctx)
    for result in ctx.rated("community"):
        members = roster[result.subject]
        served = {
            code
            for record in ctx.cycle.records_of(result.subject)
            if record.kind == "volunteer_service"
            for code in record.attendees
        }
        part = share(sum(1 for m in members if m.code in served), len(members))
        text = f"参加志愿服务的党员 {part:.0%}"
        if part >= 0.3:
            result.note(text, rule="five_good.volunteer_share")
        else:
            result.flag("volunteer_share", f"{text},未达到 30%", "five_good.volunteer_share")


def judge(ctx: Context, tracks: tuple[str, ...], rule: str) -> None:
    """Grade ``five_good`` when every standard is met (the inspection's five points, and no
    flag of a standard the rules check), else ``not_yet``, naming what is not met."""
    for track in tracks:
        for result in ctx.rated(track):
            points = result.items.get("inspection")
            if points is None:
                continue  # not inspected: the core flags the missing source
            standards = ctx.definition.rubric(track).indicators  # the rubric of the kind
            unmet = [s.code for s in standards if points.get(s.code, 0) < s.max_points]
            unmet += [UNMET[flag] for flag in result.flags if flag in UNMET]
            result.grade = "not_yet" if unmet else "five_good"
            names = "、".join(sorted(set(unmet)))
            result.note(f"未达到的标准:{names}" if unmet else "五项标准均已达到", rule=rule)


def judge_units(ctx: Context) -> None:
    """Villages, communities and stations: “五个好” when all five standards are met.

    Seed: "创建“五个好”党组织基本标准"
    """
    judge(ctx, UNITS, "five_good.judge")


def village_share(ctx: Context) -> None:
    """A township's villages and stations — also those under a unit the scheme does not
    rate, such as a 管区 — are “五个好” for 40 % or more; otherwise its third standard
    (工作机制好) is not met.

    Seed: "“五个好”村党组织和镇站(所)的数量不低于总数40%"
    """
    for result in ctx.rated("township"):
        below = [r for r in ctx.below(result.subject) if r.track in ("village", "station")]
        good = sum(1 for r in below if r.grade == "five_good")
        part = share(good, len(below))
        text = f"“五个好”村和站所 {good}/{len(below)}({part:.0%})"
        if part >= 0.4:
            result.note(text, rule="five_good.village_share")
        else:
            result.flag("village_share", f"{text},低于 40%", "five_good.village_share")


def judge_townships(ctx: Context) -> None:
    """Townships, once their villages and stations are judged.

    Seed: "“五个好”镇党委基本标准"
    """
    judge(ctx, ("township",), "five_good.judge")
