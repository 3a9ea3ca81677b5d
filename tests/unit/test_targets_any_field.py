"""Issue 24, point 5: targets over any result field — a star share, a grade share, a
title share — and over the results that have a level of either kind, so a graded or
pass/fail scheme measures its targets as a starred one does."""

import pytest

from zhibu.engine import Result, Target, measure


def result(code, *, stars=None, grade=None, titles=(), rated=True, track="t"):
    return Result(code, "branch", track, rated, 80.0, stars, grade, list(titles))


GRADED = [
    result("A", grade="excellent", titles=["model"]),
    result("B", grade="qualified"),
    result("C", grade="unqualified"),
    result("D", grade="qualified"),
    result("E", grade=None),  # a source missing: no level, not counted
    result("F", grade="qualified", rated=False),  # exempt
    result("G", grade="excellent", track="other"),
]


def test_a_grade_share_is_measured_over_the_graded_results():
    (status,) = measure(
        [Target("ex", "优秀占比", "t", {"2021": 0.25}, grade="excellent")], "2021", GRADED
    )
    assert (status.count, status.rated, status.actual, status.met) == (1, 4, 0.25, True)


def test_a_ceiling_on_a_grade_share():
    target = Target("none_bad", "不合格占比", "t", {"2021": 0.0}, grade="unqualified", at_most=True)
    (status,) = measure([target], "2021", GRADED)
    assert (status.count, status.rated, status.met) == (1, 4, False)


def test_a_title_share_in_a_graded_scheme():
    (status,) = measure(
        [Target("m", "样板占比", "t", {"2021": 0.5}, title_key="model")], "2021", GRADED
    )
    assert (status.count, status.rated, status.met) == (1, 4, False)


def test_a_star_share_is_as_before():
    starred = [result("A", stars=5), result("B", stars=4), result("C", stars=None)]
    (status,) = measure([Target("five", "五星占比", "t", {"2021": 0.5}, stars=5)], "2021", starred)
    assert (status.count, status.rated, status.actual, status.met) == (1, 2, 0.5, True)


def test_a_target_names_exactly_one_field():
    with pytest.raises(ValueError, match="exactly one"):
        Target("x", "x", "t", {"2021": 0.5})
    with pytest.raises(ValueError, match="exactly one"):
        Target("x", "x", "t", {"2021": 0.5}, stars=5, grade="excellent")
