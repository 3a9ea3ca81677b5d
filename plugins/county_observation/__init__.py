"""County observation: 基层党建观摩、检查、测评 (seed 001).

Source: 《基层党建观摩、检查、测评工作实施方案》(2020-08-26),
``shared/seeds/001_57e792133185ab55.txt``. The two deduction sheets:
:mod:`county_observation.sheets`; rankings and classification: :mod:`.rules`; sources,
rounds and settings: :mod:`.scheme`.
"""

from county_observation.scheme import BRANCH_SOURCES, CYCLE_OPTIONS, SETTINGS, deadlines, define
from zhibu.plugins import DemoData, Scheme, hookimpl

__version__ = "0.2.0"

SCHEME = Scheme(
    key="county_observation",
    title="基层党建观摩、检查、测评",
    title_en="Grassroots Party building observation, inspection and evaluation (county)",
    seed="001_57e792133185ab55.txt 《基层党建观摩、检查、测评工作实施方案》",
    description="县、乡镇、村(社区)和“两新”组织的观摩扣分、排名与整改台账。",
    settings=SETTINGS,
    define=define,
    periods=("quarter", "half", "year"),
    cycle_options=CYCLE_OPTIONS,
    deadlines=deadlines,
    labels={
        "county.rank_in_township": "乡镇内排名",  # a rule
        "county.township_from_sites": "乡镇得分取示范点平均",  # a rule
        "no_demo_site": "未推荐示范点或示范点未评分",
        "trimmed_mean": "去掉最高分和最低分后平均",  # the choices of the aggregation setting
        "mean": "平均",
    },
    branch_sources=BRANCH_SOURCES,
    # the township's staff score on site during the observation round ("参与观摩人员进行现场
    # 打分"), which is the cycle's 考核评分: their sheets close with it, not with 自评
    input_phases={"observer": "assessment"},
    # Seed: "排名結(jié)果和分類情況報縣委組織部備案。" and "對整改工作逐項驗收“銷號”" —
    # the county department the results are filed with (its overseer) follows the 销号 item
    # by item: the photos and files of a sign-off are shared with it (read-only, from the
    # ledger it drills down to); every other kind of evidence stays a count.
    shareable_evidence=frozenset({"sign_off"}),
)


@hookimpl
def zhibu_schemes():
    return [SCHEME]


@hookimpl
def zhibu_report_builders():
    from county_observation.reports import REPORTS

    return list(REPORTS)


@hookimpl
def zhibu_demo_data():
    from county_observation.demo import build

    return [DemoData(key="county_observation.county", scheme="county_observation", build=build)]
