"""Akesu college: 样板党支部 — branch 评星定级 and member 星级评定 (seed 000).

Source: 《关于全面推行"样板党支部"建设的实施方案》(2020-04-26),
``shared/seeds/000_349132acc0aca766.txt``. Rules: :mod:`akesu_college.rules`; the
rubric, sources, bands and targets: :mod:`akesu_college.scheme`.
"""

from akesu_college.scheme import INCIDENT_KINDS, SETTINGS, TARGETS, deadlines, define
from zhibu.plugins import DemoData, Scheme, hookimpl

__version__ = "0.2.0"

SCHEME = Scheme(
    key="akesu_college",
    title="样板党支部建设·评星定级",
    title_en="Model branch building: branch and member star ratings (Akesu college)",
    seed="000_349132acc0aca766.txt 《关于全面推行“样板党支部”建设的实施方案》",
    description="学院党支部评星定级、党员星级评定与样板党支部命名。",
    settings=SETTINGS,
    define=define,
    incident_kinds=INCIDENT_KINDS,
    periods=("year",),
    targets=TARGETS,
    deadlines=deadlines,
    # Seed: "党支部对所属党员进行考核,通过“党员践诺公示、党员和群众代表测评、支部委员会
    # 评价”等办法进行" — the branch committee scores its own members: the branch enters
    # 支委会评价 (the member track's ``committee``) for the members of its own branch.
    branch_sources=frozenset({"committee"}),
    # seed 000: "党支部对所属党员进行考核……支委会评价": the branch's appraisal of its members is
    # part of the 考核, so it closes with 考核评分, not with the self-assessment
    input_phases={"committee": "assessment"},
    labels={
        "akesu.veto": "一票否决",  # a rule
        "akesu.member_quota": "五星党员名额",  # a rule
        "akesu.model_branch": "样板党支部认定",  # a rule
        "akesu.model_recheck": "样板党支部复查复验",  # a rule
        "akesu.model_two_under_90": "样板党支部连续两次 90 分以下",  # a rule
        "akesu.rectification_plan": "二星级及以下整改",  # a rule
        "akesu.two_low_years_branch": "支部连续两年二星级及以下",  # a rule
        "akesu.two_low_years_member": "党员连续两年二星级及以下",  # a rule
        "model_branch_revoked": "复查复验 90 分以下,取消样板党支部称号",
        "interview_general_branch_secretary": "约谈所隶属党总支书记(或副书记)",
        "adjust_branch_secretary": "对党支部书记进行调整和相应处理",
        "unqualified_member": "连续两年二星级及以下,列入不合格党员范围",
    },
)


@hookimpl
def zhibu_schemes():
    return [SCHEME]


@hookimpl
def zhibu_demo_data():
    from akesu_college.demo import build

    return [DemoData(key="akesu_college.college", scheme="akesu_college", build=build)]


@hookimpl
def zhibu_report_builders():
    from akesu_college.reports import REPORTS

    return list(REPORTS)
