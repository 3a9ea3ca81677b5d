"""Enterprise: 五个标准化 and 星级提升 in a company (seeds 002 篇三 and 003).

Sources: 篇三《党支部标准化五个基本》in ``seeds/002_f02d12f383623dcb.txt`` and
《开展星级党组织提升活动方案》in ``seeds/003_95181908de4be503.txt``. Part one (the five
standardizations): :mod:`enterprise_5std.standards` (automatic checks) and the checklist in
:mod:`enterprise_5std.scheme`; part two (star upgrading): :mod:`enterprise_5std.rules`.
The demo company: :mod:`enterprise_5std.demo`.
"""

from enterprise_5std.scheme import INCIDENT_KINDS, SETTINGS, TARGETS, deadlines, define
from zhibu.plugins import DemoData, Scheme, hookimpl

__version__ = "0.3.0"

SCHEME = Scheme(
    key="enterprise_5std",
    title="党支部五个标准化与星级提升",
    title_en="Five standardizations and star upgrading (enterprise)",
    seed="002_f02d12f383623dcb.txt 篇三; 003_95181908de4be503.txt 《开展星级党组织提升活动方案》",
    description="企业党支部组织建设、组织生活、党员管理、信息台账、活动阵地标准化与星级提升。",
    settings=SETTINGS,
    define=define,
    incident_kinds=INCIDENT_KINDS,
    periods=("half", "year"),
    targets=TARGETS,
    deadlines=deadlines,
    labels={
        "enterprise.downgrade": "降星事项",  # a rule
        "enterprise.group": "党小组设置",  # a rule
        "enterprise.half_year_review": "半年评审",  # a rule
        "enterprise.lapse": "组织生活与党费",  # a rule
        "enterprise.movement": "晋星与降星",  # a rule
        "enterprise.targeted_assistance": "三星级定向帮扶",  # a rule
        "enterprise.training": "学习培训学时",  # a rule
        "enterprise.two_years": "连续两年不能晋星",  # a rule
        "half_year_review": "半年评审,年度定星",
        "promoted": "晋星",
        "kept": "保留原星级",
        "demoted": "降星",
        "secretary_not_excellent": "连续两年不能晋星:支部书记不得评优、不得晋升职务",
        "targeted_assistance": "三星级:定向帮扶",
        "lapsed_six_months": "连续六个月未参加组织生活或未交纳党费,应予核实",
        "training_short": "学习培训学时未达到",
        "group_below_standard": "党小组设置不符合要求",
    },
)


@hookimpl
def zhibu_schemes():
    return [SCHEME]


@hookimpl
def zhibu_demo_data():
    from enterprise_5std.demo import build

    return [DemoData(key="enterprise_5std.company", scheme="enterprise_5std", build=build)]
