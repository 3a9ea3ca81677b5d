"""akesu_college: each rule function on its own, the settings, and the seed citations."""

import pytest

from akesu_college import SCHEME
from akesu_college import rules as akesu
from zhibu.engine import Cycle, Incident, Past, ScoreRow, Subject, evaluate, measure

SETTINGS = SCHEME.resolve_settings({})


def run(subjects, scores, incidents=(), history=(), rules=None, **overrides):
    settings = SCHEME.resolve_settings(overrides)
    definition = SCHEME.definition(settings)
    if rules is not None:  # one rule alone
        from dataclasses import replace

        definition = replace(definition, rules=tuple(rules))
    cycle = Cycle(
        "2021",
        "2021-01-01",
        "2021-12-31",
        tuple(subjects),
        tuple(scores),
        tuple(incidents),
        history=tuple(history),
        previous=("2020", "2019"),
        settings=settings,
    )
    return {r.subject: r for r in evaluate(definition, cycle)}


def branch(code, total, members=()):
    subjects = [Subject(code, "branch", unit="DW")]
    rows = [ScoreRow(code, s, score=total) for s in ("democratic", "assessment_team", "superior")]
    for name, score in members:
        subjects.append(Subject(name, "member", unit=code))
        rows += [
            ScoreRow(name, "democratic", score=score),
            ScoreRow(name, "committee", score=score),
        ]
    return subjects, rows


def test_veto_cancels_the_rating():
    subjects, rows = branch("Z1", 95)
    out = run(
        subjects, rows, [Incident("Z1", "veto.dereliction", "2021-02-02")], rules=[akesu.veto]
    )
    assert out["Z1"].stars is None and out["Z1"].flags == ["vetoed"]


def test_member_quota_uses_the_democratic_score_for_ties():
    members = [("M1", 95), ("M2", 95), ("M3", 95), ("M4", 95)] + [(f"X{i}", 80) for i in range(6)]
    subjects, rows = branch("Z1", 95, members)
    rows = [
        r._replace(score=96) if (r.subject, r.source) == ("M4", "democratic") else r for r in rows
    ]
    rows = [
        r._replace(score=93.5) if (r.subject, r.source) == ("M4", "committee") else r for r in rows
    ]  # M4: 96 × 0.6 + 93.5 × 0.4 = 95, with the best 民主测评
    out = run(subjects, rows, rules=[akesu.member_quota])
    assert out["M4"].stars == 5
    demoted = [c for c in ("M1", "M2", "M3") if "quota_demoted" in out[c].flags]
    assert demoted == [] and all("quota_tie" in out[c].flags for c in ("M1", "M2", "M3"))


def test_model_branch_needs_twenty_percent_five_star_members():
    subjects, rows = branch("Z1", 92, [("M1", 91), ("M2", 80), ("M3", 80), ("M4", 80), ("M5", 80)])
    assert run(subjects, rows, rules=[akesu.model_branch])["Z1"].titles == ["model_branch"]
    subjects, rows = branch("Z1", 92, [("M1", 91)] + [(f"M{i}", 80) for i in range(2, 7)])
    assert run(subjects, rows, rules=[akesu.model_branch])["Z1"].titles == []


def test_model_recheck_revokes_a_named_branch_under_90():
    named = [Past("2020", "Z1", stars=5, total=93, titles=("model_branch",))]
    subjects, rows = branch("Z1", 89.99)
    out = run(subjects, rows, history=named, rules=[akesu.model_recheck])
    assert out["Z1"].flags == ["model_branch_revoked"]
    subjects, rows = branch("Z1", 90)
    assert run(subjects, rows, history=named, rules=[akesu.model_recheck])["Z1"].flags == []


def test_model_two_under_90():
    history = [
        Past("2019", "Z1", stars=5, total=93, titles=("model_branch",)),
        Past("2020", "Z1", stars=4, total=89),
    ]
    subjects, rows = branch("Z1", 85)
    out = run(subjects, rows, history=history, rules=[akesu.model_two_under_90])
    assert out["Z1"].actions == ["interview_general_branch_secretary", "adjust_branch_secretary"]
    never_named = [Past("2020", "Z1", stars=4, total=89)]
    assert (
        run(subjects, rows, history=never_named, rules=[akesu.model_two_under_90])["Z1"].actions
        == []
    )


@pytest.mark.parametrize(("total", "plan"), [(69.99, True), (70, False)])
def test_rectification_plan_at_two_stars_or_fewer(total, plan):
    subjects, rows = branch("Z1", total)
    actions = run(subjects, rows, rules=[akesu.rectification_plan])["Z1"].actions
    assert actions == (["rectification_plan"] if plan else [])


def test_two_low_years_for_branches_and_members():
    subjects, rows = branch("Z1", 65, [("M1", 65)])
    history = [Past("2020", "Z1", stars=2), Past("2020", "M1", stars=1)]
    out = run(
        subjects,
        rows,
        history=history,
        rules=[akesu.two_low_years_branch, akesu.two_low_years_member],
    )
    assert out["Z1"].actions == ["interview_general_branch_secretary", "adjust_branch_secretary"]
    assert out["M1"].flags == ["unqualified_member"]


def test_aspects_must_add_up_to_100():
    with pytest.raises(ValueError, match="branch_points: the aspects must add up to 100"):
        SCHEME.definition(SCHEME.resolve_settings({"branch_points.A1": 20}))
    settings = SCHEME.resolve_settings({"branch_points.A1": 20, "branch_points.A8": 5})
    assert SCHEME.definition(settings).rubric("akesu.branch").indicator("A1").max_points == 20


def test_targets_by_year_and_default_deadlines():
    subjects, rows = branch("Z1", 92, [("M1", 91)] + [(f"M{i}", 80) for i in range(2, 6)])
    subjects2, rows2 = branch("Z2", 85)
    results = evaluate(
        SCHEME.definition(SETTINGS),
        Cycle(
            "2021",
            "2021-01-01",
            "2021-12-31",
            tuple(subjects + subjects2),
            tuple(rows + rows2),
            settings=SETTINGS,
        ),
    ).copy()
    (status,) = measure(SCHEME.targets, "2021", results)
    assert (status.target, status.actual, status.met) == (0.7, 0.5, False)
    assert SCHEME.deadlines("2021")["self_assessment"] == "2021-11-30"
    assert SCHEME.deadlines("2021")["final"] == "2022-01-31"
