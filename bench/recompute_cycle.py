"""Benchmark: recompute a cycle of 2,000 branches and 60,000 members with 12 monthly
score rows each (≈720,000 rows) on PostgreSQL, against merely reading those rows.

    .venv/bin/python bench/recompute_cycle.py [--branches 2000] [--per-branch 30] [--runs 5]

The roster is filled as a real one is (birth date, gender, ethnicity, education, a
secretary per branch, and one member in fifty transferred during the year), since the
recompute hands all of it to the rules. Each run recomputes the cycle from scratch (the
previous result set is put aside first) and reads the score rows again, the baseline;
the figures end with the min / median / max of the runs.

Target (issue 4): recompute < 10 s, ≤ 3× the read, < 1 GiB. The database is a throwaway
one owned by a role without BYPASSRLS, so row-level security is on, as in production.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from zhibu.app import create_app, plugin_registry
from zhibu.db import db
from zhibu.engine import Adjustable, Band, Definition, Scheme, Source, Track
from zhibu.evaluations import compute, cycles, inputs
from zhibu.models import ResultSet, Tenant, TenantScheme
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing import require_postgres, temporary_postgres_database


def define(settings):
    stars = (Band(90, 5), Band(80, 4), Band(70, 3), Band(60, 2))
    branch = Track(
        "branch",
        "支部",
        ("branch",),
        (
            Source("democratic", "民主测评", 0.3),
            Source("assessment_team", "考核组", 0.5),
            Source("superior", "上级评价", 0.2),
        ),
        stars,
        floor=Band(0, 1),
    )
    member = Track(
        "member",
        "党员",
        ("member",),
        (
            Source("monthly", "月度积分", settings["monthly_share"], periodic=True),
            Source("annual", "年终评议", 1 - settings["monthly_share"]),
        ),
        stars,
        floor=Band(0, 1),
    )
    return Definition((branch, member))


BENCH = Scheme(
    key="bench",
    title="基准方案",
    title_en="Benchmark",
    seed="bench",
    settings=(Adjustable("monthly_share", 0.8, "月度占比", 0, 1),),
    define=define,
)


def copy_rows(connection, table: str, columns: list[str], rows) -> None:
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


REGISTRY_COLUMNS = ("birth_date", "gender", "ethnicity", "education", "position")
EDUCATION = ("大学本科", "大专", "高中", "研究生", "初中")


def registry_fields(rng: random.Random, j: int) -> tuple:
    """What a roster says of a member besides the name: birth date, gender, ethnicity,
    education and, for the first of each branch, the secretary's position."""
    born = date(rng.randint(1945, 2000), rng.randint(1, 12), rng.randint(1, 28))
    gender = rng.choice(("男", "女"))
    ethnicity = "汉族" if rng.random() < 0.9 else "维吾尔族"
    return born, gender, ethnicity, rng.choice(EDUCATION), "书记" if j == 0 else None


def transfers(rng: random.Random, tenant_id, members: list[tuple], branch_ids) -> list[tuple]:
    """One member in fifty moved to another branch during the year: the member row is
    changed to its new branch (in place), and the move is returned as a transfer row."""
    moved = []
    for index in range(0, len(members), 50):
        row = list(members[index])
        target = rng.choice(branch_ids)
        if target == row[2]:
            continue
        day = date(2021, rng.randint(2, 11), rng.randint(1, 28))
        moved.append((tenant_id, uuid.uuid4(), row[1], row[2], target, day, "工作调动"))
        row[2] = target
        members[index] = tuple(row)
    return moved


