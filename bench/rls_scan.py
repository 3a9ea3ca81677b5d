"""Benchmark of a large table scanned under row-level security (not a test).

    .venv/bin/python bench/rls_scan.py [--members 1000000] [--runs 5]

Creates a throwaway database, migrates it, and loads ``--members`` members in two tenants
(half each) as the server's superuser. Then, on the same rows, times one tenant's scan
(``count(*), sum(length(name)) … WHERE tenant_id = A`` in A's scope) and the whole table's
(in the platform scope) under:

- **none**: the superuser, whom row-level security does not bind (the floor);
- **per row**: the policies of migrations 0002–0009 (``zhibu_can_read(tenant_id)``, a
  function reading the settings for every row; ``zhibu.all_tenants = 'on'``);
- **per statement**: the policies of migration 0010 (InitPlans read the settings once;
  the all-tenant switch compares the key's digest once).

Each is run with the server's parallel workers as configured, and with
``max_parallel_workers_per_gather = 0`` (one process: the cost per row, compared alike).
It prints min / median / max of ``--runs`` runs and each median's ratio to the floor.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from zhibu.db import db
from zhibu.models import OrgUnit, Tenant
from zhibu.tenancy import rls, system_scope, use_scope
from zhibu.testing import postgres_url, temporary_postgres_database
from zhibu.testing.fixtures import make_test_app

LOAD = """
INSERT INTO members (id, tenant_id, org_id, name, status, category, archive_code, exempt,
                     active)
SELECT gen_random_uuid(), CASE WHEN n % 2 = 0 THEN CAST(:a AS uuid) ELSE CAST(:b AS uuid) END,
       CASE WHEN n % 2 = 0 THEN CAST(:org_a AS uuid) ELSE CAST(:org_b AS uuid) END,
       '党员' || n, 'full', 'serving',
       'M' || n, false, true
FROM generate_series(1, :count) AS n
"""
SCAN_TENANT = "SELECT count(*), sum(length(name)) FROM members WHERE tenant_id = CAST(:a AS uuid)"
SCAN_ALL = "SELECT count(*), sum(length(name)) FROM members"


def cpu_reference() -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - start)
    return best


def make_world(url: str, folder: Path) -> tuple[str, str, str, str, str]:
    app = make_test_app(url, folder, SECRET_KEY="bench")
    ids = []
    with app.app_context(), use_scope(system_scope()):
        for code in ("A", "B"):
            tenant = Tenant(id=uuid.uuid4(), code=code, name=f"{code} 单位")
            db.session.add(tenant)
            db.session.flush()
            org_id = uuid.uuid4()
            path = f"/{org_id.hex}/"
            db.session.add(
                OrgUnit(
                    id=org_id,
                    tenant_id=tenant.id,
                    code=f"{code}-DW",
                    name="党委",
                    kind="committee",
                    path=path,
                    depth=0,
                )
            )
            ids += [str(tenant.id), str(org_id)]
        db.session.commit()
        key = app.config["ZHIBU_ALL_TENANTS_KEY"]
        db.engine.dispose()
    return ids[0], ids[1], ids[2], ids[3], key


@dataclass
class World:
    """Two tenants' members loaded, and engines as the server's superuser (whom row-level
    security does not bind) and as the tables' owner (whom it does: ``FORCE``)."""

    tenant_a: str
    member: str  # one of tenant A's members
    key: str  # the all-tenant key
    superuser_url: str
    owner_url: str
    superuser: Any
    owner: Any


