"""Benchmark of the roster import on PostgreSQL (not a test).

    .venv/bin/python bench/import_roster.py [--members 10000,50000] [--runs 3]

For each size, creates a throwaway database, migrates it, makes a tenant with ID cards on
and a tree of one committee, ten general branches and ``--branches`` branches, and
generates a roster workbook with plausible Chinese names and valid ID-card numbers (no
archive codes: the import generates them; the re-import matches by ID card). Then, in
each of ``--runs`` runs on an emptied registry, times:

(r) reading the workbook alone; (a) the preview (read, plan every row, keep what the
commit will write); (b) the commit as the page and the API make it after a preview
(under the registry's lock: the registry read again and its fingerprint compared with
the preview's, then the planned rows, transfers and audit entries written); (c)
re-importing the same file: preview and commit, every row 无变化 and nothing written;
(d) as the floor, PostgreSQL loading the same member rows with COPY into a scratch table
with the members table's columns (no indexes, no row-level security), in the same run;
and (e) the one-shot import (read, plan and write in one call, as ``POST …/import`` and
``zhibu members import --commit`` do) into the emptied registry.

Prints every run, then min / median / max of each figure and of commit / COPY.
Targets: preview and commit of 10,000 members under 10 s each (issue 21); commit of
10,000 under 3 s and of 50,000 under 10 s (issue 19).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from cryptography.fernet import Fernet
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from zhibu.accounts.access import TenantAccess
from zhibu.app import create_app
from zhibu.db import db
from zhibu.members import importer, roster
from zhibu.members.idcard import check_digit
from zhibu.models import AuditEntry, Member, OrgUnit, Tenant, User
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing import temporary_postgres_database

T = TypeVar("T")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰海燕文斌宇浩然"
DEPARTMENTS = ("机电", "信息", "经管", "化工", "建工", "外语", "马院", "农学", "医学", "艺术")
ETHNICITIES = ("汉族",) * 8 + ("维吾尔族", "回族", "哈萨克族", "藏族")
EDUCATIONS = ("本科", "研究生", "大专", "高中")
POSITIONS = (None,) * 6 + ("支部书记", "组织委员", "宣传委员", "纪检委员")
AREAS = ("110105", "650102", "652901", "510181", "440305", "320106")


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def cpu_reference() -> str:
    """The seconds of a ten-million-step Python loop, best of three (this machine is
    shared: compare figures taken at different times through it)."""
    best = float("inf")
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for step in range(10_000_000):
            total += step
        best = min(best, time.perf_counter() - started)
    return f"CPU reference (10M-step Python loop, best of 3): {best:.2f} s"


def build_tree(tenant: Tenant, branches: int) -> list[str]:
    """A committee, ten general branches and ``branches`` branches; the branch names."""

    def unit(code: str, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
        unit_id = uuid.uuid4()
        path = (parent.path if parent else "/") + unit_id.hex + "/"
        org = OrgUnit(
            tenant_id=tenant.id,
            id=unit_id,
            code=code,
            name=name,
            kind=kind,
            parent_id=parent.id if parent else None,
            path=path,
            depth=parent.depth + 1 if parent else 0,
        )
        db.session.add(org)
        return org

    root = unit("DW", "示范大学党委", "committee", None)
    generals = [
        unit(f"ZZ{k:02d}", f"{d}学院党总支", "general_branch", root)
        for k, d in enumerate(DEPARTMENTS, start=1)
    ]
    names = []
    for j in range(branches):
        general = generals[j % len(generals)]
        name = f"{DEPARTMENTS[j % len(DEPARTMENTS)]}学院第{j // len(DEPARTMENTS) + 1}党支部"
        unit(f"ZB{j + 1:03d}", name, "branch", general)
        names.append(name)
    db.session.commit()
    return names


def id_card(rng: random.Random, born: date, man: bool, used: set[str]) -> str:
    while True:
        sequence = rng.randrange(0, 500) * 2 + (1 if man else 0)
        first17 = f"{rng.choice(AREAS)}{born:%Y%m%d}{sequence:03d}"
        number = first17 + check_digit(first17)
        if number not in used:
            used.add(number)
            return number


def member_row(rng: random.Random, branches: list[str], used: set[str]) -> dict[str, Any]:
    man = rng.random() < 0.6
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 52))
    joined = born + timedelta(days=rng.randrange(365 * 18, 365 * 30))
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return {
        "name": name,
        "gender": "男" if man else "女",
        "ethnicity": rng.choice(ETHNICITIES),
        "birth_date": born,
        "joined_on": joined,
        "full_member_on": joined + timedelta(days=365),
        "branch": rng.choice(branches),
        "position": rng.choice(POSITIONS),
        "education": rng.choice(EDUCATIONS),
        "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        "status": "full",
        "category": "retired" if born.year < 1960 else "serving",
        "id_card": id_card(rng, born, man, used),
    }


def copy_floor(columns: list[str], rows: list[tuple]) -> float:
    """Seconds PostgreSQL takes to COPY ``rows`` into a scratch table like ``members``."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("DROP TABLE IF EXISTS bench_members_copy")
        cursor.execute("CREATE TABLE bench_members_copy (LIKE members INCLUDING DEFAULTS)")
        connection.commit()
        start = time.perf_counter()
        with cursor.copy(f"COPY bench_members_copy ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        connection.commit()
        seconds = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_members_copy")
        assert cursor.fetchone()[0] == len(rows)
        return seconds
    finally:
        connection.close()


def run(members: int, branches: int, runs: int) -> dict[str, list[float]]:
    with temporary_postgres_database() as url, tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "ZHIBU_INSTANCE_PATH": folder,
                "SECRET_KEY": "bench",
                "ZHIBU_ID_CARD_KEY": Fernet.generate_key(),
            }
        )
        with app.app_context(), use_scope(system_scope(username="bench")):
            upgrade()
            figures = measure(members, branches, runs)
            db.session.remove()
            db.engine.dispose()
    return figures


