"""The engine on a small scheme defined here: every kind of rule and its boundaries."""

import pickle

import pytest
from tiny_scheme import TINY

from zhibu.engine import (
    Cycle,
    Deduction,
    Incident,
    InputError,
    Past,
    Problem,
    ScoreRow,
    Subject,
    evaluate,
)
from zhibu.engine.numbers import round2, trimmed_mean


def run(subjects, scores=(), incidents=(), history=(), **settings):
    values = TINY.resolve_settings(settings)
    cycle = Cycle(
        "2021",
        "2021-01-01",
        "2021-12-31",
        tuple(subjects),
        tuple(scores),
        tuple(incidents),
        history=tuple(history),
        previous=("2020", "2019"),
        settings=values,
    )
    return {r.subject: r for r in evaluate(TINY.definition(values), cycle)}


def branch(code="Z1", **kw):
    return Subject(code, "branch", unit="DW", **kw)


def member(code, unit="Z1", **kw):
    return Subject(code, "member", unit=unit, **kw)


def both(code, panel, sheet_deductions=(), ref=""):
    """A branch scored ``panel`` by the panel and the sheet minus ``sheet_deductions``."""
    return [
        ScoreRow(code, "panel", "R1", score=panel, ref=ref),
        ScoreRow(code, "sheet", "R1", deductions=tuple(sheet_deductions), ref=ref),
    ]


@pytest.mark.parametrize(
    ("panel", "stars"),
    [
        (59.99, 1),
        (60, 2),
        (69.99, 2),
        (70, 3),
        (79.99, 3),
        (80, 4),
        (89.99, 4),
        (90, 5),
    ],
)
def test_star_boundaries_include_the_minimum(panel, stars):
    # the sheet alone scores 100 - deductions; make the total equal ``panel``
    missing = round2(100 - panel)
    deductions = [Deduction("A2", missing, "台账不全")] if missing else []
    result = run([branch()], both("Z1", panel, deductions))["Z1"]
    assert result.total == panel
    assert result.stars == stars


def test_totals_round_to_two_decimals_half_up_before_the_bands():
    assert round2(89.995) == 90.0 and round2(89.994) == 89.99
    result = run([branch()], both("Z1", 89.99, [Deduction("A1", 10.01, "缺记录")]))["Z1"]
    assert result.total == 89.99 and result.stars == 4  # (89.99 + 89.99) / 2
    result = run(
        [branch()],
        [ScoreRow("Z1", "panel", "R1", score=89.995), ScoreRow("Z1", "sheet", "R1", score=89.995)],
    )["Z1"]
    assert result.total == 90.0 and result.stars == 5


def test_trimmed_mean_drops_highest_and_lowest_from_five_raters():
    assert trimmed_mean([80, 90, 70, 100, 60], 5) == (80.0, [60, 100])
    assert trimmed_mean([80, 90, 70, 100], 5) == (85.0, [])
    rows = [ScoreRow("Z1", "panel", f"R{i}", score=s) for i, s in enumerate([60, 80, 90, 70, 100])]
    rows.append(ScoreRow("Z1", "sheet", "R1", score=80))
    result = run([branch()], rows)["Z1"]
    assert result.source_scores["panel"] == 80.0
    assert any("去掉最高 100、最低 60" in line.text for line in result.explanation)


def test_a_missing_source_leaves_the_subject_unrated_and_says_which():
    result = run([branch()], [ScoreRow("Z1", "panel", "R1", score=95)])["Z1"]
    assert result.total is None and result.stars is None
    assert "missing_source" in result.flags
    assert any("检查表" in line.text for line in result.explanation)


def test_deductions_are_traced_to_rater_indicator_and_reason():
    result = run([branch()], both("Z1", 90, [Deduction("A1", 3, "组织生活会未按时召开")]))["Z1"]
    line = next(x for x in result.explanation if x.reason)
    assert (line.source, line.rater, line.indicator, line.points) == ("sheet", "R1", "A1", -3)
    assert line.reason == "组织生活会未按时召开"
    assert result.source_scores["sheet"] == 97 and result.total == 93.5


