"""Benchmark: generate the full report set of a cycle of 2,000 branches and 60,000
members on PostgreSQL as a background job: enqueued on the local Redis, run by a real
``zhibu worker`` process, its progress polled from here and printed as it goes.

    .venv/bin/python bench/report_set.py [--branches 2000] [--per-branch 30] [--inline]

``--inline`` runs the same job in this process instead (no Redis needed).

The data is ``bench/recompute_cycle.py``'s (monthly member scores, three plain branch
scores), plus what the reports read beyond totals: an inspection sheet per branch scored
on a ten-indicator rubric with deductions and their reasons, a rectification item for
every tenth branch, and two targets. Row-level security is on, as in production.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from recompute_cycle import BENCH, build, copy_rows
from recompute_cycle import define as bench_define
from sqlalchemy.engine import make_url

from zhibu.app import create_app, plugin_registry
from zhibu.engine import Indicator, Rubric, Source, Target
from zhibu.evaluations import compute, cycles
from zhibu.jobs import enqueue, fetch, tasks
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing import require_postgres, require_redis, temporary_postgres_database

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


PLUGIN = "report_set_bench"


def install_scheme(folder: str) -> str:
    """Make the bench scheme a plugin a worker process loads (an entry point, as a third
    party installs one); returns the folder to put on the worker's PYTHONPATH."""
    site = Path(folder) / "site"
    dist = site / f"{PLUGIN}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PLUGIN}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[zhibu.plugins]\nbench = {PLUGIN}\n")
    (site / f"{PLUGIN}.py").write_text(
        "from report_set import SCHEME\nfrom zhibu.plugins import hookimpl\n\n"
        "@hookimpl\ndef zhibu_schemes():\n    return [SCHEME]\n"
    )
    return str(site)


def run_worker(app, url: str, folder: str, job_id: str):
    """A ``zhibu worker --burst`` process runs the job; its progress is printed as the
    worker saves it in the job's meta."""
    paths = [install_scheme(folder), str(Path(__file__).parent), os.environ.get("PYTHONPATH")]
    env = {
        **os.environ,
        "ZHIBU_DATABASE_URL": url,
        "ZHIBU_REDIS_URL": app.config["ZHIBU_REDIS_URL"],
        "ZHIBU_JOB_QUEUE": app.config["ZHIBU_JOB_QUEUE"],
        "ZHIBU_INSTANCE_PATH": folder,
        "ZHIBU_SECRET_KEY": app.config["SECRET_KEY"],  # the all-tenant key derives from it
        "PYTHONPATH": os.pathsep.join(p for p in paths if p),
    }
    zhibu = str(Path(sys.executable).with_name("zhibu"))
    worker = subprocess.Popen([zhibu, "worker", "--burst"], env=env)
    started, last = time.perf_counter(), None
    while True:
        handle = fetch(job_id)
        seen = handle.progress
        if seen and seen != last:
            at = time.perf_counter() - started
            print(f"  {at:6.2f} s  {seen['done']}/{seen['total']}  {seen['step']}")
            last = seen
        if handle.status in {"finished", "failed"} or worker.poll() is not None:
            worker.wait()
            return fetch(job_id)
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--per-branch", type=int, default=30)
    parser.add_argument("--inline", action="store_true", help="run the job in this process")
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
        app.config.update(ZHIBU_REDIS_URL=None if args.inline else require_redis())
        app.config["ZHIBU_JOB_QUEUE"] = f"bench-{uuid.uuid4().hex[:8]}"
        with app.app_context():
            started = time.perf_counter()
            handle = enqueue(tasks.generate_reports, str(cycle_id), tenant_id=tenant_id)
            if not args.inline:
                handle = run_worker(app, url, folder, handle.id)
            took = time.perf_counter() - started
        if handle.status != "finished":
            raise SystemExit(f"the job {handle.status}: {handle.error}")
        files, size = handle.result["files"], handle.result["bytes"] / 2**20
        print(f"full report set, as a job: {files} files ({size:.1f} MiB) in {took:.2f} s")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
