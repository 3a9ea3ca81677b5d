"""Dujiangyan: 量化考评 of branches and monthly member evaluation (seed 004).

Source: 中共都江堰市委组织部 material, ``shared/seeds/004_ccd209e4c601e2c4.txt``. The
rubrics: :mod:`.rubrics`; sources, bands and settings: :mod:`.scheme`; rules: :mod:`.rules`;
a branch's month on one sheet (API and workbook): :mod:`.months`, :mod:`.workbook`,
:mod:`.api`; archive-code QR labels: :mod:`.labels`.
"""

from dujiangyan_quantified.scheme import SETTINGS, deadlines, define
from zhibu.plugins import DemoData, Scheme, hookimpl

__version__ = "0.1.0"

SCHEME = Scheme(
    key="dujiangyan_quantified",
    title="党组织和党员量化考评",
    title_en="Quantified evaluation of branches and members (Dujiangyan)",
    seed="004_ccd209e4c601e2c4.txt 中共都江堰市委组织部",
    description="党支部量化考评与满意度测评、党员四讲四有按月积分与年度评定。",
    settings=SETTINGS,
    define=define,
    periods=("year",),
    deadlines=deadlines,
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
