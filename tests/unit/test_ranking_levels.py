"""Issue 24, point 5: every ranking follows the levels the scheme declares first — stars,
grades or a pass/fail standard alike — then the total: a subject a rule lowered or failed
never ranks above one at a higher level; those without a total come last, unplaced. The
pass/fail track is shaped like examples/five_good's (grades only, no bands)."""

from zhibu.engine import Band, Definition, Result, Track
from zhibu.engine import rules as r
from zhibu.reports import core

STARS = Track(
    "branch", "支部", ("branch",), (), (Band(90, 5), Band(80, 4), Band(70, 3)), Band(0, 1)
)
PASS_FAIL = Track("village", "村", ("village",), (), (), grades=("five_good", "not_yet"))
GRADES = Track(
    "township",
    "乡镇",
    ("township",),
    (),
    (Band(85, grade="advanced"), Band(70, grade="standard")),
    Band(0, grade="lagging"),
)


def test_each_track_declares_its_levels_best_first():
    assert STARS.levels == ((5, None), (4, None), (3, None), (1, None))
    assert PASS_FAIL.levels == ((None, "five_good"), (None, "not_yet"))
    assert GRADES.levels == ((None, "advanced"), (None, "standard"), (None, "lagging"))
    assert STARS.level_place(4, None) == 1 and STARS.level_place(None, None) == 4
    assert PASS_FAIL.level_place(None, "not_yet") == 1
    assert PASS_FAIL.level_place(None, "unheard_of") == 2  # undeclared: after every level


def _row(code, track, total, stars=None, grade=None, rated=True):
    return {
        "code": code,
        "track": track,
        "rated": rated,
        "total": total,
        "stars": stars,
        "grade": grade,
    }


def test_a_pass_fail_scheme_ranks_those_meeting_the_standard_first():
    """Like five_good: a village that did not meet its standards (not_yet) with the best
    inspection score ranks after every village that met them."""
    rows = [
        _row("V1", "village", 98.0, grade="not_yet"),
        _row("V2", "village", 81.0, grade="five_good"),
        _row("V3", "village", 90.0, grade="five_good"),
        _row("V4", "village", None, grade=None),  # no inspection: last, unplaced
        _row("V5", "village", 81.0, grade="five_good"),
    ]
    ranked = core.ranked(rows, Definition((PASS_FAIL,)))
    assert [(place, row["code"]) for place, row in ranked] == [
        (1, "V3"),
        (2, "V2"),
        (2, "V5"),
        (4, "V1"),
        (None, "V4"),
    ]
    # without the scheme's levels (the old ordering) the failed village came first
    assert core.ranked(rows)[0][1]["code"] == "V1"


def test_stars_a_rule_took_away_rank_below_the_higher_stars():
    rows = [
        _row("B1", "branch", 95.0, stars=4),  # 5★ by its total, lowered by a rule
        _row("B2", "branch", 91.0, stars=5),
        _row("B3", "branch", 60.0, stars=None),  # vetoed: no level, after every level
        _row("B4", "branch", 72.0, stars=3),
    ]
    ranked = core.ranked(rows, Definition((STARS,)))
    assert [row["code"] for _place, row in ranked] == ["B2", "B1", "B4", "B3"]


def test_rank_within_orders_by_the_declared_grade_then_the_total():
    results = [
        Result("T1", "township", "township", total=92.0, grade="lagging"),
        Result("T2", "township", "township", total=81.5, grade="standard"),
        Result("T3", "township", "township", total=77.0, grade="standard"),
        Result("T4", "township", "township", total=77.0, grade="standard"),
        Result("T5", "township", "township", total=None, grade=None),
    ]
    r.rank_within(results, "全县", rule="test.rank", definition=Definition((GRADES,)))
    assert [x.rank for x in results] == [4, 1, 2, 2, None]
    plain = [Result("T1", "township", "township", total=92.0, grade="lagging")]
    plain.append(Result("T2", "township", "township", total=81.5, grade="standard"))
    r.rank_within(plain, "全县", rule="test.rank")  # no definition: by total alone
    assert [x.rank for x in plain] == [1, 2]
