"""Benchmark of failed logins against gunicorn with several workers (not a test).

    .venv/bin/python bench/login_throttle.py [--workers 3] [--runs 15]

Creates a throwaway PostgreSQL database with two accounts and starts gunicorn (``--workers``
processes) on it with the local Redis for the counters, behind a pretend proxy
(``ZHIBU_TRUSTED_PROXIES=1``: each attempt names its address in ``X-Forwarded-For``, so a
run has addresses of its own on a shared Redis). Then:

(a) the issue's attack: 40 user names tried one after the other from one address, as fast
    as the server answers — how many were checked before the address had to wait (429);
(b) the time of a refusal, ``--runs`` times each: an unknown user name, a wrong password,
    a locked account (its right password, from the address that locked it), and a good
    login for reference, taking turns — min / median / max, and each median's ratio to the wrong
    password's. The server runs every worker's requests through the same counters, so (a)
    also shows they are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from zhibu.accounts.passwords import hash_password
from zhibu.db import db
from zhibu.models import User
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing import redis_url, temporary_postgres_database
from zhibu.testing.fixtures import make_test_app

PASSWORD = "Harbour lights 2024"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def cpu_reference() -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - start)
    return best


def address() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


def attempt(base: str, username: str, password: str, source: str) -> tuple[int, float]:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        base + "/api/v1/auth/tokens",
        data=body,
        headers={"Content-Type": "application/json", "X-Forwarded-For": source},
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status = answer.status
    except urllib.error.HTTPError as refused:
        status = refused.code
    return status, time.perf_counter() - start


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=10)
            return
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def seed(url: str, folder: Path) -> None:
    app = make_test_app(url, folder, SECRET_KEY="bench")
    with app.app_context(), use_scope(system_scope()):
        for name in ("alice", "bob"):
            db.session.add(User(username=name, password_hash=hash_password(PASSWORD)))
        db.session.commit()
        db.engine.dispose()


def attack(base: str) -> None:
    source, answers = address(), []
    start = time.perf_counter()
    for n in range(40):
        answers.append(attempt(base, f"user{n:02d}", "guess-guess", source)[0])
    seconds = time.perf_counter() - start
    checked = answers.count(401)
    first_wait = answers.index(429) + 1 if 429 in answers else None
    print(
        f"(a) 40 user names from one address in {seconds:.2f} s: {checked} checked (401), "
        f"{answers.count(429)} told to wait (429, first at attempt {first_wait})"
    )


def timings(base: str, runs: int) -> None:
    locked_from = address()
    for _ in range(5):
        attempt(base, "bob", "guess-guess", locked_from)
    cases = {
        "unknown name": lambda: attempt(base, f"nobody{uuid.uuid4().hex[:6]}", "x" * 12, address()),
        "wrong password": lambda: attempt(base, "alice", "guess-guess", address()),
        "locked account": lambda: attempt(base, "bob", PASSWORD, locked_from),
        "good login": lambda: attempt(base, "alice", PASSWORD, address()),
    }
    answers: dict[str, list[tuple[int, float]]] = {name: [] for name in cases}
    for _ in range(runs):  # the cases take turns, so the machine's drift touches all alike
        for name, run in cases.items():
            answers[name].append(run())
    measured = {
        name: ([seconds for _, seconds in got], sorted({status for status, _ in got}))
        for name, got in answers.items()
    }
    reference = statistics.median(measured["wrong password"][0])
    print(f"(b) {runs} runs each        min    median     max   ratio  status")
    for name, (times, statuses) in measured.items():
        median = statistics.median(times)
        print(
            f"    {name:<16}{min(times) * 1000:7.1f}{median * 1000:9.1f}{max(times) * 1000:8.1f}"
            f" ms {median / reference:5.2f}×  {statuses}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"CPU reference (2M-step Python loop, best of 3): {cpu_reference():.3f} s")
    with temporary_postgres_database() as url, tempfile.TemporaryDirectory() as folder:
        seed(url, Path(folder))
        port = 20000 + uuid.uuid4().int % 20000
        env = {
            **os.environ,
            "ZHIBU_DATABASE_URL": url,
            "ZHIBU_REDIS_URL": redis_url(),
            "ZHIBU_SECRET_KEY": "bench",
            "ZHIBU_INSTANCE_PATH": folder,
            "ZHIBU_TRUSTED_PROXIES": "1",
        }
        command = [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]
        server = subprocess.Popen(
            [*command, "zhibu.wsgi:app"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(os.environ.get("BENCH_LOG", os.devnull), "w"),  # noqa: SIM115
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(base + "/healthz")
            print(f"gunicorn, {args.workers} workers, PostgreSQL, counters in Redis")
            attack(base)
            timings(base, args.runs)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"CPU reference (end): {cpu_reference():.3f} s")


if __name__ == "__main__":
    main()
