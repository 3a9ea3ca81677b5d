"""The engine's ``Rubric.brief`` (added for dujiangyan_quantified's 50-line monthly sheet):
lines a sheet leaves untouched are explained in one line, the total is unchanged, and a
rubric without it still explains every line. A sub-period's sheet names its month."""

from zhibu.engine import Deduction, Indicator, Rubric, Source
from zhibu.engine.sheets import RaterSheet, sheet_value

LINES = tuple(Indicator(f"L{n}", f"第{n}项", 2, mode="deduction") for n in range(1, 51))
SOURCE = Source("monthly", "每月记实考评", 0.8, periodic=True, rubric="r")


def _sheet() -> RaterSheet:
    return RaterSheet(
        "M1",
        "monthly",
        "",
        "2021-03",
        items={"L7": 1.5},
        deductions=[(Deduction("L2", 2, "欠交党费"), "")],
    )


def test_a_brief_rubric_sums_the_untouched_lines_in_one():
    total, lines = sheet_value(_sheet(), SOURCE, Rubric("r", "细则", LINES, brief=True))
    assert total == 100 - 2 - 0.5
    texts = [line.text for line in lines]
    assert texts == [
        "每月记实考评 2021-03: L2 第2项 −2(欠交党费)",
        "每月记实考评 2021-03: L2 第2项 0/2",
        "每月记实考评 2021-03: L7 第7项 1.5/2",
        "每月记实考评 2021-03: 其余 48 项未扣分 96 分",
    ]
    assert lines[-1].en == "每月记实考评 2021-03: 48 more lines at full points 96"
    assert sum(line.points for line in lines if not line.reason) == total


def test_a_full_rubric_still_explains_every_line():
    total, lines = sheet_value(_sheet(), SOURCE, Rubric("r", "细则", LINES))
    assert total == 97.5
    assert len([line for line in lines if not line.reason]) == 50
