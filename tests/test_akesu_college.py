"""akesu_college: every scenario under tests/scenarios/akesu_college meets its
expectations (on SQLite and PostgreSQL), and each rule function on its own."""

from pathlib import Path

import pytest

from zhibu.evaluations.scenario import run_scenario
from zhibu.evaluations.scenario_file import load_scenario, unmet

SCENARIOS = sorted((Path(__file__).parent / "scenarios" / "akesu_college").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(app, path):
    scenario = load_scenario(path)
    assert scenario.entries("expect"), f"{path.name} checks nothing"
    results = run_scenario(scenario, app)
    assert unmet(scenario, results) == []
