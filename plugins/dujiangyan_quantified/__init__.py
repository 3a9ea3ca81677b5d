"""Dujiangyan: 量化考评 of branches and monthly member evaluation (seed 004).

Source: 中共都江堰市委组织部 material, ``shared/seeds/004_ccd209e4c601e2c4.txt``.
Rules arrive with issue 8.
"""

from zhibu.plugins import Scheme, hookimpl

__version__ = "0.1.0"

SCHEME = Scheme(
    key="dujiangyan_quantified",
    title="党组织和党员量化考评",
    title_en="Quantified evaluation of branches and members (Dujiangyan)",
    seed="004_ccd209e4c601e2c4.txt 中共都江堰市委组织部",
    description="党支部量化考评与满意度测评、党员四讲四有按月积分与年度评定。",
)


@hookimpl
def zhibu_schemes():
    return [SCHEME]
