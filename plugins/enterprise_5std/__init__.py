"""Enterprise: 五个标准化 and 星级提升 in a company (seeds 002 篇三 and 003).

Sources: 篇三《党支部标准化五个基本》in ``seeds/002_f02d12f383623dcb.txt`` and
《开展星级党组织提升活动方案》in ``seeds/003_95181908de4be503.txt``. Part two (star
upgrading): :mod:`enterprise_5std.rules`, :mod:`enterprise_5std.scheme`.
"""

from enterprise_5std.scheme import INCIDENT_KINDS, TARGETS, deadlines, define
from zhibu.plugins import Scheme, hookimpl

__version__ = "0.2.0"

SCHEME = Scheme(
    key="enterprise_5std",
    title="党支部五个标准化与星级提升",
    title_en="Five standardizations and star upgrading (enterprise)",
    seed="002_f02d12f383623dcb.txt 篇三; 003_95181908de4be503.txt 《开展星级党组织提升活动方案》",
    description="企业党支部组织建设、组织生活、党员管理、信息台账、活动阵地标准化与星级提升。",
    define=define,
    incident_kinds=INCIDENT_KINDS,
    periods=("half", "year"),
    targets=TARGETS,
    deadlines=deadlines,
)


@hookimpl
def zhibu_schemes():
    return [SCHEME]