@pytest.mark.parametrize(
    ("deduction", "message", "english"),
    [
        (Deduction("A1", 2, ""), "扣分项 A1 未注明扣分原因", "the deduction from A1 has no reason"),
        (
            Deduction("A1", 41, "太多"),
            "A1 的扣分合计 41 分,超过该项满分 40 分",
            "deductions from A1 (41) exceed its 40 points",
        ),
        (Deduction("A9", 1, "无此项"), "扣分的条目 A9 不在评分细则中", "unknown indicator 'A9'"),
        (Deduction("A1", -1, "负数"), "扣分项 A1 的扣分须大于 0", "must be positive"),
    ],
)
def test_bad_deductions_are_refused_naming_subject_and_line(deduction, message, english):
    with pytest.raises(InputError) as excinfo:
        run([branch()], both("Z1", 90, [deduction], ref="line 12"))
    (problem,) = excinfo.value.problems
    assert isinstance(problem, Problem)
    assert problem.startswith(f"Z1(line 12):{message}") and message in str(excinfo.value)
    assert problem.en.startswith("Z1 (line 12): ") and english in problem.en
    assert not any("a" <= c <= "z" for c in problem.replace("line", ""))  # Chinese only


def test_a_problem_is_its_chinese_text_and_keeps_its_english_when_pickled():
    problem = Problem("Z1:扣分项 A1 未注明扣分原因", "Z1: the deduction from A1 has no reason")
    assert (
        problem == "Z1:扣分项 A1 未注明扣分原因" and "; ".join([problem, problem]).count(";") == 1
    )
    again = pickle.loads(pickle.dumps(problem))
    assert type(again) is Problem and again == problem and again.en == problem.en
    assert Problem("只有中文").en == "只有中文"


@pytest.mark.parametrize(
    ("row", "message", "english"),
    [
        (
            ScoreRow("Z1", "panel", "R1", score=120, ref="第 7 行"),
            "Z1(第 7 行):得分 120 不在 0–100 分之间",
            "Z1 (第 7 行): score 120 is outside 0–100",
        ),
        (
            ScoreRow("Z1", "panel", "R1", items={"A1": 3}, ref="第 7 行"),
            "Z1(第 7 行):“考核组”只填总分,不按条目打分或扣分",
            "Z1 (第 7 行): “考核组” takes a total score, not items",
        ),
        (
            ScoreRow("Z1", "sheet", "R1", items={"A1": 50}, ref="第 7 行"),
            "Z1(第 7 行):条目 A1 满分 40 分,填了 50 分",
            "Z1 (第 7 行): A1 is worth at most 40, got 50",
        ),
        (
            ScoreRow("Z1", "sheet", "R1", items={"X": 5}, ref="第 7 行"),
            "Z1(第 7 行):评分细则中没有条目 X",
            "Z1 (第 7 行): unknown indicator 'X'",
        ),
    ],
)
def test_bad_rows_are_refused_in_chinese_with_english_apart(row, message, english):
    with pytest.raises(InputError) as excinfo:
        run([branch()], [row])
    assert excinfo.value.problems == [message]
    assert excinfo.value.problems[0].en == english


def test_deductions_of_several_rows_add_up_against_the_item():
    rows = [
        ScoreRow("Z1", "sheet", "R1", deductions=(Deduction("A1", 30, "a"),), ref="l1"),
        ScoreRow("Z1", "sheet", "R1", deductions=(Deduction("A1", 11, "b"),), ref="l2"),
    ]
    with pytest.raises(InputError, match=r"Z1\(l2\):A1 的扣分合计 41 分,超过该项满分 40 分") as ex:
        run([branch()], rows)
    assert ex.value.problems[0].en == "Z1 (l2): deductions from A1 (41) exceed its 40 points"


def test_unknown_subject_and_source_are_refused():
    with pytest.raises(InputError) as excinfo:
        run(
            [branch()],
            [
                ScoreRow("Z9", "panel", score=90, ref="line 3"),
                ScoreRow("Z1", "monthly", score=90, ref="line 4"),
            ],
        )
    problems = excinfo.value.problems
    assert problems == [
        "Z9(line 3):本周期没有这个评定对象",
        "Z1(line 4):评分表“月度”不评定这类对象",
    ]
    assert [p.en for p in problems] == [
        "Z9 (line 3): no such subject in this cycle",
        "Z1 (line 4): the sheet “月度” does not rate this kind of subject",
    ]


