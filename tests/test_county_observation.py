"""county_observation: every scenario under tests/scenarios/county_observation meets its
expectations (SQLite and PostgreSQL); refused sheets name the line; each rule alone."""

from pathlib import Path

import pytest

from zhibu.evaluations.scenario import run_scenario
from zhibu.evaluations.scenario_file import ScenarioError, load_scenario, parse_scenario, unmet

SCENARIOS = sorted((Path(__file__).parent / "scenarios" / "county_observation").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(app, path):
    scenario = load_scenario(path)
    assert scenario.entries("expect"), f"{path.name} checks nothing"
    assert unmet(scenario, run_scenario(scenario, app)) == []


def village(*deductions, line=9):
    return {
        "scheme": "county_observation",
        "period": "2021Q3",
        "orgs": [
            {"code": "T1", "name": "城关镇", "kind": "township", "__line__": 4},
            {"code": "V1", "name": "东关村", "kind": "village", "parent": "T1", "__line__": 5},
        ],
        "scores": [
            {
                "subject": "V1",
                "source": "observer",
                "rater": "R1",
                "deductions": list(deductions),
                "__line__": line,
            }
        ],
    }


@pytest.mark.parametrize(
    ("deduction", "message"),
    [
        (
            {"item": "A5", "points": 3, "reason": "超出"},
            "A5 的扣分合计 3 分,超过该项满分 2 分",
        ),
        ({"item": "A5", "points": 1, "reason": ""}, "扣分项 A5 未注明扣分原因"),
        ({"item": "C12", "points": 1, "reason": "无此项"}, "扣分的条目 C12 不在评分细则中"),
    ],
)
def test_refused_deductions_name_the_line(app, deduction, message):
    with pytest.raises(ScenarioError) as excinfo:
        run_scenario(parse_scenario(village(deduction)), app)
    assert any(p.startswith("line 9 (V1)") and message in p for p in excinfo.value.problems)


def test_a_township_is_not_rated_outside_the_county_round(app):
    results = run_scenario(parse_scenario(village({"item": "A5", "points": 1, "reason": "x"})), app)
    assert [r["subject"] for r in results] == ["V1"]
