"""Benchmark of opening members' accounts in bulk on PostgreSQL (not a test).

    .venv/bin/python bench/member_accounts.py [--members 2000] [--branches 50] [--runs 3]

Creates a throwaway database, migrates it, makes a tenant with ``--branches`` branches and
``--members`` members, then, ``--runs`` times over (the accounts deleted between runs):

(a) ``accounts.service.open_member_accounts`` for the whole tenant, as the page and the API
    call it: the members without an account, a generated password each (hashed with the
    light profile), one user and one member role each, audited, in one transaction;
(b) the floor, in the same run: the same users and roles written through the ORM with one
    hash computed beforehand (no hashing, no checks, no audit).

It prints min / median / max of each and the ratio of the medians, and the cost of one
password hashed with argon2-cffi's defaults against the light profile (a sample of 20):
the reason for the light profile (docs/decisions.md, issue 20).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

from flask_migrate import upgrade
from sqlalchemy import delete, select

from zhibu.accounts import service
from zhibu.accounts.passwords import generate_password, hash_generated, hash_password
from zhibu.app import create_app
from zhibu.db import db
from zhibu.models import Member, OrgUnit, RoleAssignment, Tenant, User
from zhibu.tenancy import Scope, system_scope, use_scope
from zhibu.testing import require_postgres, temporary_postgres_database


def build(members: int, branches: int) -> Tenant:
    tenant = Tenant(id=uuid.uuid4(), code="BENCH", name="示范大学党委", kind="college")
    db.session.add(tenant)
    root_id = uuid.uuid4()
    db.session.add(
        OrgUnit(
            tenant_id=tenant.id,
            id=root_id,
            code="DW",
            name="党委",
            kind="committee",
            path=f"/{root_id.hex}/",
            depth=0,
        )
    )
    units = []
    for n in range(branches):
        unit_id = uuid.uuid4()
        units.append(unit_id)
        db.session.add(
            OrgUnit(
                tenant_id=tenant.id,
                id=unit_id,
                code=f"Z{n:03d}",
                name=f"第{n + 1}党支部",
                kind="branch",
                parent_id=root_id,
                path=f"/{root_id.hex}/{unit_id.hex}/",
                depth=1,
            )
        )
    db.session.flush()
    db.session.add_all(
        Member(
            tenant_id=tenant.id,
            org_id=units[n % branches],
            name=f"党员{n}",
            archive_code=f"BENCH-{n:06d}",
        )
        for n in range(members)
    )
    db.session.commit()
    return tenant


def forget_accounts(tenant: Tenant) -> None:
    users = select(RoleAssignment.user_id).where(RoleAssignment.tenant_id == tenant.id)
    ids = list(db.session.scalars(users))
    db.session.execute(delete(RoleAssignment).where(RoleAssignment.tenant_id == tenant.id))
    db.session.execute(delete(User).where(User.id.in_(ids)))
    db.session.commit()


def floor(tenant: Tenant) -> int:
    members = db.session.scalars(select(Member).where(Member.tenant_id == tenant.id)).all()
    known = hash_generated(generate_password())
    for member in members:
        user = User(
            id=uuid.uuid4(),
            username=f"floor-{member.archive_code}",
            display_name=member.name,
            password_hash=known,
        )
        db.session.add(user)
        db.session.add(
            RoleAssignment(tenant_id=tenant.id, user_id=user.id, role="member", member_id=member.id)
        )
    db.session.commit()
    return len(members)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def spread(label: str, seconds: list[float]) -> float:
    middle = statistics.median(seconds)
    print(f"{label:<40} min {min(seconds):6.2f}  median {middle:6.2f}  max {max(seconds):6.2f} s")
    return middle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--branches", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with temporary_postgres_database(require_postgres()) as url, tempfile.TemporaryDirectory() as d:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ZHIBU_INSTANCE_PATH": d})
        with app.app_context():
            upgrade()
            with use_scope(system_scope(username="bench")):
                tenant = build(args.members, args.branches)
            scope = Scope.for_tenants([tenant.id], [tenant.id], username="bench")
            opened, floors = [], []
            for _ in range(args.runs):
                with use_scope(scope):
                    opened.append(timed(lambda: service.open_member_accounts(tenant)))
                with use_scope(system_scope(username="bench")):
                    forget_accounts(tenant)
                    floors.append(timed(lambda: floor(tenant)))
                    forget_accounts(tenant)
            print(f"{args.members} members in {args.branches} branches, {args.runs} runs")
            a = spread("(a) open_member_accounts", opened)
            b = spread("(b) floor: plain ORM rows, no hashing", floors)
            print(f"ratio (a) / (b): {a / b:.1f}")
            light = timed(lambda: [hash_generated(generate_password()) for _ in range(20)]) / 20
            full = timed(lambda: [hash_password(generate_password()) for _ in range(20)]) / 20
            print(
                f"one hash: light profile {light * 1000:.1f} ms, argon2 defaults "
                f"{full * 1000:.1f} ms ({full / light:.0f}x; {args.members} members "
                f"would spend {full * args.members:.0f} s hashing with the defaults)"
            )
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