def test_retired_and_exempt_are_listed_not_rated():
    results = run([branch("Z9", retired=True), member("M1", exempt=True)])
    assert results["Z9"].rated is False and results["Z9"].flags == ["retired"]
    assert results["M1"].rated is False and results["M1"].flags == ["exempt"]


def test_a_veto_beats_everything():
    results = run(
        [branch()],
        both("Z1", 100),
        [
            Incident("Z1", "veto.disunity", "2021-05-01"),
            Incident("Z1", "down.petition", "2021-06-01"),
        ],
    )
    assert results["Z1"].stars is None and results["Z1"].total == 100
    assert "vetoed" in results["Z1"].flags and results["Z1"].gap is None
    assert any("班子不团结(2021-05-01)" in line.text for line in results["Z1"].explanation)


def test_incidents_outside_the_cycle_do_not_count():
    results = run([branch()], both("Z1", 100), [Incident("Z1", "veto.disunity", "2020-12-31")])
    assert results["Z1"].stars == 5


def test_downgrades_stop_at_the_floor_and_say_so():
    incidents = [Incident("Z1", "down.petition", f"2021-0{m}-01") for m in (1, 2, 3)]
    result = run([branch()], both("Z1", 100), incidents)["Z1"]
    assert result.stars == 3 and result.gap is None
    assert "downgrade_floor" in result.flags
    already = run([branch()], both("Z1", 70, [Deduction("A2", 30, "缺")]), incidents[:1])["Z1"]
    assert already.stars == 3 and "downgrade_floor" in already.flags


def test_a_cap_lowers_only_what_stands_above_it_and_names_why():
    discipline = [Incident("Z1", "cap.discipline", "2021-04-01")]
    five = run([branch()], both("Z1", 100), discipline)["Z1"]
    assert five.stars == 3 and five.total == 100
    assert any(
        "违纪(2021-04-01)" in line.text and "5★ → 3★" in line.text for line in five.explanation
    )
    three = run([branch()], both("Z1", 40), discipline)["Z1"]  # (40 + 100) / 2: three already
    assert three.stars == 3 and not any("违纪" in line.text for line in three.explanation)
    outside = [Incident("Z1", "cap.discipline", "2020-12-31")]
    assert run([branch()], both("Z1", 100), outside)["Z1"].stars == 5
    vetoed = run(
        [branch()], both("Z1", 100), [*discipline, Incident("Z1", "veto.disunity", "2021-05-01")]
    )
    assert vetoed["Z1"].stars is None


def members_with(totals, peer=None):
    subjects = [branch()] + [member(f"M{i}") for i in range(len(totals))]
    rows = both("Z1", 90)
    for i, total in enumerate(totals):
        rows.append(ScoreRow(f"M{i}", "monthly", score=total, period="2021-01"))
        rows.append(ScoreRow(f"M{i}", "peer", score=(peer or {}).get(i, total)))
    return subjects, rows


def test_quota_keeps_the_top_thirty_percent_of_five_stars():
    subjects, rows = members_with([99, 98, 97, 96, 80, 80, 80, 80, 80, 80])
    results = run(subjects, rows)
    five = sorted(
        code for code, r in results.items() if r.subject_kind == "member" and r.stars == 5
    )
    assert five == ["M0", "M1", "M2"]
    assert results["M3"].stars == 4 and "quota_demoted" in results["M3"].flags
    assert "quota_exceeded" in results["Z1"].flags


def test_quota_ties_are_broken_by_the_tiebreak_source_then_flagged():
    subjects, rows = members_with(
        [95, 95, 95, 95, 80, 80, 80, 80, 80, 80], peer={0: 95, 1: 95, 2: 95, 3: 90}
    )
    results = run(subjects, rows)
    # M3's total is lower now (peer 90); the first three tie on total and peer: all kept
    assert results["M3"].stars == 4
    subjects, rows = members_with([95] * 4 + [80] * 6)
    results = run(subjects, rows)
    tied = [c for c, r in results.items() if "quota_tie" in r.flags]
    assert sorted(tied) == ["M0", "M1", "M2", "M3"]
    assert all(results[c].stars == 5 for c in tied)


