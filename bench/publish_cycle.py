"""Benchmark: preview and publish (结果公示) the results of a city's cycle — 2,000 branches
and 60,000 members by default, as bench/recompute_cycle.py builds it — on PostgreSQL,
against merely reading the result rows a publication copies, and against the recompute.

    .venv/bin/python bench/publish_cycle.py [--branches 2000] [--per-branch 30] [--runs 5]

Each run reads the preview (counts, subjects without a total, the differences from the
newest version) and confirms it: a new version of the publication, every entry copied
(one multi-row insert), its differences from the version before computed. The baseline,
measured in the same run: reading the current set's result rows (the columns a
publication keeps). The figures end with the min / median / max of the runs and the
ratios to the read.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
from recompute_cycle import BENCH, build, cpu_reference, spread

from zhibu.app import create_app, plugin_registry
from zhibu.db import db
from zhibu.evaluations import compute, cycles, publication
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing import require_postgres, temporary_postgres_database


def read_results(cycle) -> tuple[float, int]:
    started = time.perf_counter()
    rows = publication._results(compute.current_set(cycle))
    return time.perf_counter() - started, len(rows)


def measure(cycle, figures: dict[str, list[float]]) -> None:
    read, count = read_results(cycle)
    db.session.rollback()
    started = time.perf_counter()
    seen = publication.preview(cycle, "publicity")
    previewed = time.perf_counter() - started
    db.session.rollback()
    started = time.perf_counter()
    made = publication.publish(
        cycle, "publicity", based_on=seen["based_on"], result_set_id=seen["result_set_id"]
    )
    published = time.perf_counter() - started
    print(
        f"  read {count} result rows {read:.2f} s; preview {previewed:.2f} s "
        f"({previewed / read:.1f}× the read); publish version {made.version} "
        f"{published:.2f} s ({published / read:.1f}× the read), "
        f"{len(made.changes)} differences"
    )
    figures["read"].append(read)
    figures["preview"].append(previewed)
    figures["publish"].append(published)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--per-branch", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5, help="publications, one version each")
    args = parser.parse_args()
    server = require_postgres()
    print(cpu_reference())
    with temporary_postgres_database(server) as url, tempfile.TemporaryDirectory() as folder:
        admin_url = (
            make_url(url)
            .set(username=make_url(server).username)
            .render_as_string(hide_password=False)
        )
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "ZHIBU_INSTANCE_PATH": folder, "SECRET_KEY": "bench"}
        )
        plugin_registry(app).schemes["bench"] = BENCH
        with app.app_context():
            upgrade(directory=str(Path(__file__).parents[1] / "migrations"))
        tenant_id, cycle_id = build(app, admin_url, args.branches, args.per_branch)
        with app.app_context(), use_scope(system_scope(username="bench")):
            cycle = cycles.get_cycle(tenant_id, cycle_id)
            started = time.perf_counter()
            result_set = compute.recompute(cycle)
            recompute = time.perf_counter() - started
            print(f"recompute (for reference): {result_set.subjects} results in {recompute:.2f} s")
            figures: dict[str, list[float]] = {"read": [], "preview": [], "publish": []}
            for run in range(1, args.runs + 1):
                print(f"run {run} of {args.runs}")
                measure(cycles.get_cycle(tenant_id, cycle_id), figures)
            print(f"over {args.runs} runs:")
            for key in ("read", "preview", "publish"):
                print(f"  {key}: {spread(figures[key])}")
            read = statistics.median(figures["read"])
            for key in ("preview", "publish"):
                print(
                    f"  median {key} / median read: {statistics.median(figures[key]) / read:.1f}×"
                )
            print(
                f"  median publish / the recompute: "
                f"{statistics.median(figures['publish']) / recompute:.2f}×"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the process: {peak:.0f} MiB")
        print(cpu_reference())


if __name__ == "__main__":
    main()
