"""A ScoreSeries stands for the plain ScoreRows it holds: the same results, the same
explanations, the same refusals, whichever form the monthly scores come in."""

from collections import defaultdict
from dataclasses import asdict

import pytest
from tiny_scheme import TINY

from zhibu.engine import Cycle, InputError, ScoreRow, ScoreSeries, Subject, evaluate


def as_series(rows):
    """Plain rows with a period, gathered per subject, source and rater, in month order."""
    grouped, rest = defaultdict(list), []
    for row in rows:
        if row.period and row.plain:
            grouped[(row.subject, row.source, row.rater)].append(row)
        else:
            rest.append(row)
    series = [
        ScoreSeries(*key, tuple(r.period for r in months), tuple(r.score for r in months))
        for key, months in grouped.items()
    ]
    return series + rest


def run(subjects, scores):
    values = TINY.resolve_settings({})
    cycle = Cycle(
        "2021", "2021-01-01", "2021-12-31", tuple(subjects), tuple(scores), settings=values
    )
    return [
        (r.subject, r.total, r.stars, r.flags, r.source_scores, [asdict(x) for x in r.explanation])
        for r in evaluate(TINY.definition(values), cycle)
    ]


def monthly(code, scores, rater="", months=None):
    months = months or [f"2021-{m:02d}" for m in range(1, len(scores) + 1)]
    return [
        ScoreRow(code, "monthly", rater, s, period=p) for p, s in zip(months, scores, strict=True)
    ]


def member(code, **kw):
    return Subject(code, "member", unit="Z1", **kw)


CASES = {
    "a year of months": ([member("M1")], monthly("M1", [80, 90.5, 70] * 4)),
    "months out of order": (
        [member("M1")],
        monthly("M1", [80, 60, 90], months=["2021-03", "2021-01", "2021-02"]),
    ),
    "months outside the branch": (
        [member("M1", periods=frozenset({"2021-02", "2021-03"}))],
        monthly("M1", [10, 80, 90]),
    ),
    "two raters the same months": (
        [member("M1")],
        monthly("M1", [80, 90], rater="R1") + monthly("M1", [60, 70], rater="R2"),
    ),
    "another rater on one month": (
        [member("M1")],
        monthly("M1", [80, 90, 100]) + monthly("M1", [60], rater="R2"),
    ),
    "a month of its own beside the series": (
        [member("M1")],
        monthly("M1", [80, 90]) + monthly("M1", [70], rater="R2", months=["2021-05"]),
    ),
    "with the year-end score": (
        [member("M1"), member("M2")],
        [
            *monthly("M1", [80] * 12),
            ScoreRow("M1", "peer", "", 90),
            *monthly("M2", [50, 100]),
            ScoreRow("M2", "peer", "", 60),
        ],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_series_gives_what_its_rows_give(case):
    subjects, rows = CASES[case]
    assert run(subjects, as_series(rows)) == run(subjects, rows)


def test_a_series_with_a_score_out_of_range_is_refused_as_its_row_would_be():
    rows = monthly("M1", [80, 120, 90])
    with pytest.raises(InputError) as as_rows:
        run([member("M1")], rows)
    with pytest.raises(InputError) as as_series_:
        run([member("M1")], as_series(rows))
    assert as_series_.value.problems == as_rows.value.problems
    assert "不在 0–100 分之间" in as_series_.value.problems[0]
    assert "outside 0–100" in as_series_.value.problems[0].en


def test_a_series_of_a_source_without_months_is_read_as_its_rows():
    rows = [ScoreRow("M1", "peer", "", 90, period="2021-01")]
    series = [ScoreSeries("M1", "peer", "", ("2021-01",), (90.0,))]
    assert run([member("M1")], series) == run([member("M1")], rows)


def test_a_series_stands_for_its_rows():
    series = ScoreSeries("M1", "monthly", "R1", ("2021-01", "2021-02"), (80.0, 90.0), ref="x")
    assert series.rows() == [
        ScoreRow("M1", "monthly", "R1", 80.0, period="2021-01", ref="x"),
        ScoreRow("M1", "monthly", "R1", 90.0, period="2021-02", ref="x"),
    ]


def test_a_member_of_every_month_is_explained_as_when_their_months_are_listed():
    """A subject in the unit all year (``periods`` None) takes a shorter path through its
    months than one whose months are listed; with every month listed, both must give the
    same result and the same lines in the same order (itemized months, several raters)."""
    from zhibu.engine import Band, Deduction, Definition, Indicator, Rubric, Source, Track

    rubric = Rubric(
        "r",
        "细则",
        tuple(Indicator(f"L{n}", f"第{n}项", 10, mode="deduction") for n in range(1, 11)),
        brief=True,
    )
    monthly_source = Source("monthly", "每月记实", 1.0, periodic=True, rubric="r")
    track = Track("member", "党员", ("member",), (monthly_source,), (Band(60, 3), Band(90, 5)))
    definition = Definition((track,), (rubric,))
    year = [f"2021-{m:02d}" for m in range(1, 13)]
    rows = [
        ScoreSeries("M1", "monthly", "", tuple(year[:2] + year[3:7] + year[8:]), (90.0,) * 10),
        ScoreRow("M1", "monthly", "", deductions=(Deduction("L2", 3, "缺会"),), period=year[7]),
        ScoreRow("M1", "monthly", "", deductions=(Deduction("L5", 1, "笔记"),), period=year[2]),
        ScoreRow("M1", "monthly", "R2", 70.0, period=year[2]),
    ]

    def explained(subject):
        cycle = Cycle("2021", "2021-01-01", "2021-12-31", (subject,), tuple(rows))
        (result,) = evaluate(definition, cycle)
        return result.total, result.source_scores, [asdict(x) for x in result.explanation]

    every_month = explained(member("M1", periods=frozenset(year)))
    assert explained(member("M1")) == every_month
    texts = [line["text"] for line in every_month[2]]
    march = next(i for i, t in enumerate(texts) if "2021-03" in t)
    august = next(i for i, t in enumerate(texts) if "2021-08" in t)
    mean = next(i for i, t in enumerate(texts) if "12 个月平均" in t)
    assert march < august < mean  # the itemized months in order, then the mean
