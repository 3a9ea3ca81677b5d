"""Scenario files in a plugin's tests: each on a throwaway database of its own.

from zhibu.testing import run_scenario, scenario_problems, scenario_report

def test_quota():
    assert scenario_problems("tests/scenarios/quota.yaml") == []

def test_the_roll_lists_the_five_star_branches():
    (table,) = scenario_report("tests/scenarios/quota.yaml", "my_scheme.roll")
    assert [row["name"] for row in table.rows] == ["第一党支部"]
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from zhibu.db import db
from zhibu.evaluations import scenario as runner
from zhibu.evaluations.scenario_file import Scenario, load_scenario
from zhibu.reports.table import ReportTable


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def run_scenario(scenario: Scenario | str | Path, app: Flask | None = None) -> list[dict[str, Any]]:
    """The results of a scenario (a :class:`Scenario` or the path of its file), computed
    in ``app``, or without one on a throwaway SQLite database with every installed plugin.

    :raises ScenarioError: listing every refusal, each naming its line and subject.
    """
    if app is not None:
        return runner.run_scenario(_scenario(scenario), app)
    with throwaway() as made:
        return runner.run_scenario(_scenario(scenario), made)


def scenario_problems(scenario: Scenario | str | Path, app: Flask | None = None) -> list[str]:
    """What the scenario's ``expect`` and ``expect_refusal`` find wrong (empty: all met),
    in ``app`` or on a throwaway database, as :func:`run_scenario`."""
    if app is not None:
        return runner.check_scenario(_scenario(scenario), app)
    with throwaway() as made:
        return runner.check_scenario(_scenario(scenario), made)


def scenario_report(
    scenario: Scenario | str | Path, key: str, app: Flask | None = None, personal: bool = True
) -> list[ReportTable]:
    """The tables of the report ``key`` (``core.stars``, a builder of your plugin …) built on
    the scenario's cycle once computed, in ``app`` or on a throwaway database, as the
    reports page builds it: each table's ``rows`` are dicts by column key. Without
    ``personal`` it is built as an overseer reads it (units only).

    :raises ScenarioError: as :func:`run_scenario`.
    :raises NotFound: if no builder of that key serves the scenario's scheme.
    """
    from zhibu.reports import service

    def build(cycle) -> list[ReportTable]:
        return service.build(cycle, key, personal=personal)[0]

    if app is not None:
        return runner.on_scenario_cycle(_scenario(scenario), app, build)
    with throwaway() as made:
        return runner.on_scenario_cycle(_scenario(scenario), made, build)


@contextmanager
def throwaway() -> Iterator[Flask]:
    """An app on a fresh SQLite database in a temporary folder, removed afterwards."""
    from zhibu.evaluations.cli import throwaway_app

    with tempfile.TemporaryDirectory(prefix="zhibu-scenario-") as folder:
        app = throwaway_app(Path(folder))
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
