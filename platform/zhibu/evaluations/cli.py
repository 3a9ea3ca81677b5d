"""``zhibu scenario run FILE [--json]``: a scheme's test kit on the command line."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from zhibu import plugins


@click.group("scenario")
def scenario_group() -> None:
    """Scenario files: a scheme's rules checked on a throwaway database."""


@scenario_group.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@with_appcontext
def run_command(file: Path, as_json: bool) -> None:
    """Load FILE into a fresh database, compute its cycle and print the results."""
    from zhibu.evaluations.scenario_file import ScenarioError, load_scenario

    try:
        scenario = load_scenario(file)
    except ScenarioError as exc:
        raise click.ClickException(f"{file.name}:\n  " + "\n  ".join(exc.problems)) from None
    try:
        results = _run(scenario)
    except ScenarioError as exc:
        _refused(file, scenario, exc.problems)
        return
    click.echo(json.dumps(results, ensure_ascii=False, indent=2) if as_json else _table(results))
    _check(file, scenario, results)


def _run(scenario) -> list[dict]:
    """The scenario's results, computed on a throwaway database with this app's plugins."""
    from zhibu.db import db
    from zhibu.evaluations.scenario import run_scenario

    with tempfile.TemporaryDirectory(prefix="zhibu-scenario-") as folder:
        app = throwaway_app(Path(folder))
        app.extensions[plugins.EXTENSION] = plugins.registry(current_app)  # same plugins
        try:
            return run_scenario(scenario, app)
        finally:
            with app.app_context():
                db.engine.dispose()


def _refused(file: Path, scenario, problems: list[str]) -> None:
    """A refusal: what the scenario expected (``expect_refusal``), or an error."""
    from zhibu.evaluations.scenario_file import unmet_refusal

    wrong = unmet_refusal(scenario, problems)
    if wrong:
        raise click.ClickException(f"{file.name}:\n  " + "\n  ".join(wrong))
    click.echo("\n".join(problems))
    click.echo("refused, as expected", err=True)


def _check(file: Path, scenario, results: list[dict]) -> None:
    from zhibu.evaluations.scenario_file import unmet

    expected = scenario.entries("expect") + (scenario.doc.get("expect_refusal") or [])
    if not expected:
        return
    failed = unmet(scenario, results)
    if failed:
        raise click.ClickException(
            f"{file.name}: {len(failed)} of {len(expected)} "
            "expectations not met:\n  " + "\n  ".join(failed)
        )
    click.echo(f"{len(expected)} expectations met", err=True)


def throwaway_app(folder: Path):
    """An app of its own on a fresh SQLite database in ``folder``, migrated: where a
    scenario is loaded, computed and thrown away."""
    from flask_migrate import upgrade

    from zhibu.app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'scenario.sqlite3'}",
            "ZHIBU_INSTANCE_PATH": str(folder),
            "SECRET_KEY": "scenario",
        }
    )
    with app.app_context():
        upgrade()
    return app


def _table(results: list[dict]) -> str:
    header = ("subject", "kind", "total", "stars", "grade", "titles", "flags", "actions")
    rows = [header] + [
        (
            r["subject"],
            r["subject_kind"],
            _show(r["total"]),
            _show(r["stars"]),
            _show(r["grade"]),
            ",".join(r["titles"]),
            ",".join(r["flags"]),
            ",".join(r["actions"]),
        )
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _show(value) -> str:
    return "-" if value is None else str(value)
