"""dujiangyan_quantified: every scenario under tests/scenarios/dujiangyan_quantified meets
its expectations (on SQLite and PostgreSQL); the rubrics and settings on their own; and
what the scenario runner refuses."""

from pathlib import Path

import pytest

from dujiangyan_quantified import SCHEME
from dujiangyan_quantified.rubrics import BRANCH_TYPES, branch_rubric, member_rubric
from dujiangyan_quantified.scheme import branch_kinds
from zhibu.evaluations.scenario import run_scenario
from zhibu.evaluations.scenario_file import ScenarioError, load_scenario, parse_scenario, unmet
from zhibu.testing import run_scenario as run_throwaway

SCENARIOS = sorted((Path(__file__).parent / "scenarios" / "dujiangyan_quantified").glob("*.yaml"))
DEFAULTS = SCHEME.resolve_settings({})


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(app, path):
    scenario = load_scenario(path)
    assert scenario.entries("expect"), f"{path.name} checks nothing"
    results = run_scenario(scenario, app)
    assert unmet(scenario, results) == []


def test_every_branch_type_has_its_own_sheet_of_32_lines_and_100_points():
    sheets = {t: branch_rubric(t, DEFAULTS) for t in BRANCH_TYPES}
    for sheet in sheets.values():
        assert len(sheet.indicators) == 32  # "30余项考核指标"
        assert sheet.max_points == pytest.approx(100)
        assert [i.category for i in sheet.indicators][::8] == [
            "组织建设",
            "制度建设",
            "支部活动",
            "作用发挥",
        ]
        assert all(i.mode == "deduction" for i in sheet.indicators)
    titles = {t: {i.code: i.title for i in s.indicators} for t, s in sheets.items()}
    assert len({titles[t]["D4"] for t in BRANCH_TYPES}) == 4, "作用发挥 differs by type"
    assert len({titles[t]["B1"] for t in BRANCH_TYPES}) == 1, "shared lines are shared"


def test_the_member_sheet_has_50_lines_under_the_four_standards():
    sheet = member_rubric(DEFAULTS)
    assert len(sheet.indicators) == 50  # "50條左右"
    assert sheet.max_points == pytest.approx(100)
    assert {i.category for i in sheet.indicators} == {
        "讲政治、有信念",
        "讲规矩、有纪律",
        "讲道德、有品行",
        "讲奉献、有作为",
    }
    assert sheet.brief, "a month's untouched lines are explained in one line"


def test_aspect_points_scale_their_lines_and_must_make_100():
    settings = SCHEME.resolve_settings({"points.rural.D": 35, "points.rural.A": 15})
    sheet = branch_rubric("rural", settings)
    assert sheet.indicator("D4").max_points == pytest.approx(4 * 35 / 25)
    assert sheet.indicator("A8").max_points == pytest.approx(4 * 15 / 25)
    with pytest.raises(ValueError, match="add up to 100"):
        SCHEME.definition(SCHEME.resolve_settings({"points.organ.D": 30}))
    with pytest.raises(ValueError, match="add up to 100"):
        SCHEME.definition(SCHEME.resolve_settings({"member_points.P": 30}))


def test_band_lines_must_descend():
    with pytest.raises(ValueError, match="above the next"):
        SCHEME.definition(SCHEME.resolve_settings({"four_star_from": 95}))
    with pytest.raises(ValueError, match="above the next"):
        SCHEME.definition(SCHEME.resolve_settings({"warning_from": 70}))


def test_which_kinds_each_sheet_rates():
    kinds = branch_kinds(DEFAULTS)
    assert kinds["rural"] == ("village",)
    assert kinds["two_new"] == ("two_new", "enterprise")
    assert "branch" in kinds["organ"]
    assert "branch" in branch_kinds({"plain_branch_type": "rural"})["rural"]
    definition = SCHEME.definition(DEFAULTS)
    rated = {k for t in definition.tracks for k in t.subject_kinds}
    assert {"committee", "general_branch", "township", "party_group"}.isdisjoint(rated)


def test_weights_follow_the_seed():
    definition = SCHEME.definition(DEFAULTS)
    village = definition.track_of_kind("village")
    assert {s.key: s.weight for s in village.sources} == {"quantified": 0.6, "satisfaction": 0.4}
    member = definition.track_of_kind("member")
    weights = {s.key: s.weight for s in member.sources}
    assert weights == {"monthly": pytest.approx(0.8), "annual": pytest.approx(0.2)}
    assert member.source("monthly").periodic


def test_the_months_share_is_the_seeds_80_percent_whatever_the_tenant_adjusts():
    """ "日常考評情況按80%比例折算計入個人年度考評得分": no setting moves the months off 80 %
    (nor the year-end appraisal off the 20 % that remains)."""
    with pytest.raises(ValueError, match="annual_share: not an adjustable setting"):
        SCHEME.resolve_settings({"annual_share": 0.3})
    assert not [s.key for s in SCHEME.settings if "share" in s.key]
    adjusted = SCHEME.resolve_settings({"excellent_from": 85, "minimum_months": 3})
    member = SCHEME.definition(adjusted).track_of_kind("member")
    assert {s.key: s.weight for s in member.sources} == {"monthly": 0.8, "annual": 0.2}


BASE = {
    "scheme": "dujiangyan_quantified",
    "period": "2021",
    "orgs": [
        {"code": "SW", "name": "市委", "kind": "committee"},
        {"code": "V1", "name": "村党支部", "kind": "village", "parent": "SW"},
    ],
    "members": [{"code": "M1", "name": "党员", "org": "V1"}],
}


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ({"subject": "M1", "source": "monthly", "score": 90}, "按月录入,请选择月份"),
        (
            {
                "subject": "M1",
                "source": "monthly",
                "period": "2021-02",
                "deductions": [{"item": "R02", "points": 1}],
            },
            "未注明扣分原因",
        ),
        (
            {"subject": "M1", "source": "monthly", "period": "2021-02", "items": {"Z09": 1}},
            "评分细则中没有条目 Z09",
        ),
        ({"subject": "V1", "source": "monthly", "period": "2021-02", "score": 90}, "不给村评分"),
        (
            {"subject": "V1", "source": "quantified", "items": {"D4": 5}},
            "满分 4 分,填了 5 分",
        ),
    ],
    ids=["no-period", "no-reason", "unknown-item", "wrong-subject", "over-max"],
)
def test_refused_rows_name_the_line(score, message):
    doc = dict(BASE, scores=[dict(score, __line__=9)])
    with pytest.raises(ScenarioError, match=message) as refused:
        run_throwaway(parse_scenario(doc))
    assert "line 9" in str(refused.value)
