"""``zhibu scenario run FILE [--json]``: a scheme's test kit on the command line."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from zhibu.app import PLUGINS_KEY


@click.group("scenario")
def scenario_group() -> None:
    """Scenario files: a scheme's rules checked on a throwaway database."""


@scenario_group.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@with_appcontext
def run_command(file: Path, as_json: bool) -> None:
    """Load FILE into a fresh database, compute its cycle and print the results."""
    from zhibu.db import db
    from zhibu.evaluations.scenario import run_scenario, throwaway_app
    from zhibu.evaluations.scenario_file import ScenarioError, load_scenario, unmet

    try:
        scenario = load_scenario(file)
        with tempfile.TemporaryDirectory(prefix="zhibu-scenario-") as folder:
            app = throwaway_app(Path(folder))
            app.extensions[PLUGINS_KEY] = current_app.extensions[PLUGINS_KEY]  # same plugins
            try:
                results = run_scenario(scenario, app)
            finally:
                with app.app_context():
                    db.engine.dispose()
    except ScenarioError as exc:
        raise click.ClickException(f"{file.name}:\n  " + "\n  ".join(exc.problems)) from None
    click.echo(json.dumps(results, ensure_ascii=False, indent=2) if as_json else _table(results))
    expected = scenario.entries("expect")
    if expected:
        failed = unmet(scenario, results)
        if failed:
            raise click.ClickException(
                f"{file.name}: {len(failed)} of {len(expected)} "
                "expectations not met:\n  " + "\n  ".join(failed)
            )
        click.echo(f"{len(expected)} expectations met", err=True)


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
