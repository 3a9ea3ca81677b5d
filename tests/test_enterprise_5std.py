"""enterprise_5std, part two (star upgrading): every scenario under
tests/scenarios/enterprise_5std meets its expectations, on SQLite and PostgreSQL."""

from pathlib import Path

import pytest

from zhibu.evaluations.scenario import run_scenario
from zhibu.evaluations.scenario_file import load_scenario, unmet

SCENARIOS = sorted((Path(__file__).parent / "scenarios" / "enterprise_5std").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(app, path):
    scenario = load_scenario(path)
    assert scenario.entries("expect"), f"{path.name} checks nothing"
    assert unmet(scenario, run_scenario(scenario, app)) == []


def test_targets_follow_the_seeds_years():
    from enterprise_5std import SCHEME
    from zhibu.engine import Result, measure

    results = [
        Result(f"Z{i}", "branch", "organization", stars=s) for i, s in enumerate((5, 5, 4, 3))
    ]
    five, three = measure(SCHEME.targets, "2015", results)
    assert (five.target, five.actual, five.met) == (0.7, 0.5, False)
    assert (three.target, three.actual, three.met) == (0.0, 0.25, False)
    assert measure(SCHEME.targets, "2013", results)[0].met is True
