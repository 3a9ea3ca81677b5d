"""The five_good scheme, through its scenario files, with only this plugin loaded
(``zhibu_plugins`` in pyproject.toml)."""

from pathlib import Path

import pytest

from zhibu.plugins import registry
from zhibu.testing import scenario_problems, scenario_report, uncited_rules

SCENARIOS_DIR = Path(__file__).parent / "scenarios"
SCENARIOS = sorted(SCENARIOS_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_scenario(path, zhibu_app):
    assert scenario_problems(path, zhibu_app) == []


def test_only_the_plugin_under_test_is_loaded(zhibu_app):
    loaded = registry(zhibu_app)
    assert set(loaded.schemes) == {"five_good"}
    assert loaded.org_kinds["station"].title == "站所"
    assert "village" in loaded.org_kinds  # the core's kinds come with the core


def test_every_rule_cites_its_seed(zhibu_app):
    assert uncited_rules(zhibu_app) == []


def test_the_publicity_lists_the_five_good_villages(zhibu_app):
    (table,) = scenario_report(SCENARIOS_DIR / "villages.yaml", "core.publicity", zhibu_app)
    assert [(row["name"], row["unit"]) for row in table.rows] == [("东村党支部", "城关镇党委")]