def read_memory(data: bytes) -> float:
    """Peak resident memory (MB) of a fresh Python process that reads the workbook, less
    that of one that only starts and imports the reader."""
    script = (  # VmHWM: ru_maxrss would keep the parent's high-water mark across exec
        "import re, sys\n"
        "from zhibu.members import roster\n"
        "data = open(sys.argv[1], 'rb').read() if len(sys.argv) > 1 else None\n"
        "parse = roster.read_roster(data) if data else None\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s*(\\d+)', status).group(1))\n"
    )
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        handle.write(data)
        handle.flush()
        runs = [
            subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
            for args in ([], [handle.name])
        ]
    base, read = (int(run.stdout.strip()) for run in runs)
    return (read - base) / 1024


def empty_registry(tenant: Tenant) -> None:
    for table in ("audit_log", "roster_imports", "member_transfers", "members"):
        db.session.execute(text(f"DELETE FROM {table} WHERE tenant_id = :t"), {"t": tenant.id})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE members, audit_log, member_transfers"))


def measure(members: int, branches: int, runs: int) -> dict[str, list[float]]:
    tenant = Tenant(id=uuid.uuid4(), code="BENCH", name="示范大学党委", id_card_enabled=True)
    db.session.add(tenant)
    db.session.commit()
    names = build_tree(tenant, branches)
    access = TenantAccess(
        tenant.id, User(username="bench", is_platform_admin=True), frozenset({"tenant_admin"})
    )
    rng, used = random.Random(20240701), set()
    rows = [member_row(rng, names, used) for _ in range(members)]
    data = roster.write_roster(rows, title="党员花名册")
    print(f"\n{members} members in {branches} branches, workbook {len(data) / 1e6:.1f} MB")
    print(f"reading it alone in a fresh process: peak memory {read_memory(data):.0f} MB")
    figures: dict[str, list[float]] = {}
    for number in range(1, runs + 1):
        if number > 1:
            empty_registry(tenant)
        run_figures = one_run(tenant, access, data, members)
        for key, value in run_figures.items():
            figures.setdefault(key, []).append(value)
        print(f"run {number}: " + ", ".join(f"{k} {v:.2f}" for k, v in run_figures.items()))
    return figures


def one_run(tenant: Tenant, access: TenantAccess, data: bytes, members: int) -> dict[str, float]:
    parse, read_s = timed(lambda: roster.read_roster(data))
    assert parse.ok, parse.errors[:3]
    (report, writes), preview_s = timed(lambda: importer.prepare(tenant, access, data))
    db.session.rollback()
    assert report.ok and report.to_create == members, report.errors[:5]
    shown = report.as_dict()
    done, commit_s = timed(lambda: importer.commit_prepared(tenant, access, data, shown, writes))
    assert done.committed and done.to_create == members
    (again, writes), again_preview_s = timed(lambda: importer.prepare(tenant, access, data))
    db.session.rollback()
    assert again.unchanged == members and again.to_create == again.to_update == 0
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    shown = again.as_dict()
    same, again_commit_s = timed(
        lambda: importer.commit_prepared(tenant, access, data, shown, writes)
    )
    assert same.unchanged == members
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    columns = [c.name for c in Member.__table__.columns]
    stored = [tuple(r) for r in db.session.execute(select(*Member.__table__.columns))]
    db.session.rollback()
    copy_s = copy_floor(columns, stored)
    empty_registry(tenant)
    once, once_s = timed(lambda: importer.commit(tenant, access, data))
    assert once.committed and once.to_create == members
    return {
        "read": read_s,
        "preview": preview_s,
        "commit": commit_s,
        "re-preview": again_preview_s,
        "re-commit": again_commit_s,
        "one-shot": once_s,
        "COPY": copy_s,
        "commit/COPY": commit_s / copy_s,
        "one-shot/COPY": once_s / copy_s,
    }


def summary(members: int, figures: dict[str, list[float]]) -> None:
    print(f"\n{members} members, {len(figures['commit'])} runs: min / median / max")
    for key, values in figures.items():
        unit = " x" if "/" in key else " s"
        low, mid, high = min(values), statistics.median(values), max(values)
        print(f"  {key:<14}{low:8.2f}{mid:8.2f}{high:8.2f}{unit}")
    commit = statistics.median(figures["commit"])
    preview = statistics.median(figures["preview"])
    target = 3 if members <= 10_000 else 10 if members <= 50_000 else None
    if target:
        print(f"  target: commit < {target} s (median) -> {'met' if commit < target else 'MISSED'}")
    if members <= 10_000:
        print(f"  target: preview < 10 s (median) -> {'met' if preview < 10 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", default="10000,50000")
    parser.add_argument("--branches", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(cpu_reference())
    results = {}
    for size in (int(m) for m in args.members.split(",")):
        results[size] = run(size, args.branches, args.runs)
    for size, figures in results.items():
        summary(size, figures)
    print(cpu_reference())


if __name__ == "__main__":
    main()
