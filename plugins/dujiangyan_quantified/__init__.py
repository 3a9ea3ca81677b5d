"""Dujiangyan: 量化考评 of branches and monthly member evaluation (seed 004).

Source: 中共都江堰市委组织部 material, ``shared/seeds/004_ccd209e4c601e2c4.txt``. The
rubrics: :mod:`.rubrics`; sources, bands and settings: :mod:`.scheme`; rules: :mod:`.rules`;
a branch's month on one sheet (API and workbook): :mod:`.months`, :mod:`.workbook`,
:mod:`.api`; archive-code QR labels: :mod:`.labels`.
"""

from dujiangyan_quantified.scheme import SETTINGS, deadlines, define
from zhibu.plugins import DemoData, Scheme, hookimpl

__version__ = "0.2.0"

SCHEME = Scheme(
    month_entry="dujiangyan_quantified.months",
    key="dujiangyan_quantified",
    title="党组织和党员量化考评",
    title_en="Quantified evaluation of branches and members (Dujiangyan)",
    seed="004_ccd209e4c601e2c4.txt 中共都江堰市委组织部",
    description="党支部量化考评与满意度测评、党员四讲四有按月积分与年度评定。",
    settings=SETTINGS,
    define=define,
    periods=("year",),
    deadlines=deadlines,
    labels={
        "rural": "农村",  # a branch type (plain_branch_type's choices)
        "dujiangyan.insufficient_months": "记实月数",  # a rule
        "dujiangyan.interview_and_mentoring": "警示等次约谈帮教",  # a rule
        "dujiangyan.organizational_disposal": "不合格等次组织处置",  # a rule
        "dujiangyan.reminder_talk": "不合格支部提醒谈话",  # a rule
        "dujiangyan.reorganize_committee": "连续两次不合格调整班子",  # a rule
        "dujiangyan.weak_lax": "软弱涣散认定",  # a rule
        "weak_lax": "软弱涣散党组织,限期整顿",
        "insufficient_months": "月度记实考评月数不足",
        "reminder_talk": "对党支部主要负责人提醒或诫勉谈话",
        "reorganize_committee": "连续两次不合格,对党支部班子进行组织调整",
        "interview_and_mentoring": "组织约谈、结对帮教",
        "organizational_disposal": "稳妥有序予以组织处置",
    },
)


@hookimpl
def zhibu_schemes():
    return [SCHEME]


@hookimpl
def zhibu_blueprints():
    from dujiangyan_quantified.api import blp

    return [blp]


@hookimpl
def zhibu_demo_data():
    from dujiangyan_quantified.demo import build

    return [DemoData(key="dujiangyan_quantified.city", scheme="dujiangyan_quantified", build=build)]
