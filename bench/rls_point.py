"""Benchmark of the small statements a request makes, under row-level security (not a test).

    .venv/bin/python bench/rls_point.py [--members 100000] [--runs 7] [--repeat 400]

A scan (``bench/rls_scan.py``) pays for row-level security per row; the statements of a
request read a row or a page by an index, and pay per statement: the policies' InitPlans.
This creates a throwaway database, migrates it, loads ``--members`` members in two
tenants (half each) as the server's superuser, then times, on one connection with the
statements prepared as psycopg prepares them for the app, three shapes a page or an API
answer is made of:

- **row**: one member by its key;
- **page**: ten members of a tenant in an index's order, a hundred rows in;
- **join**: one member with its unit (two protected tables).

Each shape runs ``--repeat`` times per run, in tenant A's scope (read and write, as a
request), under:

- **none**: the superuser, whom row-level security does not bind (the floor);
- **0010**: the policies of migration 0010 (functions with ``SET search_path``, not
  inlined; a ``FOR ALL`` write policy, which a SELECT evaluates too);
- **0021**: the policies of migration 0021 (the functions inlined; a write policy per
  command, so a SELECT evaluates the read policy only).

It prints min / median / max over ``--runs`` runs of the time per statement (µs, the
client's round trip on this machine included) and each median's ratio to the floor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy import text

from zhibu.tenancy import rls

sys.path.insert(0, str(Path(__file__).parent))
from rls_scan import cpu_reference, loaded_world

SHAPES = {
    "row": "SELECT * FROM members WHERE tenant_id = %(a)s AND id = %(id)s",
    "page": (
        "SELECT * FROM members WHERE tenant_id = %(a)s ORDER BY archive_code LIMIT 10 OFFSET 100"
    ),
    "join": (
        "SELECT m.name, o.name FROM members m JOIN org_units o"
        " ON o.tenant_id = m.tenant_id AND o.id = m.org_id"
        " WHERE m.tenant_id = %(a)s AND m.id = %(id)s"
    ),
}
TABLES = ("members", "org_units")


def key_function_0010(key: str) -> str:
    """``zhibu_all_tenants()`` as migration 0010 wrote it (a ``SET`` clause: not inlined)."""
    inlined = rls.key_function_sql(key)
    return inlined.replace(
        "LANGUAGE sql STABLE PARALLEL SAFE AS",
        "LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS",
    )


def policies_0010(connection, key: str) -> None:
    connection.execute(text(rls.TENANT_SET_FUNCTIONS_SQL))
    connection.execute(text(key_function_0010(key)))
    for table in TABLES:
        connection.execute(text(rls.policy_for_all_sql(table)))


def policies_0021(connection, key: str) -> None:
    connection.execute(text(rls.INLINED_TENANT_SET_FUNCTIONS_SQL))
    connection.execute(text(rls.key_function_sql(key)))
    for table in TABLES:
        connection.execute(text(rls.drop_policies_sql(table)))
        connection.execute(text(rls.protect_sql(table)))
        connection.execute(text(rls.policies_by_command_sql(table)))


def timed(url: str, sql: str, params: dict, scope: dict, runs: int, repeat: int) -> list[float]:
    """µs per statement of each run; the statement prepared (as the app's are after a few
    executions) and warmed first."""
    times = []
    with psycopg.connect(url, prepare_threshold=0) as connection:
        for _ in range(runs + 1):
            with connection.transaction(), connection.cursor() as cursor:
                for name, value in scope.items():
                    cursor.execute("SELECT set_config(%s, %s, true)", (name, value))
                start = time.perf_counter()
                for _ in range(repeat):
                    cursor.execute(sql, params)
                    cursor.fetchall()
                times.append((time.perf_counter() - start) / repeat * 1e6)
    return times[1:]  # the first run warms the plan and the caches


def report(label: str, times: list[float], floor: float | None) -> float:
    median = statistics.median(times)
    ratio = f"{median / floor:6.2f}×" if floor else "  floor"
    print(f"  {label:<8}{min(times):9.1f}{median:9.1f}{max(times):9.1f} µs  {ratio}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=400, help="statements per run")
    args = parser.parse_args()
    print(f"CPU reference (2M-step Python loop, best of 3): {cpu_reference():.3f} s")
    with loaded_world(args.members) as world:
        print(f"{args.members:,} members in two tenants; {args.runs} runs of {args.repeat}")
        print(f"  {'':<8}{'min':>9}{'median':>9}{'max':>9}")
        scope = {"zhibu.read_tenants": world.tenant_a, "zhibu.write_tenants": world.tenant_a}
        plain = {
            name: url.replace("+psycopg", "")
            for name, url in (("superuser", world.superuser_url), ("owner", world.owner_url))
        }
        values = {"a": world.tenant_a, "id": world.member}
        for shape, sql in SHAPES.items():
            print(f" {shape}")
            floor = report(
                "none", timed(plain["superuser"], sql, values, {}, args.runs, args.repeat), None
            )
            for label, install in (("0010", policies_0010), ("0021", policies_0021)):
                with world.owner.begin() as connection:
                    install(connection, world.key)
                times = timed(plain["owner"], sql, values, scope, args.runs, args.repeat)
                report(label, times, floor)
    print(f"\nCPU reference (end): {cpu_reference():.3f} s")


if __name__ == "__main__":
    main()
