"""Benchmark: entering a month of 四讲四有 records (dujiangyan_quantified) on PostgreSQL —
one branch's month (≈50 members) and a whole city's month (≈20,000 members) through the
plugin's month service (every row checked, one transaction through ``sheets.save_many``),
and a branch's month as an uploaded workbook, into a year that already holds eleven
months; then the year's recompute, and the time of merely reading its score rows.

    .venv/bin/python bench/dujiangyan_month.py [--branches 400] [--per-branch 50]

Target: a branch's month well under a second; the city's month a few seconds; the
recompute inside the engine's target (< 10 s for 60,000 members, see recompute_cycle.py).
The database is a throwaway one owned by a role without BYPASSRLS, so row-level security
is on, as in production; the eleven earlier months are loaded with COPY as the server's
superuser, month after month as they would have been entered, and vacuumed and analyzed
as autovacuum would have done by December (only the measured steps run as the app's
role).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import date
from io import BytesIO
from operator import itemgetter
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from openpyxl import load_workbook
from sqlalchemy.engine import make_url

from dujiangyan_quantified import months, workbook
from zhibu.app import create_app
from zhibu.db import db
from zhibu.evaluations import compute, cycles
from zhibu.models import Tenant, TenantScheme
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing import require_postgres, temporary_postgres_database

sys.path.insert(0, str(Path(__file__).parent))
from recompute_cycle import Stages, copy_rows, cpu_reference, ratios, reads

SCHEME = "dujiangyan_quantified"
KINDS = ("village", "community", "organ", "two_new")
DEDUCTED = 0.1  # share of member-months with a deduction
REASONS = ("未按时参加组织生活", "未按时交纳党费", "学习笔记不全", "未参加志愿服务")
INDICATORS = ("P05", "P06", "R02", "R04", "F03", "M06")


def build(app, admin_url: str, branches: int, per_branch: int):
    """The city, its roster and eleven months (January to November) already entered."""
    rng = random.Random(2021)
    with app.app_context(), use_scope(system_scope(username="bench")):
        tenant = Tenant(id=uuid.uuid4(), code="DJY", name="都江堰市委组织部", kind="city")
        db.session.add(tenant)
        db.session.flush()
        db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key=SCHEME))
        db.session.commit()
        cycle = cycles.open_cycle(tenant, SCHEME, "2021")
        tenant_id, cycle_id = tenant.id, cycle.id
    raw = psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        root = uuid.uuid4()
        flags = (False, False, "active")
        units = [
            (tenant_id, root, "SW", "都江堰市委", "committee", None, f"/{root.hex}/", 0, *flags)
        ]
        branch_ids = [uuid.uuid4() for _ in range(branches)]
        units += [
            (
                tenant_id,
                b,
                f"Z{i:05d}",
                f"第{i}党支部",
                KINDS[i % 4],
                root,
                f"/{root.hex}/{b.hex}/",
                1,
                *flags,
            )
            for i, b in enumerate(branch_ids)
        ]
        unit_columns = "tenant_id id code name kind parent_id path depth retired exempt status"
        copy_rows(raw, "org_units", unit_columns.split(), units)
        members = [
            (
                tenant_id,
                uuid.uuid4(),
                b,
                f"党员{i}-{j}",
                f"M{i:05d}{j:03d}",
                date(2000, 1, 1),
                "full",
                "serving",
                False,
                True,
            )
            for i, b in enumerate(branch_ids)
            for j in range(per_branch)
        ]
        member_columns = (
            "tenant_id id org_id name archive_code joined_on status category exempt active"
        )
        copy_rows(raw, "members", member_columns.split(), members)
        sheets, items = [], []
        for _, member_id, *_ in members:
            for month in range(1, 12):
                sheet_id = uuid.uuid4()
                if rng.random() < DEDUCTED:
                    score = None
                    items.append(
                        (
                            month,  # for the order on disk; not a column
                            tenant_id,
                            uuid.uuid4(),
                            sheet_id,
                            rng.choice(INDICATORS),
                            "deduction",
                            rng.choice((0.5, 1, 2)),
                            rng.choice(REASONS),
                        )
                    )
                else:
                    score = round(rng.uniform(70, 100), 1)
                sheets.append(
                    (
                        tenant_id,
                        sheet_id,
                        cycle_id,
                        "member",
                        member_id,
                        "monthly",
                        "",
                        f"2021-{month:02d}",
                        score,
                    )
                )
            sheets.append(
                (
                    tenant_id,
                    uuid.uuid4(),
                    cycle_id,
                    "member",
                    member_id,
                    "annual",
                    "",
                    "",
                    round(rng.uniform(60, 100), 1),
                )
            )
        for b in branch_ids:
            for source in ("quantified", "satisfaction"):
                sheets.append(
                    (
                        tenant_id,
                        uuid.uuid4(),
                        cycle_id,
                        "org",
                        b,
                        source,
                        "",
                        "",
                        round(rng.uniform(50, 100), 1),
                    )
                )
        sheets.sort(key=itemgetter(7))  # on disk as entered: month by month
        sheet_columns = "tenant_id id cycle_id subject_kind subject_id source rater period score"
        copy_rows(raw, "score_sheets", sheet_columns.split(), sheets)
        items.sort(key=itemgetter(0))  # deductions too, month by month
        item_columns = "tenant_id id sheet_id indicator kind points reason"
        copy_rows(raw, "score_items", item_columns.split(), [item[1:] for item in items])
        raw.commit()
        raw.autocommit = True  # what autovacuum does after months of entries in production
        raw.execute("VACUUM ANALYZE")
    finally:
        raw.close()
    return tenant_id, cycle_id, root, branch_ids, members, len(sheets), len(items)


def december(rng: random.Random, codes: list[str]) -> list[months.MonthRow]:
    rows = []
    for code in codes:
        if rng.random() < DEDUCTED:
            deduction = {
                "item": rng.choice(INDICATORS),
                "points": rng.choice((0.5, 1, 2)),
                "reason": rng.choice(REASONS),
            }
            rows.append(months.MonthRow(archive_code=code, deductions=[deduction]))
        else:
            rows.append(months.MonthRow(archive_code=code, score=round(rng.uniform(70, 100), 1)))
    return rows


def filled_workbook(rng: random.Random, tenant_id, unit_id, month: str) -> bytes:
    """The month's workbook as a branch secretary downloads it, with every member's score
    typed in (as a secretary fills it in Excel)."""
    sheet = months.load_sheet(tenant_id, unit_id, month)
    book = load_workbook(BytesIO(workbook.template(sheet, months.member_rubric(sheet.cycle))))
    for row in range(4, 4 + len(sheet.people)):
        book.active.cell(row, workbook.SCORE_COLUMN, round(rng.uniform(70, 100), 1))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def timed(what: str, action):
    started = time.perf_counter()
    result = action()
    took = time.perf_counter() - started
    print(f"{what}: {took:.2f} s")
    return result, took


def recompute(cycle, profile: bool):
    stages = Stages()
    if not profile:
        result = compute.recompute(cycle, stages.mark)
        print(f"  stages: {stages}")
        return result
    import cProfile
    import pstats

    with cProfile.Profile() as profiler:
        result = compute.recompute(cycle)
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE", "tottime")).print_stats(45)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=400)
    parser.add_argument("--per-branch", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="profile the recompute")
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
        with app.app_context():
            upgrade(directory=str(Path(__file__).parents[1] / "migrations"))
        (tenant_id, cycle_id, root, branch_ids, members, count, items), _ = timed(
            "setup (COPY, not measured)",
            lambda: build(app, admin_url, args.branches, args.per_branch),
        )
        print(
            f"city: {args.branches} branches, {len(members)} members; January–November "
            f"already entered: {count} sheets, {items} deductions"
        )
        rng = random.Random(12)
        codes = [m[4] for m in members]
        with app.app_context(), use_scope(system_scope(username="bench")):
            one = december(rng, codes[: args.per_branch])
            timed(
                f"one branch's December ({len(one)} members, checked + saved)",
                lambda: months.save_month(tenant_id, branch_ids[0], "2021-12", one),
            )
            timed(
                "the same branch's December again (replacing it)",
                lambda: months.save_month(tenant_id, branch_ids[0], "2021-12", one),
            )
            filled = filled_workbook(rng, tenant_id, branch_ids[1], "2021-12")
            report, _ = timed(
                "another branch's December as an uploaded workbook (read, checked, saved)",
                lambda: workbook.commit(tenant_id, branch_ids[1], "2021-12", filled),
            )
            assert report.to_save == args.per_branch and not report.errors, report.as_dict()
            city = december(rng, codes)
            timed(
                f"the whole city's December ({len(city)} members, one sheet)",
                lambda: months.save_month(tenant_id, root, "2021-12", city),
            )
            cycle = cycles.get_cycle(tenant_id, cycle_id)
            result_set, took = timed("recompute the year", lambda: recompute(cycle, args.profile))
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  {result_set.subjects} results; peak memory of the process: {peak:.0f} MiB")
            read, read_rows = reads(cycle)  # after: its rows would raise the peak
            print(f"  the recompute took {ratios(took, read, read_rows)}")
        print(cpu_reference())


if __name__ == "__main__":
    main()