def test_quota_only_warns_when_not_enforced():
    subjects, rows = members_with([99, 98, 97, 96, 80, 80, 80, 80, 80, 80])
    results = run(subjects, rows, enforce=False)
    assert results["M3"].stars == 5 and "quota_exceeded" in results["Z1"].flags


def test_vetoed_members_do_not_count_under_the_quota():
    subjects, rows = members_with([99, 98, 97, 96, 80, 80, 80, 80, 80, 80])
    results = run(subjects, rows, [Incident("M0", "veto.disunity", "2021-03-01")])
    assert results["M0"].stars is None
    # 9 counted members: at most 2 five-star
    assert sorted(c for c, r in results.items() if r.stars == 5 and c != "Z1") == ["M1", "M2"]


def test_months_outside_the_branch_are_left_out_not_zero():
    subjects = [member("M1", periods=frozenset({"2021-03", "2021-04"}))]
    rows = [
        ScoreRow("M1", "monthly", score=s, period=p)
        for p, s in [("2021-01", 0), ("2021-03", 90), ("2021-04", 80)]
    ]
    rows.append(ScoreRow("M1", "peer", score=85))
    result = run(subjects, rows)["M1"]
    assert result.source_scores["monthly"] == 85 and result.source_scores["monthly.periods"] == 2
    assert result.total == 85.0
    assert any("2021-01" in line.text and "不计入" in line.text for line in result.explanation)


def test_a_self_assessment_is_shown_but_not_counted():
    rows = [
        ScoreRow("M1", "monthly", score=80, period="2021-01"),
        ScoreRow("M1", "peer", score=80),
        ScoreRow("M1", "self", score=100),
    ]
    result = run([member("M1")], rows)["M1"]
    assert result.source_scores["self"] == 100 and result.total == 80


def test_two_low_cycles_running_trigger_the_action():
    rows = both("Z1", 60, [Deduction("A2", 40, "无台账")])
    low = [Past("2020", "Z1", stars=2, total=65)]
    assert run([branch()], rows, history=low)["Z1"].actions == ["interview"]
    assert run([branch()], rows)["Z1"].actions == []  # no earlier result: no run
    high = [Past("2020", "Z1", stars=4, total=85)]
    assert run([branch()], rows, history=high)["Z1"].actions == []


def test_gap_to_the_next_star_names_the_points_per_source():
    result = run([branch()], both("Z1", 80, [Deduction("A2", 7, "缺")]))["Z1"]
    assert result.total == 86.5 and result.stars == 4
    assert result.gap.startswith("距5★还差 3.5 分")
    assert "考核组 +7" in result.gap and "3.5 more points for 5★" in result.gap


def test_settings_are_checked_and_change_the_weights():
    with pytest.raises(ValueError, match="panel_weight: at most 1"):
        TINY.resolve_settings({"panel_weight": 2})
    with pytest.raises(ValueError, match="colour: not an adjustable setting of tiny"):
        TINY.resolve_settings({"colour": "red"})
    result = run([branch()], both("Z1", 80), panel_weight=0.8)["Z1"]
    assert result.total == 84.0


def test_automatic_indicators_count_records_and_say_which():
    from zhibu.engine import (
        AutomaticIndicator,
        Band,
        Computed,
        Definition,
        Record,
        Source,
        Track,
    )

    def monthly_committee(subject, records, cycle):
        months = sorted({r.date[:7] for r in records if r.kind == "committee_meeting"})
        return Computed(len(months), 12, tuple(months), "每月至少一次支委会")

    meetings = AutomaticIndicator("committee_monthly", "支委会每月召开", monthly_committee)
    track = Track(
        "branch",
        "支部",
        ("branch",),
        (Source("auto", "组织生活", 1.0, automatic=("committee_monthly",)),),
        (Band(90, 5), Band(60, 3)),
        floor=Band(0, 1),
    )
    records = tuple(Record("Z1", "committee_meeting", f"2021-{m:02d}-10") for m in range(1, 12))
    records += (
        Record("Z1", "committee_meeting", "2021-03-20"),
        Record("Z2", "committee_meeting", "2021-12-01"),
    )
    cycle = Cycle("2021", "2021-01-01", "2021-12-31", (branch("Z1"), branch("Z2")), records=records)
    results = {r.subject: r for r in evaluate(Definition((track,), automatic=(meetings,)), cycle)}
    assert results["Z1"].source_scores["auto"] == round2(11 / 12 * 100)
    assert results["Z1"].stars == 5
    line = next(x for x in results["Z1"].explanation if x.indicator == "committee_monthly")
    assert "11/12" in line.text and "2021-03" in line.text
    assert results["Z2"].source_scores["auto"] == round2(100 / 12) and results["Z2"].stars == 1
    with pytest.raises(ValueError, match=r"branch.auto: no automatic indicator committee_monthly"):
        evaluate(Definition((track,)), cycle)


