"""The rules of 样板党支部 / 评星定级, each citing the sentence of seed 000 it implements
(《关于全面推行"样板党支部"建设的实施方案》, shared/seeds/000_349132acc0aca766.txt)."""

from __future__ import annotations

from zhibu.engine import Context, Result
from zhibu.engine import rules as r

BRANCH, MEMBER = "branch", "member"
MODEL = "model_branch"

VETO_KINDS = {
    "veto.disunity": "班子不团结、党组织生活不正常开展",
    "veto.dereliction": "班子成员发生渎职造成不良后果",
    "veto.major_incident": "发生重大安全事件或落实维稳工作不力造成不良影响",
    "veto.discipline_pending": "党员违法违纪且仍在受处置期限",
    "veto.family_planning": "党员违反计划生育",
    "veto.illegal_organization": "党员参加非法组织和非法活动",
}


def veto(ctx: Context) -> None:
    """一票否决.

    Seed: "实行“一票否决”办法。有下列情况之一的党支部(党员)取消当年评星资格:班子不团结、
    党组织生活不正常开展的;班子成员发生渎职造成不良后果的;发生重大安全事件或落实维稳工作
    不力造成不良影响的;党员违法违纪且仍在受处置期限的;党员违反计划生育的;党员参加非法组织
    和非法活动的。"
    """
    r.apply_veto(ctx, VETO_KINDS, rule="akesu.veto")


def member_quota(ctx: Context) -> None:
    """At most 30 % five-star members per branch (adjustable; by rank or only warned).

    Seed: "“五星级”党员原则上比例不超过30%。" The share and whether it is enforced are
    adjustable ("原则上"); ties at the cut go by the democratic score (民主测评), then are
    flagged for the branch to decide.
    """
    r.apply_quota(
        ctx,
        MEMBER,
        stars=5,
        share=ctx.settings["five_star_member_share"],
        tiebreak="democratic",
        enforce=ctx.settings["enforce_member_quota"],
        rule="akesu.member_quota",
    )


def five_star_share(ctx: Context, branch: Result) -> tuple[int, int]:
    """Five-star members and rated members (with stars: not vetoed, not exempt)."""
    members = [m for m in ctx.members_of(branch.subject, MEMBER) if m.stars is not None]
    return sum(1 for m in members if m.stars == 5), len(members)


def model_branch(ctx: Context) -> None:
    """样板党支部: a five-star branch whose five-star members are ≥ 20 % of its rated members.

    Seed: "“五星级”党支部中“五星级”党员达到20%及以上的党支部认定为“样板党支部”" and
    "“五星级”党员比例达到20%及以上的“五星级”党支部,被确定为样板党支部”,每年年初进行命名和
    表彰。" Runs after the member quota, so members who lost five stars to it do not count.
    """
    for branch in ctx.rated(BRANCH):
        if branch.stars != 5:
            continue
        five, rated = five_star_share(ctx, branch)
        share = five / rated if rated else 0.0
        if rated and share >= 0.2 - 1e-9:
            branch.titles.append(MODEL)
            branch.note(
                f"五星支部,五星党员 {five}/{rated} = {share:.0%} ≥ 20% → 样板党支部",
                rule="akesu.model_branch",
                en=f"five-star branch, five-star members {five}/{rated} = {share:.0%} ≥ 20% "
                "→ model branch",
            )
        else:
            branch.note(
                f"五星支部,五星党员 {five}/{rated} 不足 20%,不认定样板党支部",
                rule="akesu.model_branch",
                en=f"five-star members {five}/{rated}, under 20 %: not a model branch",
            )


def was_named(ctx: Context, subject: str) -> bool:
    return any(MODEL in past.titles for past in ctx.history.get(subject, {}).values())


def holds_title(ctx: Context, subject: str) -> bool:
    """Named and not revoked: the previous cycle's result carries the title."""
    (previous,) = ctx.past(subject, 1) or (None,)
    return previous is not None and MODEL in previous.titles


def model_recheck(ctx: Context) -> None:
    """复查复验: a branch holding the title keeps it at 90 or more, loses it under 90.

    Seed: "每年12月,结合年度党建工作考核及新一批“样板党支部”认定工作,对往年已命名为“样板党
    支部”的党组织进行复查复验,考核结果为90分以下的取消“样板党支部”称号" So a branch that
    holds the title and scores 90 or more keeps it, even if its five-star members fell under
    20 %; a vetoed year has no rating, so it cannot keep the title (this project's reading).
    """
    for branch in ctx.rated(BRANCH):
        if not holds_title(ctx, branch.subject):
            continue
        if r.vetoed(branch) or branch.total is None or branch.total < 90:
            branch.flag(
                "model_branch_revoked",
                "复查复验 90 分以下,取消样板党支部称号",
                rule="akesu.model_recheck",
                en="model branch title revoked",
            )
        elif MODEL not in branch.titles:
            branch.titles.append(MODEL)
            branch.note(
                "复查复验 90 分以上,保留样板党支部称号",
                rule="akesu.model_recheck",
                en="re-checked: title kept",
            )


def model_two_under_90(ctx: Context) -> None:
    """Named branch under 90 in two cycles running → interview and secretary adjustment.

    Seed: "对连续两次考核结果都在90分以下的党支部,约谈所隶属党总支书记(或副书记),并对党支部
    书记进行调整和相应处理。"
    """
    for branch in ctx.rated(BRANCH):
        if was_named(ctx, branch.subject) and r.run_of(ctx, branch, 2, r.below(90)):
            for action in ("interview_general_branch_secretary", "adjust_branch_secretary"):
                branch.act(
                    action,
                    "样板党支部连续两次考核 90 分以下",
                    rule="akesu.model_two_under_90",
                    en="two cycles under 90",
                )


def rectification_plan(ctx: Context) -> None:
    """Two stars or fewer → a rectification plan with a list and a deadline.

    Seed: "对评为二星级及以下的党支部和党员,要制定整改方案,列出整改清单,限期整改。"
    """
    for result in ctx.rated():
        if result.stars is not None and result.stars <= 2:
            result.act(
                "rectification_plan",
                "二星级及以下:制定整改方案,限期整改",
                rule="akesu.rectification_plan",
                en="rectification plan",
            )


def two_low_years_branch(ctx: Context) -> None:
    """A branch at two stars or fewer two years running → interview and adjustment.

    Seed: "连续两年被评为“二星级”(含二星级)的党支部,约谈所隶属党总支书记(或副书记),并对
    党支部书记进行调整和相应处理"
    """
    for branch in ctx.rated(BRANCH):
        if r.run_of(ctx, branch, 2, r.at_most(2)):
            for action in ("interview_general_branch_secretary", "adjust_branch_secretary"):
                branch.act(
                    action,
                    "连续两年二星级及以下",
                    rule="akesu.two_low_years_branch",
                    en="two years at two stars or fewer",
                )


def two_low_years_member(ctx: Context) -> None:
    """A member at two stars or fewer two years running is an unqualified member.

    Seed: "连续两年被评为“二星级”(含二星级)的以下的党员,列入不合格党员范围,所在党支部给予
    相应处理。"
    """
    for member in ctx.rated(MEMBER):
        if r.run_of(ctx, member, 2, r.at_most(2)):
            member.flag(
                "unqualified_member",
                "连续两年二星级及以下,列入不合格党员范围",
                rule="akesu.two_low_years_member",
                en="unqualified member",
            )


RULES = (
    veto,
    member_quota,
    model_branch,
    model_recheck,
    model_two_under_90,
    rectification_plan,
    two_low_years_branch,
    two_low_years_member,
)

__all__ = ["RULES", "VETO_KINDS"]
