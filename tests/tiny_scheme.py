"""A small scheme defined in the tests (not a plugin): two tracks, five rules."""

from zhibu.engine import (
    Adjustable,
    Band,
    Definition,
    Indicator,
    Rubric,
    Scheme,
    Source,
    Track,
)
from zhibu.engine import rules as r

SHEET = Rubric(
    "sheet",
    "检查表",
    (
        Indicator("A1", "组织生活", 40, mode="deduction"),
        Indicator("A2", "台账资料", 60, mode="deduction"),
    ),
)
VETO = {"veto.disunity": "班子不团结"}
DOWN = {"down.petition": "越级上访"}
CAP = {"cap.discipline": "违纪"}


def veto(ctx):
    """Test rule: a veto incident cancels the rating."""
    r.apply_veto(ctx, VETO, rule="tiny.veto")


def downgrade(ctx):
    """Test rule: each downgrade incident lowers one level, not below three."""
    r.apply_downgrades(ctx, DOWN, floor=3, rule="tiny.downgrade")


def cap(ctx):
    """Test rule: a branch or member with a discipline incident is three stars at most."""
    r.apply_cap(ctx, CAP, stars=3, rule="tiny.cap")


def quota(ctx):
    """Test rule: at most 30 % five-star members per branch."""
    r.apply_quota(
        ctx,
        "member",
        stars=5,
        share=ctx.settings["quota"],
        tiebreak="peer",
        enforce=ctx.settings["enforce"],
        rule="tiny.quota",
    )


def two_low_years(ctx):
    """Test rule: two stars or fewer two cycles running → interview."""
    for result in ctx.rated("branch"):
        if r.run_of(ctx, result, 2, r.at_most(2)):
            result.act("interview", "连续两年两星及以下 / two low years", rule="tiny.run")


def model(ctx):
    """Test rule: a five-star branch with a five-star member is a model branch."""
    for result in ctx.rated("branch"):
        members = ctx.members_of(result.subject, "member")
        if result.stars == 5 and any(m.stars == 5 for m in members):
            result.titles.append("model")
            result.note("五星支部且有五星党员 → 样板 / model", rule="tiny.model")


def define(settings):
    stars = (Band(90, 5), Band(80, 4), Band(70, 3), Band(60, 2))
    branch = Track(
        "branch",
        "支部",
        ("branch",),
        (
            Source("panel", "考核组", settings["panel_weight"], aggregation="trimmed_mean"),
            Source("sheet", "检查表", 1 - settings["panel_weight"], rubric="sheet"),
        ),
        stars,
        floor=Band(0, 1),
    )
    member = Track(
        "member",
        "党员",
        ("member",),
        (
            Source("monthly", "月度", 0.8, periodic=True),
            Source("peer", "测评", 0.2),
            Source("self", "自评", 0, counted=False),
        ),
        stars,
        floor=Band(0, 1),
    )
    return Definition(
        (branch, member), (SHEET,), (veto, downgrade, cap, quota, two_low_years, model)
    )


TINY = Scheme(
    key="tiny",
    title="测试方案",
    title_en="Tiny",
    seed="tests",
    settings=(
        Adjustable("panel_weight", 0.5, "考核组权重", minimum=0, maximum=1),
        Adjustable("quota", 0.3, "五星比例", minimum=0, maximum=1),
        Adjustable("enforce", True, "按排名执行"),
    ),
    define=define,
    incident_kinds={**VETO, **DOWN, **CAP},
)
