"""Benchmark: generate the full report set of a cycle of 2,000 branches and 60,000
members on PostgreSQL, as the reports job does (``zhibu.reports.store.generate_all``).

    .venv/bin/python bench/report_set.py [--branches 2000] [--per-branch 30]

The data is ``bench/recompute_cycle.py``'s (monthly member scores, three plain branch
scores), plus what the reports read beyond totals: an inspection sheet per branch scored
on a ten-indicator rubric with deductions and their reasons, a rectification item for
every tenth branch, and two targets. Row-level security is on, as in production.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date
from itertools import pairwise
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from recompute_cycle import BENCH, build, copy_rows
from recompute_cycle import define as bench_define
from sqlalchemy.engine import make_url

from zhibu.app import create_app, plugin_registry
from zhibu.engine import Indicator, Rubric, Source, Target
from zhibu.evaluations import compute, cycles
from zhibu.reports.store import generate_all
from zhibu.tenancy import Scope, system_scope, use_scope
from zhibu.testing import require_postgres, temporary_postgres_database

CATEGORIES = ("组织建设", "组织生活", "党员管理", "基础保障")
INSPECTION = Rubric(
    "inspection",
    "支部工作检查表",
    tuple(
        Indicator(f"C{n + 1:02d}", f"检查项目{n + 1}", 10, "deduction", CATEGORIES[n % 4])
        for n in range(10)
    ),
)
REASONS = ("会议记录不全", "学习计划缺失", "党费收缴不及时", "台账不规范", "公开栏未更新")


def define(settings):
    base = bench_define(settings)
    branch, member = base.tracks
    sources = (
        Source("democratic", "民主测评", 0.3),
        Source("assessment_team", "考核组", 0.4),
        Source("superior", "上级评价", 0.1),
        Source("inspection", "支部工作检查", 0.2, rubric="inspection"),
    )
    return replace(base, tracks=(replace(branch, sources=sources), member), rubrics=(INSPECTION,))


SCHEME = replace(
    BENCH,
    define=define,
    targets=(
        Target("five_star_branches", "五星支部占比", "branch", {"2021": 0.3}, stars=5),
        Target("five_star_members", "五星党员占比", "member", {"2021": 0.2}, stars=5),
    ),
)


def add_inspections(admin_url: str, tenant_id, cycle_id) -> int:
    """An inspection sheet per branch with 0–4 deductions, and an item for every tenth."""
    rng = random.Random(11)
    raw = psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        branches = [
            row[0]
            for row in raw.execute(
                "SELECT id FROM org_units WHERE tenant_id = %s AND kind = 'branch' ORDER BY code",
                (tenant_id,),
            )
        ]
        sheets, items, ledger = [], [], []
        for n, branch in enumerate(branches):
            sheet = uuid.uuid4()
            sheets.append((tenant_id, sheet, cycle_id, "org", branch, "inspection", "检查组", ""))
            for code in rng.sample([i.code for i in INSPECTION.indicators], rng.randint(0, 4)):
                reason = rng.choice(REASONS)
                items.append(
                    (tenant_id, uuid.uuid4(), sheet, code, "deduction", rng.randint(1, 5), reason)
                )
                if n % 10 == 0 and len(ledger) * 10 <= n:
                    ledger.append(
                        (
                            tenant_id,
                            uuid.uuid4(),
                            branch,
                            cycle_id,
                            "deduction",
                            code,
                            f"{code}:{reason}",
                            "逐项整改",
                            "支部书记",
                            date(2022, 3, 31),
                            "open",
                        )
                    )
        columns = [
            "tenant_id",
            "id",
            "cycle_id",
            "subject_kind",
            "subject_id",
            "source",
            "rater",
            "period",
        ]
        copy_rows(raw, "score_sheets", columns, sheets)
        copy_rows(
            raw,
            "score_items",
            ["tenant_id", "id", "sheet_id", "indicator", "kind", "points", "reason"],
            items,
        )
        columns = [
            "tenant_id",
            "id",
            "org_id",
            "cycle_id",
            "origin",
            "origin_ref",
            "issue",
            "measure",
            "responsible",
            "deadline",
            "status",
        ]
        copy_rows(raw, "rectification_items", columns, ledger)
        raw.commit()
        return len(items)
    finally:
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--per-branch", type=int, default=30)
    args = parser.parse_args()
    server = require_postgres()
    with temporary_postgres_database(server) as url, tempfile.TemporaryDirectory() as folder:
        admin_url = (
            make_url(url)
            .set(username=make_url(server).username)
            .render_as_string(hide_password=False)
        )
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "ZHIBU_INSTANCE_PATH": folder, "SECRET_KEY": "bench"}
        )
        plugin_registry(app).schemes["bench"] = SCHEME
        with app.app_context():
            upgrade(directory=str(Path(__file__).parents[1] / "migrations"))
        started = time.perf_counter()
        tenant_id, cycle_id = build(app, admin_url, args.branches, args.per_branch)
        deductions = add_inspections(admin_url, tenant_id, cycle_id)
        with app.app_context(), use_scope(system_scope(username="bench")):
            compute.recompute(cycles.get_cycle(tenant_id, cycle_id))
        print(
            f"setup: {args.branches} branches, {args.branches * args.per_branch} members, "
            f"{deductions} deductions, recomputed, in {time.perf_counter() - started:.1f} s"
        )
        steps: list[tuple[float, str]] = []

        def progress(done: int, total: int, step: str) -> None:
            steps.append((time.perf_counter(), step))

        with (
            app.app_context(),
            use_scope(Scope.for_tenants([tenant_id], [tenant_id], username="bench")),
        ):
            started = time.perf_counter()
            stored = generate_all(tenant_id, cycle_id, progress)
            took = time.perf_counter() - started
        for (at, step), (following, _) in pairwise(steps):
            print(f"  {following - at:6.2f} s  {step}")
        size = sum(f["size"] for f in stored) / 2**20
        print(f"full report set: {len(stored)} files ({size:.1f} MiB) in {took:.2f} s")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