@contextmanager
def loaded_world(members: int) -> Iterator[World]:
    """A throwaway database, migrated, with ``members`` members in two tenants (half
    each), vacuumed and analysed."""
    import tempfile

    with temporary_postgres_database() as owner_url, tempfile.TemporaryDirectory() as folder:
        tenant_a, org_a, tenant_b, org_b, key = make_world(owner_url, Path(folder))
        superuser_url = make_url(postgres_url()).set(database=make_url(owner_url).database)
        superuser, owner = create_engine(superuser_url), create_engine(owner_url)
        with superuser.begin() as connection:
            params = {"a": tenant_a, "b": tenant_b, "org_a": org_a, "org_b": org_b}
            connection.execute(text(LOAD), params | {"count": members})
            member = connection.execute(
                text("SELECT id FROM members WHERE tenant_id = CAST(:a AS uuid) LIMIT 1"), params
            ).scalar()
        with superuser.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
        try:
            yield World(
                tenant_a,
                str(member),
                key,
                superuser_url.render_as_string(hide_password=False),
                make_url(owner_url).render_as_string(hide_password=False),
                superuser,
                owner,
            )
        finally:
            superuser.dispose()
            owner.dispose()


def per_row_policies(connection) -> None:
    connection.execute(text(rls.FUNCTIONS_SQL))
    connection.execute(text(rls.drop_policies_sql("members")))
    connection.execute(
        text(
            "CREATE POLICY members_read ON members FOR SELECT USING (zhibu_can_read(tenant_id));"
            "CREATE POLICY members_write ON members FOR ALL USING (zhibu_can_write(tenant_id))"
            " WITH CHECK (zhibu_can_write(tenant_id));"
        )
    )


def per_statement_policies(connection, key: str) -> None:
    connection.execute(text(rls.TENANT_SET_FUNCTIONS_SQL))
    connection.execute(text(rls.key_function_sql(key)))
    connection.execute(text(rls.drop_policies_sql("members")))
    connection.execute(text(rls.protect_sql("members")))


def timed(engine, sql: str, params: dict, settings: dict, runs: int, serial: bool):
    times, answer = [], None
    for _ in range(runs):
        with engine.begin() as connection:
            for name, value in settings.items():
                connection.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
            if serial:
                connection.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            start = time.perf_counter()
            answer = connection.execute(text(sql), params).one()
            times.append(time.perf_counter() - start)
    return times, answer


def report(label: str, times: list[float], floor: float | None) -> float:
    median = statistics.median(times)
    ratio = f"{median / floor:6.2f}×" if floor else "  floor"
    print(
        f"  {label:<16}{min(times) * 1000:9.1f}{median * 1000:9.1f}{max(times) * 1000:9.1f}"
        f" ms  {ratio}"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"CPU reference (2M-step Python loop, best of 3): {cpu_reference():.3f} s")
    with loaded_world(args.members) as world:
        tenant_a, key, superuser, owner = world.tenant_a, world.key, world.superuser, world.owner
        print(f"{args.members:,} members in two tenants; runs: {args.runs}")
        scopes = {
            "tenant": (SCAN_TENANT, {"zhibu.read_tenants": tenant_a}),
            "all": (SCAN_ALL, None),
        }
        for serial in (False, True):
            print(f"\n{'one process' if serial else 'parallel workers as configured'}")
            print(f"  {'':<16}{'min':>9}{'median':>9}{'max':>9}")
            for name, (sql, settings) in scopes.items():
                print(f" scan: {'tenant A (half the rows)' if name == 'tenant' else 'all'}")
                params = {"a": tenant_a}
                times, floor_answer = timed(superuser, sql, params, {}, args.runs, serial)
                floor = report("none", times, None)
                with owner.begin() as connection:
                    per_row_policies(connection)
                old = settings or {"zhibu.all_tenants": "on"}
                times, answer = timed(owner, sql, params, old, args.runs, serial)
                assert answer == floor_answer, (answer, floor_answer)
                report("per row", times, floor)
                with owner.begin() as connection:
                    per_statement_policies(connection, key)
                new = settings or {"zhibu.all_tenants": key}
                times, answer = timed(owner, sql, params, new, args.runs, serial)
                assert answer == floor_answer, (answer, floor_answer)
                report("per statement", times, floor)
    print(f"\nCPU reference (end): {cpu_reference():.3f} s")


if __name__ == "__main__":
    main()