def test_titles_come_from_the_results_after_the_quota():
    subjects, rows = members_with([99, 98, 97, 96, 80, 80, 80, 80, 80, 80])
    assert run(subjects, rows)["Z1"].titles == ["model"]
    subjects, rows = members_with([80] * 10)
    assert run(subjects, rows)["Z1"].titles == []


def _checked_source(**source):
    """A track whose one source is an automatic check (3 of 4 committee months) and, when
    asked, a two-item checklist rubric (10 points, deduction mode)."""
    from zhibu.engine import (
        AutomaticIndicator,
        Band,
        Computed,
        Definition,
        Indicator,
        Rubric,
        Source,
        Track,
    )

    def months(subject, records, cycle):
        met = tuple(sorted({r.date[:7] for r in records if r.kind == "committee_meeting"}))
        return Computed(min(len(met), 4) * 10 / 4, 10, met)

    check = AutomaticIndicator("months", "支委会", months)
    items = (Indicator("T1", "记录本", 5, "deduction"), Indicator("T2", "活动室", 5, "deduction"))
    rubric = Rubric("list", "清单", items)
    track = Track(
        "branch",
        "支部",
        ("branch",),
        (Source("auto", "组织考核", 1.0, automatic=("months",), **source),),
        (Band(90, 5), Band(60, 3)),
        floor=Band(0, 1),
    )
    return Definition((track,), (rubric,), automatic=(check,))


def test_an_automatic_source_with_a_rubric_adds_the_raters_points_to_the_checks():
    from zhibu.engine import Record

    records = tuple(Record("Z1", "committee_meeting", f"2021-{m:02d}-03") for m in (1, 2, 3))
    definition = _checked_source(rubric="list")
    rows = (
        ScoreRow("Z1", "auto", "A", deductions=(Deduction("T2", 2, "缺图板"),)),
        ScoreRow("Z1", "auto", "B"),
        ScoreRow("Z2", "auto", "A", score=88.5),
    )
    cycle = Cycle(
        "2021", "2021-01-01", "2021-12-31", (branch("Z1"), branch("Z2"), branch("Z3")), rows,
        records=records,
    )  # fmt: skip
    results = {r.subject: r for r in evaluate(definition, cycle)}
    # checks 7.5/10; raters 8/10 and 10/10, mean 9; (7.5 + 9) / 20
    assert results["Z1"].total == 82.5
    text = "\n".join(x.text for x in results["Z1"].explanation)
    assert "2021-01、2021-02、2021-03" in text and "T2 活动室 −2(缺图板)" in text
    assert "合计 16.5/20 → 82.5" in text
    assert results["Z2"].total == 88.5 and "shown, not counted" in "\n".join(
        x.en or "" for x in results["Z2"].explanation
    )
    assert "自动检查仅供参考" in "\n".join(x.text for x in results["Z2"].explanation)
    assert results["Z3"].total is None and results["Z3"].flags == ["missing_source"]
    cycle = Cycle("2021", "2021-01-01", "2021-12-31", cycle.subjects, records=records)
    alone = {r.subject: r for r in evaluate(_checked_source(), cycle)}
    assert alone["Z1"].total == 75.0 and alone["Z3"].total == 0.0, "no rubric: checks alone"


