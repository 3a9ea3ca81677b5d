"""The five_good scheme, through its scenario files, with only this plugin loaded
(``zhibu_plugins`` in pyproject.toml)."""

from pathlib import Path

import pytest

from zhibu.plugins import registry
from zhibu.testing import scenario_problems

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_scenario(path, zhibu_app):
    assert scenario_problems(path, zhibu_app) == []


def test_only_the_plugin_under_test_is_loaded(zhibu_app):
    loaded = registry(zhibu_app)
    assert set(loaded.schemes) == {"five_good"}
    assert loaded.org_kinds["station"].title == "站所"
    assert "village" in loaded.org_kinds  # the core's kinds come with the core
