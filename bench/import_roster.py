"""Benchmark of the roster import on PostgreSQL (not a test).

    .venv/bin/python bench/import_roster.py [--members 10000] [--branches 300]

Creates a throwaway database, migrates it, makes a tenant with ID cards on and a tree of
one committee, ten general branches and ``--branches`` branches, generates a roster
workbook of ``--members`` members with plausible Chinese names and valid ID-card numbers
(no archive codes: the import generates them, and the re-import matches by ID card), then
times:

(a) the preview, (b) the commit, (c) re-importing the same file (nothing changes), and
(d) as the floor, PostgreSQL loading the same rows with COPY into a scratch table with
the members table's columns (no indexes, no row-level security).

The target is a commit under 10 s for 10,000 members.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from cryptography.fernet import Fernet
from flask_migrate import upgrade
from sqlalchemy import select

from zhibu.accounts.access import TenantAccess
from zhibu.app import create_app
from zhibu.db import db
from zhibu.members import importer, roster
from zhibu.members.idcard import check_digit
from zhibu.models import Member, OrgUnit, Tenant, User
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


def timed(label: str, action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"{label:<28}{seconds:8.2f} s")
    return result, seconds


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


def run(members: int, branches: int) -> None:
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
            measure(members, branches)
            db.session.remove()
            db.engine.dispose()


def measure(members: int, branches: int) -> None:
    tenant = Tenant(id=uuid.uuid4(), code="BENCH", name="示范大学党委", id_card_enabled=True)
    db.session.add(tenant)
    db.session.commit()
    names = build_tree(tenant, branches)
    access = TenantAccess(
        tenant.id, User(username="bench", is_platform_admin=True), frozenset({"tenant_admin"})
    )
    rng, used = random.Random(20240701), set()
    rows = [member_row(rng, names, used) for _ in range(members)]
    data, _ = timed("generate workbook", lambda: roster.write_roster(rows, title="党员花名册"))
    print(f"{members} members in {branches} branches, workbook {len(data) / 1e6:.1f} MB")
    timed("read_roster alone", lambda: roster.read_roster(data))
    report, _ = timed("(a) preview", lambda: importer.preview(tenant, access, data))
    db.session.rollback()
    assert report.ok and report.to_create == members, report.errors[:5]
    done, commit_s = timed("(b) commit", lambda: importer.commit(tenant, access, data))
    assert done.to_create == members
    again, _ = timed("(c) re-import (commit)", lambda: importer.commit(tenant, access, data))
    assert again.unchanged == members and again.to_update == again.to_create == 0
    columns = [c.name for c in Member.__table__.columns]
    stored = [tuple(r) for r in db.session.execute(select(*Member.__table__.columns))]
    db.session.rollback()
    copy_s = copy_floor(columns, stored)
    print(f"{'(d) COPY floor':<28}{copy_s:8.2f} s")
    print(f"{'commit / COPY':<28}{commit_s / copy_s:8.1f} x")
    print(f"target: commit < 10 s -> {'met' if commit_s < 10 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=300)
    args = parser.parse_args()
    run(args.members, args.branches)


if __name__ == "__main__":
    main()