def test_a_cycle_indexes_subjects_under_a_unit_and_records_by_subject():
    from zhibu.engine import Record

    subjects = (branch("Z1"), Subject("G1", "party_group", unit="Z1"), member("M1"))
    subjects += (member("M2", unit="G1"),)
    records = (
        Record("G1", "group_meeting", "2021-02-01", attendees=("M2",)),
        Record("Z1", "dues", "2021-02-05", member="M1", month="2021-02"),
        Record("Z1", "party_lecture", "2021-03-01", lecturer="M1", attendees=("M1", "M2")),
    )
    cycle = Cycle("2021", "2021-01-01", "2021-12-31", subjects, records=records)
    assert [s.code for s in cycle.under("Z1")] == ["G1", "M1"]
    assert [s.code for s in cycle.under("G1")] == ["M2"] and cycle.under("M2") == ()
    assert cycle.records_of("M1") == records[1:]
    assert cycle.records_of("M2") == (records[0], records[2])
    assert cycle.records_of("G1") == records[:1] and cycle.records_of("Z9") == ()


def test_an_explanation_shows_a_part_as_it_is_counted_halves_up():
    # 民主测评 61.79 × 50 % = 30.895: on paper 30.90, and so in the line and its points
    from zhibu.engine import Band, Definition, Source, Track

    track = Track(
        "branch",
        "支部",
        ("branch",),
        (Source("a", "民主测评", 0.5), Source("b", "考核组", 0.5)),
        (Band(60, 2),),
    )
    cycle = Cycle(
        "2021",
        "2021-01-01",
        "2021-12-31",
        (Subject("Z1", "branch"),),
        (ScoreRow("Z1", "a", "", 61.79), ScoreRow("Z1", "b", "", 80)),
    )
    (result,) = evaluate(Definition((track,)), cycle)
    line = next(x for x in result.explanation if x.text.startswith("民主测评 61.79"))
    assert line.text.endswith("= 30.9") and line.points == 30.9


def test_a_rules_context_finds_rated_results_by_track_and_unit_in_subject_order():
    from zhibu.engine import Context, Definition, Result

    subjects = {
        code: Subject(code, kind, unit=unit)
        for code, kind, unit in (
            ("Z1", "branch", "DW"),
            ("M1", "member", "Z1"),
            ("Z2", "branch", "DW"),
            ("M2", "member", "Z2"),
            ("M3", "member", "Z1"),
            ("M4", "member", "Z1"),
        )
    }
    results = {code: Result(code, s.kind, s.kind) for code, s in subjects.items()}
    results["M4"].rated = False
    year = Cycle("2021", "2021-01-01", "2021-12-31", ())
    context = Context(year, Definition(()), results, subjects)

    def codes(found):
        return [r.subject for r in found]

    assert codes(context.rated()) == ["Z1", "M1", "Z2", "M2", "M3"]
    assert codes(context.rated("member")) == ["M1", "M2", "M3"]
    assert codes(context.members_of("Z1")) == ["M1", "M3"]
    assert codes(context.members_of("Z1", "member")) == ["M1", "M3"]
    assert codes(context.members_of("DW", "member")) == [] and context.rated("none") == []
    results["M1"].rated = False  # a rule unrates a result: the next call sees it
    assert codes(context.members_of("Z1", "member")) == ["M3"]
    subjects["M5"] = Subject("M5", "member", unit="Z1")
    results["M5"] = Result("M5", "member", "member")  # the set changed: indexed again
    assert codes(context.rated("member")) == ["M2", "M3", "M5"]


@pytest.mark.parametrize(
    "value", [0.0, -0.0, 90.0, 89.5, 2.345, -1.0, 1e-9, 100.0, 61.79, float("nan")]
)
def test_numbers_print_the_same_the_first_time_and_after(value):
    from zhibu.engine.numbers import _fmt, fmt

    assert fmt(value) == _fmt(value) and fmt(value) == _fmt(value)
    assert fmt(-0.0) == "-0" and fmt(0.0) == "0"  # one key to a dict, two texts


def test_numbers_printed_are_kept_up_to_a_bound(monkeypatch):
    from zhibu.engine import numbers

    monkeypatch.setattr(numbers, "SHOWN_KEPT", 3)
    monkeypatch.setattr(numbers, "_shown", {})
    shown = [numbers.fmt(v) for v in (1.5, 2.25, 3.0, 4.75, 1.5)]
    assert shown == ["1.5", "2.25", "3", "4.75", "1.5"]
    assert len(numbers._shown) <= 3
    numbers.fmt(float("nan"))
    assert not any(key != key for key in numbers._shown)  # NaN is never kept
