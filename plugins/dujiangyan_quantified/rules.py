"""The rules of Dujiangyan's 量化考评, each citing the sentence of seed 004 it implements
(中共都江堰市委组织部, ``shared/seeds/004_ccd209e4c601e2c4.txt``; the seed is in
Traditional characters and is quoted as it is)."""

from __future__ import annotations

from zhibu.engine import Context, Past, Result
from zhibu.engine import rules as r

BRANCH_TRACKS = ("rural", "community", "organ", "two_new")
MEMBER = "member"
UNQUALIFIED = "unqualified"


def branches(ctx: Context) -> list[Result]:
    return [b for track in BRANCH_TRACKS for b in ctx.rated(track)]


def weak_lax(ctx: Context) -> None:
    """Below the three-star line a branch is weak and lax (软弱涣散): no stars, graded
    ``unqualified`` (the band does that), flagged ``weak_lax`` for 整顿.

    Seed: "已評定“五星級黨組織”41個、“四星級黨組織”173個、“三星級黨組織”422個,
    整頓軟弱渙散黨組織19個"
    The seed names three star levels and the weak and lax organizations, not the lines
    between them: ≥90 / ≥80 / ≥60 by default, adjustable.
    """
    for branch in branches(ctx):
        if branch.total is not None and branch.grade == UNQUALIFIED:
            branch.flag(
                "weak_lax",
                f"低于三星级标准({ctx.settings['three_star_from']:g} 分),确定为软弱涣散党组织,"
                "限期整顿",
                rule="dujiangyan.weak_lax",
                en="weak and lax: to be reorganized",
            )


def insufficient_months(ctx: Context) -> None:
    """Fewer than six months recorded (adjustable) is flagged; the mean still counts.

    Seed: "以支部為單位對黨員實行每月記實考評" Months the member was not in the organization
    were left out by the engine (never counted as zero); this counts the months that are
    left. It says what is missing, so it also flags a member whose scores are incomplete
    (no month at all: 评分不全), the one kind of rule that may (docs/plugins.md).
    """
    least = ctx.settings["minimum_months"]
    for member in [*ctx.rated(MEMBER), *ctx.incomplete(MEMBER)]:
        months = int(member.source_scores.get("monthly.periods", 0))
        if months < least:
            member.flag(
                "insufficient_months",
                f"月度记实考评只有 {months} 个月,不足 {least} 个月",
                rule="dujiangyan.insufficient_months",
                en=f"{months} months recorded, fewer than {least}",
            )


def reminder_talk(ctx: Context) -> None:
    """An unqualified branch: its leader gets a reminder or admonishing talk.

    Seed: "對評為不合格的黨支部主要負責人進行提醒或誡勉談話"
    """
    for branch in branches(ctx):
        if branch.grade == UNQUALIFIED:
            branch.act(
                "reminder_talk",
                "考评不合格:对党支部主要负责人进行提醒或诫勉谈话",
                rule="dujiangyan.reminder_talk",
                en="reminder talk with the leader",
            )


def _unqualified(result: Result | Past) -> bool:
    return result.grade == UNQUALIFIED or "weak_lax" in result.flags


def reorganize_committee(ctx: Context) -> None:
    """Unqualified in two evaluations running: the branch committee is reorganized.

    Seed: "對連續兩次考評不合格的黨支部班子進行組織調整" The earlier evaluation is the
    previous cycle of the same length (last year's); a missing one breaks the run.
    """
    for branch in branches(ctx):
        if r.run_of(ctx, branch, 2, _unqualified):
            branch.act(
                "reorganize_committee",
                "连续两次考评不合格:对党支部班子进行组织调整",
                rule="dujiangyan.reorganize_committee",
                en="unqualified twice running: reorganize the committee",
            )


def interview_and_mentoring(ctx: Context) -> None:
    """A member graded 警示 (warning): an interview by the higher Party organization and a
    mentor (结对帮教).

    Seed: "對評為警示等次的黨員由上級黨組織進行組織約談、結對幫教"
    """
    for member in ctx.rated(MEMBER):
        if member.grade == "warning":
            member.act(
                "interview_and_mentoring",
                "警示等次:由上级党组织进行组织约谈、结对帮教",
                rule="dujiangyan.interview_and_mentoring",
                en="interview and mentoring",
            )


def organizational_disposal(ctx: Context) -> None:
    """A member graded unqualified: organizational disposal (组织处置), carefully and in
    order — what disposal is decided by the Party organization, outside the platform.

    Seed: "對評為不合格等次的黨員,穩妥有序予以組織處置"
    """
    for member in ctx.rated(MEMBER):
        if member.grade == UNQUALIFIED:
            member.act(
                "organizational_disposal",
                "不合格等次:稳妥有序予以组织处置",
                rule="dujiangyan.organizational_disposal",
                en="organizational disposal",
            )


RULES = (
    weak_lax,
    insufficient_months,
    reminder_talk,
    reorganize_committee,
    interview_and_mentoring,
    organizational_disposal,
)
