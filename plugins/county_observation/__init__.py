"""County observation: 基层党建观摩、检查、测评 (seed 001).

Source: 《基层党建观摩、检查、测评工作实施方案》(2020-08-26),
``shared/seeds/001_57e792133185ab55.txt``. Rules arrive with issue 6.
"""

from zhibu.plugins import Scheme, hookimpl

__version__ = "0.1.0"

SCHEME = Scheme(
    key="county_observation",
    title="基层党建观摩、检查、测评",
    title_en="Grassroots Party building observation, inspection and evaluation (county)",
    seed="001_57e792133185ab55.txt 《基层党建观摩、检查、测评工作实施方案》",
    description="县、乡镇、村(社区)和“两新”组织的观摩扣分、排名与整改台账。",
)


@hookimpl
def zhibu_schemes():
    return [SCHEME]
