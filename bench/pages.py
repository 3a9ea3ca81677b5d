"""Benchmark: every page and API answer at city size, single user and under load.

    .venv/bin/python bench/pages.py [--branches 2000] [--per-branch 30] [--runs 5]
        [--clients 20] [--seconds 20] [--workers 4] [--slow 5] [--no-load] [--no-routes]
        [--only REGEX] [--scenarios REGEX] [--keep NAME]

Builds the city-sized tenant of ``bench/recompute_cycle.py`` (its builder: 2,000 branches,
60,000 members, ≈780,000 score rows) on a throwaway PostgreSQL database owned by a role
without BYPASSRLS (row-level security on, as in production), computes the cycle (≈62,000
results), adds a tenant administrator, then:

(a) times every GET route of the URL map that a tenant administrator (or, for the
    platform's own pages, the platform administrator) reaches, with the Flask test
    client, warm (one untimed call first), single user: min / median / max of ``--runs``
    calls (a route slower than ``--slow`` seconds is timed twice only: the big
    report downloads), with the status and the size of the answer;
(b) drives the results API, the results page, the 工作台 (dashboard), a member list page
    and a sheet save with ``--clients`` concurrent clients for ``--seconds`` each against
    gunicorn (``--workers`` sync workers), and in the same run a bare Flask endpoint
    doing one SELECT through Flask-SQLAlchemy, served by the same workers; prints req/s,
    p50, p95, p99 and the throughput's ratio to the bare endpoint's. An authorized read
    (``GET /api/v1/tenants/<id>``: the bearer token looked up, the caller's roles in the
    tenant read, row-level security set, one tenant answered) runs too: the least any
    tenant's API answer does, and so the ceiling of the others' ratios; each scenario's
    throughput is printed as a share of it too (``read``).

``--only`` times the routes whose rule matches a regular expression; ``--scenarios`` drives
only the scenarios of (b) whose name matches one (the bare endpoint and the authorized
read always run).
``--keep NAME`` keeps the built city in the database ``zhibu_bench_NAME`` (files and ids in
``$TMPDIR/zhibu-bench-NAME``) and uses it again on the next run with the same name,
migrated to the code's head first: building the full city takes minutes.

On a shared machine of 2 CPUs use a smaller city (``--branches 500``): the figures say
which size they are for. A CPU reference (a Python loop, best of three) is printed at
start and end; compare runs through it, or through the ratios taken in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import recompute_cycle  # noqa: E402  (the city's builder)

ADMIN, PASSWORD = "bench_admin", "Bench-Passw0rd-城市"


def bench_app(database_url: str | None = None, instance: str | None = None):
    """The app with the benchmark's scheme, and the bare endpoint mounted at ``/bare``
    (a Flask app of its own on the same database, one SELECT through Flask-SQLAlchemy,
    none of Zhibu's hooks). gunicorn's workers build it from the environment."""
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import text
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from zhibu.app import create_app, plugin_registry

    url = database_url or os.environ["BENCH_DATABASE_URL"]
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "ZHIBU_INSTANCE_PATH": instance or os.environ["BENCH_INSTANCE"],
            "SECRET_KEY": "bench",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    plugin_registry(app).schemes["bench"] = recompute_cycle.BENCH
    bare = Flask("bare")
    bare.config["SQLALCHEMY_DATABASE_URI"] = url
    bare_db = SQLAlchemy()
    bare_db.init_app(bare)

    @bare.get("/")
    def one_select():
        return {"one": bare_db.session.execute(text("SELECT 1")).scalar()}

    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/bare": bare})
    return app


def wsgi():
    """``gunicorn 'pages:wsgi()'``."""
    return bench_app()


# -- the data -----------------------------------------------------------------------------


def build(app, admin_url: str, branches: int, per_branch: int) -> dict:
    """The city, its results, an administrator with a bearer token; ids to fill routes."""
    from sqlalchemy import select

    from zhibu.accounts.auth import issue_token
    from zhibu.accounts.passwords import hash_password
    from zhibu.db import db
    from zhibu.evaluations import compute, cycles
    from zhibu.models import EvaluationResult, Member, OrgUnit, RoleAssignment, User
    from zhibu.reports import service as report_service
    from zhibu.tenancy import system_scope, use_scope

    started = time.perf_counter()
    tenant_id, cycle_id = recompute_cycle.build(app, admin_url, branches, per_branch)
    print(
        f"setup: {branches} branches, {branches * per_branch} members loaded in "
        f"{time.perf_counter() - started:.1f} s"
    )
    with app.app_context(), use_scope(system_scope(username="bench")):
        started = time.perf_counter()
        result_set = compute.recompute(cycles.get_cycle(tenant_id, cycle_id))
        print(f"recompute: {result_set.subjects} results in {time.perf_counter() - started:.1f} s")
        admin = User(id=uuid.uuid4(), username=ADMIN, password_hash=hash_password(PASSWORD))
        root = User(
            id=uuid.uuid4(),
            username="bench_root",
            password_hash=hash_password(PASSWORD),
            is_platform_admin=True,
        )
        db.session.add_all([admin, root])
        db.session.flush()
        db.session.add(RoleAssignment(tenant_id=tenant_id, user_id=admin.id, role="tenant_admin"))
        db.session.commit()
        token, _ = issue_token(admin, "bench")
        branch_ids = list(
            db.session.scalars(
                select(OrgUnit.id).where(OrgUnit.tenant_id == tenant_id, OrgUnit.kind == "branch")
            )
        )
        member = db.session.scalar(select(Member).where(Member.tenant_id == tenant_id).limit(1))
        cycle = cycles.get_cycle(tenant_id, cycle_id)
        result = db.session.scalar(
            select(EvaluationResult.id)
            .where(
                EvaluationResult.tenant_id == tenant_id,
                EvaluationResult.result_set_id == compute.current_set(cycle).id,
            )
            .limit(1)
        )
        reports = sorted(report_service.builders_for(cycle))
        return {
            "tenant_id": tenant_id,
            "cycle_id": cycle_id,
            "org_id": branch_ids[0],
            "branches": branch_ids,
            "member_id": member.id,
            "result_id": result,
            "user_id": admin.id,
            "token": token,
            "reports": reports,
        }


# -- (a) every GET route, single user -----------------------------------------------------

SKIP = ("/static", "/api/openapi", "/api/docs", "/logout", "/lang/")


FIXED = {
    "fmt": "xlsx",
    "kind": "org",
    "source": "democratic",
    "track": "branch",
    "old": 1,
    "new": 1,
    "month": "2021-01",
}


def fill(rule, ids: dict, reports: list[str]) -> list[str]:
    """The rule's URLs with the benchmark's ids (a cycle's report: each of its reports, as
    .xlsx and as HTML); none if an argument has no value here."""
    values = {}
    for name in rule.arguments:
        if name == "key":
            values[name] = "bench"
        elif name in ids:
            values[name] = ids[name]
        elif name in FIXED:
            values[name] = FIXED[name]
        else:
            return []
    url = _build(rule, values)
    if "/reports/<string:key>." in rule.rule:
        base = url.rsplit("/", 1)[0]
        return [f"{base}/{key}.{fmt}" for key in reports for fmt in ("xlsx", "html")]
    return [url]


def _build(rule, values: dict) -> str:
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{name}(?:\([^)]*\))?>", str(value), url)
    return url


def time_routes(app, data: dict, runs: int, slow: float, only: str | None = None) -> None:
    from flask.testing import FlaskClient

    client: FlaskClient = app.test_client()
    root = app.test_client()
    login_client(client, ADMIN)
    login_client(root, "bench_root")
    auth = {"Authorization": f"Bearer {data['token']}"}
    ids = {k: v for k, v in data.items() if k not in ("branches", "token", "reports")}
    ids["subject_id"] = data["org_id"]
    rows, skipped = [], []
    targets = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith(SKIP):
            continue
        if only and not re.search(only, rule.rule):
            continue
        urls = fill(rule, ids, data["reports"])
        if not urls:
            skipped.append(rule.rule)
        targets += [(rule, url) for url in urls]
    print(f"\n(a) every GET route an administrator reaches, warm, single user ({runs} runs):")
    print(f"{'route':<78} {'status':>6} {'bytes':>10} {'min':>8} {'median':>8} {'max':>8}")
    for rule, url in targets:
        platform = not rule.rule.startswith(("/t/", "/api/v1/tenants/"))
        who = root if platform and not rule.rule.startswith("/api/") else client
        headers = auth if rule.rule.startswith("/api/") else {}
        answer = who.get(url, headers=headers)  # warm
        shown = f"…/reports/{url.rsplit('/', 1)[1]}" if "/reports/" in url else rule.rule
        if answer.status_code >= 400:
            skipped.append(f"{shown} ({answer.status_code})")
            continue
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = who.get(url, headers=headers)
            times.append(time.perf_counter() - started)
            if times[-1] > slow and len(times) >= 2:
                break
        rows.append((shown, answer.status_code, len(answer.data), times))
        print(
            f"{shown[-78:]:<78} {answer.status_code:>6} {len(answer.data):>10} "
            f"{min(times) * 1000:>7.0f}ms {statistics.median(times) * 1000:>7.0f}ms "
            f"{max(times) * 1000:>7.0f}ms",
            flush=True,
        )
    medians = sorted(statistics.median(t) for _r, _s, _b, t in rows)
    over = [r for r, _s, _b, t in rows if statistics.median(t) > 0.3]
    print(
        f"{len(rows)} routes timed; median of medians {statistics.median(medians) * 1000:.0f} ms;"
        f" slowest {medians[-1] * 1000:.0f} ms; over 300 ms: {len(over)}"
    )
    for rule in over:
        print(f"  over 300 ms: {rule}")
    print(f"not timed ({len(skipped)}): {', '.join(skipped)}")


def login_client(client, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert done.status_code in (302, 303), done.status_code


# -- (b) under load, against gunicorn -----------------------------------------------------


class Server:
    def __init__(self, database_url: str, instance: str, workers: int, port: int) -> None:
        env = dict(os.environ, BENCH_DATABASE_URL=database_url, BENCH_INSTANCE=instance)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH), env.get("PYTHONPATH")]))
        self.port = port
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--log-level",
                "warning",
                "pages:wsgi()",
            ],
            env=env,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _ = request(port, "GET", "/bare/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def request(port: int, method: str, path: str, headers=None, body: bytes | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        data = answer.read()
        return answer.status, (answer, data)
    finally:
        connection.close()


def http_login(port: int) -> str:
    """A page session's cookie, logged in over HTTP as the administrator."""
    status, (answer, data) = request(port, "GET", "/login")
    cookie = answer.getheader("Set-Cookie").split(";")[0]
    token = re.search(rb'name="csrf_token" value="([^"]+)"', data).group(1).decode()
    body = urlencode({"username": ADMIN, "password": PASSWORD, "csrf_token": token}).encode()
    status, (answer, _data) = request(
        port,
        "POST",
        "/login",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        body,
    )
    assert status in (302, 303), status
    return answer.getheader("Set-Cookie").split(";")[0]


def drive(port: int, make_request, clients: int, seconds: float) -> dict:
    """``clients`` threads calling ``make_request(n)`` for ``seconds``: latencies, errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(number: int) -> None:
        n = number
        mine, failed = [], []
        while time.perf_counter() < stop:
            method, path, headers, body = make_request(n)
            n += clients
            started = time.perf_counter()
            try:
                status, _ = request(port, method, path, headers, body)
            except OSError as exc:
                failed.append(str(exc))
                continue
            took = time.perf_counter() - started
            if status >= 400:
                failed.append(str(status))
            else:
                mine.append(took)
        with lock:
            latencies.extend(mine)
            errors.extend(failed)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0

    return {
        "rps": len(latencies) / elapsed,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "n": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def under_load(data: dict, database_url: str, instance: str, args) -> None:
    port = 18000 + os.getpid() % 1000
    server = Server(database_url, instance, args.workers, port)
    try:
        cookie = {"Cookie": http_login(port)}
        bearer = {"Authorization": f"Bearer {data['token']}"}
        t, c = data["tenant_id"], data["cycle_id"]
        branches = data["branches"]
        api = f"/api/v1/tenants/{t}/cycles/{c}"

        def save(n: int):
            body = (
                f'{{"subject_kind": "org", "subject_id": "{branches[n % len(branches)]}", '
                f'"source": "democratic", "score": {60 + n % 40}}}'
            ).encode()
            return "POST", f"{api}/sheets", {**bearer, "Content-Type": "application/json"}, body

        scenarios = {
            "bare endpoint (one SELECT)": lambda n: ("GET", "/bare/", {}, None),
            "authorized read (tenant)": lambda n: ("GET", f"/api/v1/tenants/{t}", bearer, None),
            "results API": lambda n: ("GET", f"{api}/results?page={1 + n % 50}", bearer, None),
            "results page": lambda n: (
                "GET",
                f"/t/{t}/cycles/{c}/results?page={1 + n % 50}",
                cookie,
                None,
            ),
            "dashboard (工作台)": lambda n: ("GET", f"/t/{t}/dashboard", cookie, None),
            "member list page": lambda n: (
                "GET",
                f"/t/{t}/members?page={1 + n % 50}",
                cookie,
                None,
            ),
            "sheet save (API)": save,
        }
        if args.scenarios:  # the ratios are to the bare endpoint; the read is their ceiling
            scenarios = {
                name: make
                for number, (name, make) in enumerate(scenarios.items())
                if number < 2 or re.search(args.scenarios, name)
            }
        found = {}
        for name, make in scenarios.items():
            make(0)
            drive(port, make, 2, 1.0)  # warm each worker's caches
            found[name] = drive(port, make, args.clients, args.seconds)
        base = found["bare endpoint (one SELECT)"]["rps"]
        read = found["authorized read (tenant)"]["rps"]
        print(
            f"\n(b) {args.clients} clients for {args.seconds:.0f} s each against gunicorn "
            f"({args.workers} sync workers); ratio: to the bare endpoint, read: to the "
            "authorized read (the same request's ceiling: token, roles, scope):"
        )
        print(
            f"{'':<28} {'req/s':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'ratio':>6} {'read':>6} "
            f"{'requests':>9} {'errors':>6}"
        )
        for name, f in found.items():
            print(
                f"{name:<28} {f['rps']:>8.1f} {f['p50'] * 1000:>6.0f}ms "
                f"{f['p95'] * 1000:>6.0f}ms {f['p99'] * 1000:>6.0f}ms {f['rps'] / base:>6.2f} "
                f"{f['rps'] / read:>6.2f} {f['n']:>9} {f['errors']:>6} {f['first_error']}"
            )
    finally:
        server.stop()


@contextlib.contextmanager
def city_database(server: str, keep: str | None):
    """(URL, instance folder, whether it existed): a throwaway database and folder, or the
    kept ones named ``keep`` (created on first use, never dropped)."""
    from zhibu.testing import temporary_postgres_database

    if not keep:
        with temporary_postgres_database(server) as url, tempfile.TemporaryDirectory() as folder:
            yield url, folder, False
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from zhibu.testing.servers import APP_ROLE

    name = f"zhibu_bench_{keep}"
    folder = Path(tempfile.gettempdir()) / f"zhibu-bench-{keep}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}
        ).scalar():
            connection.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
        existed = (
            connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            and (folder / "ids.json").exists()
        )
        if not existed:  # new, or a build that did not finish
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" OWNER {APP_ROLE}'))
    admin.dispose()
    folder.mkdir(exist_ok=True)
    url = make_url(server).set(database=name, username=APP_ROLE, password=None)
    yield url.render_as_string(hide_password=False), str(folder), bool(existed)


def vacuumed(admin_url: str) -> None:
    """VACUUM (ANALYZE) the city, as autovacuum keeps a production database: the
    visibility map lets counts be answered from an index alone (the 工作台's active members)
    and the planner has the tables' statistics. A server may run without autovacuum (the
    tests' does); then a freshly built city would be measured as no deployment runs."""
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()
    print(f"VACUUM (ANALYZE) in {time.perf_counter() - started:.1f} s")


def _save_ids(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, default=str))


def _load_ids(path: Path) -> dict:
    data = json.loads(path.read_text())
    for key, value in data.items():
        if key.endswith("_id"):
            data[key] = uuid.UUID(value)
    data["branches"] = [uuid.UUID(b) for b in data["branches"]]
    return data


def main() -> None:
    from flask_migrate import upgrade
    from sqlalchemy.engine import make_url

    from zhibu.testing import require_postgres

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--per-branch", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5, help="timed calls of each route")
    parser.add_argument("--slow", type=float, default=5.0, help="seconds: call once more only")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0, help="per scenario")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-routes", action="store_true", help="skip (a)")
    parser.add_argument("--no-load", action="store_true", help="skip (b)")
    parser.add_argument("--only", help="time only the routes matching this regular expression")
    parser.add_argument(
        "--scenarios", metavar="REGEX", help="drive only the scenarios named so under load"
    )
    parser.add_argument("--keep", metavar="NAME", help="keep the city and use it again")
    args = parser.parse_args()
    server = require_postgres()
    print(recompute_cycle.cpu_reference())
    import zhibu

    print(f"code: {Path(zhibu.__file__).parent}")
    with city_database(server, args.keep) as (url, folder, kept):
        admin_url = (
            make_url(url)
            .set(username=make_url(server).username)
            .render_as_string(hide_password=False)
        )
        app = bench_app(url, folder)
        with app.app_context():
            upgrade(directory=str(BENCH.parent / "migrations"))
        ids_file = Path(folder) / "ids.json"
        if kept:
            data = _load_ids(ids_file)
            print(f"the city kept in {make_url(url).database} is used again")
        else:
            data = build(app, admin_url, args.branches, args.per_branch)
            if args.keep:
                _save_ids(ids_file, data)
        vacuumed(admin_url)
        if not args.no_routes:
            time_routes(app, data, args.runs, args.slow, args.only)
        with app.app_context():
            from zhibu.db import db

            db.engine.dispose()
        if not args.no_load:
            under_load(data, url, folder, args)
    print(recompute_cycle.cpu_reference())


if __name__ == "__main__":
    main()