def build(app, admin_url: str, branches: int, per_branch: int) -> tuple[uuid.UUID, uuid.UUID]:
    """Generated data, loaded with COPY as the server's superuser (PostgreSQL refuses COPY
    FROM under row-level security); only the measured steps run as the app's role."""
    rng = random.Random(7)
    with app.app_context(), use_scope(system_scope(username="bench")):
        tenant = Tenant(id=uuid.uuid4(), code="BENCH", name="基准市委组织部", kind="city")
        db.session.add(tenant)
        db.session.flush()
        db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key="bench"))
        db.session.commit()
        cycle = cycles.open_cycle(tenant, "bench", "2021")
        raw = psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"))
        try:
            root = uuid.uuid4()
            flags = (False, False, "active")
            units = [(tenant.id, root, "DW", "市委", "committee", None, f"/{root.hex}/", 0, *flags)]
            branch_ids = [uuid.uuid4() for _ in range(branches)]
            units += [
                (
                    tenant.id,
                    b,
                    f"Z{i:05d}",
                    f"第{i}党支部",
                    "branch",
                    root,
                    f"/{root.hex}/{b.hex}/",
                    1,
                    *flags,
                )
                for i, b in enumerate(branch_ids)
            ]
            copy_rows(
                raw,
                "org_units",
                [
                    "tenant_id",
                    "id",
                    "code",
                    "name",
                    "kind",
                    "parent_id",
                    "path",
                    "depth",
                    "retired",
                    "exempt",
                    "status",
                ],
                units,
            )
            members = [
                (
                    tenant.id,
                    uuid.uuid4(),
                    b,
                    f"党员{i}-{j}",
                    f"M{i:05d}{j:03d}",
                    date(2000, 1, 1),
                    "full",
                    "serving",
                    False,
                    True,
                    *registry_fields(rng, j),
                )
                for i, b in enumerate(branch_ids)
                for j in range(per_branch)
            ]
            moved = transfers(rng, tenant.id, members, branch_ids)
            copy_rows(
                raw,
                "members",
                [
                    "tenant_id",
                    "id",
                    "org_id",
                    "name",
                    "archive_code",
                    "joined_on",
                    "status",
                    "category",
                    "exempt",
                    "active",
                    *REGISTRY_COLUMNS,
                ],
                members,
            )
            copy_rows(
                raw,
                "member_transfers",
                [
                    "tenant_id",
                    "id",
                    "member_id",
                    "from_org_id",
                    "to_org_id",
                    "transferred_on",
                    "reason",
                ],
                moved,
            )

            def sheets():
                for b in branch_ids:
                    for source in ("democratic", "assessment_team", "superior"):
                        yield (
                            tenant.id,
                            uuid.uuid4(),
                            cycle.id,
                            "org",
                            b,
                            source,
                            "",
                            "",
                            rng.uniform(55, 100),
                        )
                for _, member_id, *_ in members:
                    for month in range(1, 13):
                        yield (
                            tenant.id,
                            uuid.uuid4(),
                            cycle.id,
                            "member",
                            member_id,
                            "monthly",
                            "",
                            f"2021-{month:02d}",
                            rng.uniform(50, 100),
                        )
                    yield (
                        tenant.id,
                        uuid.uuid4(),
                        cycle.id,
                        "member",
                        member_id,
                        "annual",
                        "",
                        "",
                        rng.uniform(50, 100),
                    )

            copy_rows(
                raw,
                "score_sheets",
                [
                    "tenant_id",
                    "id",
                    "cycle_id",
                    "subject_kind",
                    "subject_id",
                    "source",
                    "rater",
                    "period",
                    "score",
                ],
                sheets(),
            )
            # what the sheets' writers note as they write (zhibu.evaluations.entered)
            raw.execute(
                "INSERT INTO entered_subjects"
                " (tenant_id, cycle_id, subject_id, subject_kind, sheets)"
                " SELECT tenant_id, cycle_id, subject_id, min(subject_kind), count(*)"
                " FROM score_sheets GROUP BY tenant_id, cycle_id, subject_id"
            )
            raw.commit()
            raw.autocommit = True  # statistics, as autovacuum keeps them in production
            raw.execute("ANALYZE")
        finally:
            raw.close()
        return tenant.id, cycle.id


def cpu_reference() -> str:
    """How fast this machine runs Python right now (shared machines vary by half from one
    hour to the next): the seconds of a ten-million-step loop, best of three. Compare
    figures taken at different times through it, or through the ratio to the read."""
    best = float("inf")
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for step in range(10_000_000):
            total += step
        best = min(best, time.perf_counter() - started)
    return f"CPU reference (10M-step Python loop, best of 3): {best:.2f} s"


