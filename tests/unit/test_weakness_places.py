"""失分排名 in the weakness workbook: only indicators that lost points are ranked, equal mean
losses share a place, and a rubric where nothing was lost has no ranks at all."""

from collections import Counter

from zhibu.reports.weakness import Loss, loss_places, tables


def loss(code: str, lost: float, order: int, scored: int = 10) -> Loss:
    return Loss(
        rubric="stars",
        rubric_title="党员星级评定",
        code=code,
        title=f"指标{code}",
        category="基本",
        max_points=10,
        order=order,
        units=Counter({"甲": scored}),
        losing=1 if lost else 0,
        lost_by_tenant=Counter({"甲": lost}),
    )


def test_zero_loss_indicators_are_not_ranked_and_ties_share_a_place():
    entries = [loss("A", 0, 1), loss("B", 5, 2), loss("C", 8, 3), loss("D", 5, 4), loss("E", 1, 5)]
    places = {e.code: loss_places(entries)[id(e)] for e in entries}
    assert places == {"A": "", "C": 1, "B": 2, "D": 2, "E": 4}


def test_a_rubric_that_lost_nothing_has_a_blank_rank_column():
    entries = {("stars", c): loss(c, 0, n) for n, c in enumerate("ABCDE", 1)}
    [table] = tables(entries, "薄弱环节", "监督单位", "2026-12-04")
    assert [row["place"] for row in table.rows] == [""] * 5
    assert [row["rate"] for row in table.rows] == ["0.0%"] * 5
