"""Benchmark: the overseer's 监督总览 (issue 23) over 200 tenants with 60,000 members and a
year of results (and the year before, for the trends), on PostgreSQL with row-level
security on, as in production.

    .venv/bin/python bench/oversight.py [--tenants 200] [--per-tenant 310] [--runs 7]

Each tenant (zhibu.testing.overseen) has 10 branches and 300 members, a 2020 and a
2021 cycle whose current result sets hold every subject, and three rectification items.
The page is requested warm (after one request) by a logged-in county overseer through
the app, ``--runs`` times; printed: min / median / max, the statements each request
sent, and the same for a baseline in the same run: the county overseeing 1/10 of the
tenants (the ratio shows how the page grows with the tenants; the statements must not).
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event

from zhibu.accounts.passwords import hash_password
from zhibu.app import create_app
from zhibu.db import db
from zhibu.models import RoleAssignment, Tenant, User
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing import require_postgres, temporary_postgres_database
from zhibu.testing.overseen import make_overseen

PASSWORD = "bench-password-1"


def county(name: str, code: str, tenants: int, per_tenant: int, prefix: str) -> tuple:
    tenant = Tenant(id=uuid.uuid4(), code=code, name=name, kind="county")
    db.session.add(tenant)
    user = User(username=f"overseer_{code.lower()}", password_hash=hash_password(PASSWORD))
    db.session.add(user)
    db.session.flush()
    db.session.add(RoleAssignment(tenant_id=tenant.id, user_id=user.id, role="overseer"))
    db.session.commit()
    started = time.perf_counter()
    made = make_overseen(tenant, tenants, branches=10, members=per_tenant - 10, prefix=prefix)
    print(f"  {code}: {len(made.tenant_ids)} tenants made in {time.perf_counter() - started:.0f} s")
    return tenant.id, user.username


def measure(app, tenant_id, username: str, runs: int, profile: bool = False) -> tuple:
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302
    url = f"/t/{tenant_id}/oversight"
    first = client.get(url)  # warm: templates compiled, plugins loaded, caches filled
    assert first.status_code == 200, first.status_code
    with app.app_context():
        engine = db.engine
    statements: list[list] = []

    def before(_conn, _cursor, sql, *_rest):
        statements.append([sql, time.perf_counter()])

    def after(*_args):
        statements[-1][1] = time.perf_counter() - statements[-1][1]

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    times, in_database = [], []
    for _ in range(runs):
        statements.clear()
        started = time.perf_counter()
        answer = client.get(url)
        times.append(time.perf_counter() - started)
        in_database.append(sum(t for _sql, t in statements))
        assert answer.status_code == 200
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    if profile:
        import cProfile
        import pstats

        cProfile.runctx(
            "client.get(url)", globals(), {"client": client, "url": url}, "/tmp/ov.prof"
        )
        pstats.Stats("/tmp/ov.prof").sort_stats("cumulative").print_stats(30)
        for sql, took in sorted(statements, key=lambda s: -s[1])[:5]:
            print(f"    {took:.3f} s  {' '.join(sql.split())[:160]}")
    rows = len(re.findall(r'<tr data-tenant="', answer.text))
    return times, len(statements), rows, statistics.median(in_database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--per-tenant", type=int, default=310, help="subjects per tenant")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="profile one request")
    args = parser.parse_args()
    server = require_postgres()
    with temporary_postgres_database(server) as url, tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "ZHIBU_INSTANCE_PATH": folder, "SECRET_KEY": "bench"}
        )
        with app.app_context():
            upgrade(directory=str(Path(__file__).parents[1] / "migrations"))
        members = args.tenants * (args.per_tenant - 10)
        print(f"building {args.tenants} tenants, {members:,} members, 2020 and 2021 results …")
        small = max(args.tenants // 10, 1)
        with app.app_context(), use_scope(system_scope(username="bench")):
            big = county("大县委组织部", "BIG", args.tenants, args.per_tenant, "T")
            base = county("小县委组织部", "SMALL", small, args.per_tenant, "S")
        print(f"\n监督总览, warm, {args.runs} runs each (seconds):")
        results = {}
        for label, (tenant_id, username) in (("baseline", base), ("overview", big)):
            times, statements, rows, database = measure(
                app, tenant_id, username, args.runs, args.profile and label == "overview"
            )
            results[label] = statistics.median(times)
            print(
                f"  {label:9s} {rows:4d} tenants  min {min(times):.3f}  "
                f"median {statistics.median(times):.3f}  max {max(times):.3f}  "
                f"statements per request {statements} (median {database:.3f} s in the database)"
            )
        ratio = results["overview"] / results["baseline"]
        print(f"  ratio overview / baseline (×{args.tenants // small} tenants): {ratio:.2f}")


if __name__ == "__main__":
    main()
