"""Issue 22, points 3 and 4: each result's per-indicator scores as data (the raters' mean,
points, maximum, reasons, the points lost on the total) and the ten-second summary
(distance to the next band, margin to the line below, where points were lost), read from
the explanation's fields, never its text."""

from dataclasses import asdict

from dujiangyan_quantified import SCHEME as DUJIANGYAN
from zhibu.engine import (
    Context,
    Cycle,
    Deduction,
    ScoreRow,
    Subject,
    evaluate,
    indicator_scores,
    summarize,
)

SETTINGS = DUJIANGYAN.resolve_settings({})
DEFINITION = DUJIANGYAN.definition(SETTINGS)
RUBRICS = {r.key: r for r in DEFINITION.rubrics}


def _village(satisfaction: float):
    """青城村 as in the scheme's scenario: two raters on the quantified sheet."""
    rows = (
        ScoreRow(
            "V1", "quantified", "考核组1", deductions=(Deduction("D4", 2, "集体经济没有起色"),)
        ),
        ScoreRow(
            "V1",
            "quantified",
            "考核组2",
            deductions=(Deduction("A8", 1, "档案盒未编码"), Deduction("D4", 2, "产业项目推进慢")),
        ),
        ScoreRow("V1", "satisfaction", score=satisfaction),
    )
    subjects = (Subject("SW", "committee"), Subject("V1", "village", "青城村党支部", unit="SW"))
    cycle = Cycle("2021", "2021-01-01", "2021-12-31", subjects, rows, settings=SETTINGS)
    result = next(r for r in evaluate(DEFINITION, cycle) if r.subject == "V1")
    return result, DEFINITION.track_for(subjects[1])


def test_indicator_scores_are_the_raters_mean_with_reasons_and_weighted_loss():
    result, track = _village(90)
    assert result.total == 94.5
    scores = {s.code: s for s in indicator_scores(track, RUBRICS, result.explanation)}
    d4, a8 = scores["D4"], scores["A8"]
    assert (d4.points, d4.max_points, d4.raters) == (2.0, 4.0, 2)
    assert d4.reasons == ("集体经济没有起色", "产业项目推进慢")
    assert d4.lost == 1.2  # 2 of 4 points on a 100-point sheet weighted 60 %
    assert (a8.points, a8.reasons, a8.lost) == (a8.max_points - 0.5, ("档案盒未编码",), 0.3)
    # the data agree with the engine's own item points, for every line it keeps
    for code, points in result.items["quantified"].items():
        assert scores[code].points == points


def test_stored_lines_give_the_same_scores_as_engine_lines():
    result, track = _village(90)
    stored = [
        [line.text, line.points, line.source, line.rater, line.indicator, line.reason]
        for line in result.explanation
    ]
    as_dicts = [asdict(line) for line in result.explanation]
    direct = indicator_scores(track, RUBRICS, result.explanation)
    assert indicator_scores(track, RUBRICS, stored) == direct
    assert indicator_scores(track, RUBRICS, as_dicts) == direct


def test_a_rule_reads_the_scores_through_the_context():
    result, track = _village(90)
    context = Context(Cycle("2021", "2021-01-01", "2021-12-31", ()), DEFINITION, {}, {})
    assert [s.code for s in context.scores(result)][:2] == [
        s.code for s in indicator_scores(track, RUBRICS, result.explanation)
    ][:2]


def test_summary_gap_to_next_and_margin_below():
    # 97.5 × 60 % + 70 × 40 % = 86.5: four stars, 3.5 short of five, 6.5 above the line
    result, track = _village(70)
    assert (result.total, result.stars) == (86.5, 4)
    found = summarize(
        track,
        RUBRICS,
        total=result.total,
        stars=result.stars,
        grade=result.grade,
        lines=result.explanation,
    )
    points, band = found.gap_to_next
    assert (points, band.stars) == (3.5, 5)
    points, band = found.margin_below
    assert (points, band.stars) == (6.5, 4)
    assert [s.code for s in found.lost] == ["D4", "A8"]  # most weighted points first
    assert found.lost[0].lost > found.lost[1].lost


def test_summary_at_the_top_and_when_a_rule_set_the_level():
    result, track = _village(90)
    top = summarize(track, RUBRICS, total=result.total, stars=5, grade=None)
    assert top.gap_to_next is None and top.margin_below[0] == 4.5
    ruled = summarize(track, RUBRICS, total=result.total, stars=3, grade=None, rules=["vetoed"])
    assert ruled.ruled and ruled.gap_to_next is None and ruled.rules == ("vetoed",)
    nothing = summarize(track, RUBRICS, total=None, stars=None, grade=None)
    assert nothing.gap_to_next is None and nothing.lost == ()


def test_a_rubric_beside_automatic_checks_is_one_sheet_and_its_points_weigh_on_both():
    """A source made of automatic checks and a rubric (enterprise_5std's 组织考核): the
    checks' lines are no rater's sheet (a rubric line is not averaged with a blank), and a
    rubric point is worth the source's score over the points of both — 100/15 here, not
    the rubric's 100/10."""
    from zhibu.engine import Band, Indicator, Rubric, Source, Track

    rubric = Rubric("r", "细则", (Indicator("X", "活动室", 4), Indicator("Y", "宣传栏", 6)))
    source = Source("a", "组织考核", 1.0, rubric="r", automatic=("check",))
    track = Track("branch", "党支部", ("branch",), (source,), (Band(60, stars=1),))
    lines = [
        {"text": "组织考核: 检查 3/5", "points": 3, "source": "a", "indicator": "check"},
        {"text": "X 2/4", "points": 2, "source": "a", "rater": "组织科", "indicator": "X"},
        {"text": "Y 6/6", "points": 6, "source": "a", "rater": "组织科", "indicator": "Y"},
    ]
    value = (3 + 2 + 6) * 100 / (5 + 4 + 6)  # the checks' maximum is the subject's own
    scores = {s.code: s for s in indicator_scores(track, {"r": rubric}, lines, {"a": value})}
    assert (scores["X"].points, scores["X"].raters) == (2, 1)
    assert scores["X"].lost == round(2 * 100 / 15, 2) and scores["Y"].lost == 0
    alone = indicator_scores(track, {"r": rubric}, lines)  # no score known: the rubric's share
    assert next(s for s in alone if s.code == "X").lost == 2 * 100 / 10