def reads(cycle) -> tuple[float, float]:
    """Seconds to merely read the cycle's score rows: through the driver as the recompute
    does (streamed tuples), and as SQLAlchemy rows; both printed."""
    started = time.perf_counter()
    rows = list(inputs.sheet_rows(cycle))
    read = time.perf_counter() - started
    print(f"read the score rows (driver cursor): {len(rows)} rows in {read:.2f} s")
    del rows
    started = time.perf_counter()
    rows = db.session.execute(
        text(
            "SELECT id, subject_id, source, rater, period, score FROM score_sheets "
            "WHERE tenant_id = :t AND cycle_id = :c"
        ),
        {"t": cycle.tenant_id, "c": cycle.id},
    ).all()
    read_rows = time.perf_counter() - started
    print(f"read the score rows (SQLAlchemy rows): {len(rows)} rows in {read_rows:.2f} s")
    return read, read_rows


def ratios(took: float, read: float, read_rows: float) -> str:
    return f"{took / read:.1f}× the driver read, {took / read_rows:.1f}× the SQLAlchemy read"


class Stages:
    """Seconds spent in each step the recompute reports (its progress callback)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.step, self.since = None, time.perf_counter()

    def mark(self, done: int, total: int, step: str) -> None:
        now = time.perf_counter()
        if self.step is not None:
            self.seconds[self.step] = self.seconds.get(self.step, 0) + now - self.since
        self.step, self.since = step, now

    def __str__(self) -> str:
        self.mark(0, 0, "")
        return ", ".join(f"{step} {took:.2f} s" for step, took in self.seconds.items() if step)


def measure(cycle, figures: dict[str, list[float]]) -> None:
    """One run: the reads (the baseline), a recompute from scratch, and one with the
    inputs unchanged. The cycle's current results are put aside first, as if its inputs
    had changed."""
    db.session.execute(
        update(ResultSet).where(ResultSet.cycle_id == cycle.id).values(current=False)
    )
    db.session.commit()
    read, read_rows = reads(cycle)
    stages = Stages()
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        with cProfile.Profile() as profiler:
            result_set = compute.recompute(cycle, progress=stages.mark)
        pstats.Stats(profiler).sort_stats(os.environ["BENCH_PROFILE"]).print_stats(45)
    else:
        result_set = compute.recompute(cycle, progress=stages.mark)
    took = time.perf_counter() - started
    print(f"  stages: {stages}")
    print(
        f"recompute: {result_set.subjects} results in {took:.2f} s "
        f"({ratios(took, read, read_rows)})"
    )
    started = time.perf_counter()
    compute.recompute(cycle)
    unchanged = time.perf_counter() - started
    print(f"recompute again, inputs unchanged: {unchanged:.2f} s")
    figures["read"].append(read)
    figures["recompute"].append(took)
    figures["unchanged"].append(unchanged)


def spread(values: list[float]) -> str:
    return (
        f"min {min(values):.2f} s, median {statistics.median(values):.2f} s, "
        f"max {max(values):.2f} s"
    )


def summarize(figures: dict[str, list[float]]) -> None:
    runs = len(figures["recompute"])
    print(f"over {runs} runs:")
    print(f"  read the score rows (driver cursor): {spread(figures['read'])}")
    print(f"  recompute: {spread(figures['recompute'])}")
    print(f"  recompute, inputs unchanged: {spread(figures['unchanged'])}")
    ratio = statistics.median(figures["recompute"]) / statistics.median(figures["read"])
    print(f"  median recompute / median driver read: {ratio:.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--per-branch", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5, help="recomputes from scratch")
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
        started = time.perf_counter()
        tenant_id, cycle_id = build(app, admin_url, args.branches, args.per_branch)
        print(
            f"setup: {args.branches} branches, {args.branches * args.per_branch} members, "
            f"{args.branches * args.per_branch * 13 + args.branches * 3} score rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
        with app.app_context(), use_scope(system_scope(username="bench")):
            figures: dict[str, list[float]] = {"read": [], "recompute": [], "unchanged": []}
            for run in range(1, args.runs + 1):
                print(f"run {run} of {args.runs}")
                measure(cycles.get_cycle(tenant_id, cycle_id), figures)
            summarize(figures)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the process: {peak:.0f} MiB")
        print(cpu_reference())


if __name__ == "__main__":
    main()
