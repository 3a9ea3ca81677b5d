"""创建“五个好”党组织 — the tutorial's scheme (docs/plugins.md), from seed 002 篇一.

Villages, communities, township stations (站所, a kind of unit this plugin adds) and
townships, each on the five standards of its kind; a community counts its members'
volunteer service (志愿服务, a kind of record this plugin adds).
"""

from five_good.kinds import STATION, VOLUNTEER
from five_good.scheme import define
from zhibu.plugins import Scheme, hookimpl

__version__ = "0.1.0"

SCHEME = Scheme(
    key="five_good",
    title="创建“五个好”党组织",
    title_en="Five-good Party organizations",
    seed="002_f02d12f383623dcb.txt 篇一《创建“五个好”党组织基本标准》",
    description="村、社区、镇站所和镇党委党组织按“五个好”基本标准逐项考核。",
    define=define,
    labels={
        "five_good": "“五个好”党组织",
        "not_yet": "未达到“五个好”",
        "age_structure": "党员年龄结构未达标准",
        "volunteer_share": "参加志愿服务的党员不足30%",
        "village_share": "“五个好”村和站所不足40%",
        "five_good.age_structure": "党员年龄结构",  # a rule
        "five_good.volunteer_share": "志愿服务参与比例",  # a rule
        "five_good.village_share": "“五个好”村和站所比例",  # a rule
    },
)


@hookimpl
def zhibu_schemes():
    return [SCHEME]


@hookimpl
def zhibu_org_kinds():
    return [STATION]


@hookimpl
def zhibu_record_kinds():
    return [VOLUNTEER]
