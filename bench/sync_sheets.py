"""Benchmark of a phone syncing its offline score sheets (issue 25; not a test).

    .venv/bin/python bench/sync_sheets.py [--sheets 50] [--runs 5] [--workers 2]

Creates a throwaway PostgreSQL database with a college of ``--sheets`` branches, its 2021
cycle in the assessment phase and an assessor, and starts gunicorn on it (``--workers``
processes, the evidence files on the local disk). The assessor logs in over HTTP, as the
page does. Then, ``--runs`` times over, taking turns:

(a) the sync: every branch's sheet sent to ``/offline/sync`` (a client id each, a deduction
    with its reason, based on what the server holds), then one ~200 KB JPEG photo per
    sheet to ``/offline/photos`` — three requests at a time, as the page sends them;
(b) the baseline, in the same run: the same sheets saved through the online sheet page's
    form (``POST …/sheets/org/<id>/assessment_team``, its JSON answer), no photos.

It prints min / median / max of each, the ratio of the medians, the photos' size, and a CPU
reference (a Python loop, best of three) at start and end. The issue asks for (a) under
10 s on the local server.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from zhibu.accounts.passwords import hash_password
from zhibu.db import db
from zhibu.evaluations import cycles
from zhibu.models import OrgUnit, RoleAssignment, Tenant, TenantScheme, User
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing import temporary_postgres_database
from zhibu.testing.fixtures import make_test_app

PASSWORD = "Harbour lights 2024"
AT_ONCE = 3  # requests in flight at a time, as offline.js sends them
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


def seed(url: str, folder: Path, branches: int) -> tuple[str, str, list[str]]:
    """The tenant, its open cycle and its branches' ids."""
    app = make_test_app(url, folder, SECRET_KEY="bench")
    with app.app_context(), use_scope(system_scope()):
        tenant = Tenant(id=uuid.uuid4(), code="BENCH", name="示范学院党委", kind="college")
        db.session.add(tenant)
        db.session.flush()
        db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key="akesu_college"))
        root = uuid.uuid4()
        db.session.add(
            OrgUnit(
                tenant_id=tenant.id,
                id=root,
                code="DW",
                name="党委",
                kind="committee",
                path=f"/{root.hex}/",
                depth=0,
            )
        )
        ids = []
        for n in range(branches):
            unit = uuid.uuid4()
            ids.append(str(unit))
            db.session.add(
                OrgUnit(
                    tenant_id=tenant.id,
                    id=unit,
                    code=f"Z{n:03d}",
                    name=f"第{n + 1}党支部",
                    kind="branch",
                    parent_id=root,
                    path=f"/{root.hex}/{unit.hex}/",
                    depth=1,
                )
            )
        user = User(id=uuid.uuid4(), username="assessor", password_hash=hash_password(PASSWORD))
        db.session.add(user)
        db.session.flush()
        db.session.add(RoleAssignment(tenant_id=tenant.id, user_id=user.id, role="assessor"))
        db.session.commit()
        cycle = cycles.open_cycle(tenant, "akesu_college", "2021")
        cycles.advance(cycle, "assessment")
        found = (str(tenant.id), str(cycle.id), ids)
        db.engine.dispose()
    return found


class Session:
    """A browser's session: cookies, the CSRF token of the last page."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = ""

    def page(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as answer:
            text = answer.read().decode()
        found = re.search(r'name="csrf-token" content="([^"]+)"', text)
        self.token = found.group(1) if found else self.token
        return text

    def login(self) -> None:
        self.page("/login")
        form = {"username": "assessor", "password": PASSWORD, "csrf_token": self.token}
        self.post(
            "/login", urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
        )

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base + path,
            data=body,
            headers={
                "Content-Type": content_type,
                "X-CSRFToken": self.token,
                "Accept": "application/json",
            },
        )
        try:
            with self.opener.open(request, timeout=60) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()


def photo(size: int = 200_000) -> bytes:
    """A JPEG of about ``size`` bytes (noise compresses little, as a photo's detail)."""
    rng = random.Random(25)
    side = 300
    while True:
        image = Image.frombytes(
            "RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3))
        )
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
        if out.tell() >= size:
            return out.getvalue()
        side += 20


def multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def sync(session: Session, tenant: str, cycle: str, branches: list[str], jpeg: bytes, run: int):
    bundle = json.loads(session.page(f"/t/{tenant}/offline/bundle.json?cycle={cycle}"))
    stored = {
        s["subject_id"]: (s["stored"] or {}).get("digest", "")
        for s in bundle["sheets"]
        if s["source"] == "assessment_team"
    }

    def one_sheet(n: int, branch: str) -> None:
        body = {
            "client_id": str(uuid.uuid4()),
            "cycle_id": cycle,
            "kind": "org",
            "subject_id": branch,
            "source": "assessment_team",
            "based_on": stored[branch],
            "deductions": [{"item": "A1", "points": 1 + (run + n) % 5, "reason": "台账缺页"}],
        }
        status, answer = session.post(
            f"/t/{tenant}/offline/sync", json.dumps(body).encode(), "application/json"
        )
        assert status == 200, (status, answer[:300])

    def one_photo(branch: str) -> None:
        fields = {
            "client_id": str(uuid.uuid4()),
            "cycle_id": cycle,
            "subject_id": branch,
            "source": "assessment_team",
            "indicator": "A1",
        }
        status, answer = session.post(
            f"/t/{tenant}/offline/photos", *multipart(fields, "A1.jpg", jpeg)
        )
        assert status == 200, (status, answer[:300])

    start = time.perf_counter()
    with ThreadPoolExecutor(AT_ONCE) as pool:
        list(pool.map(one_sheet, range(len(branches)), branches))
    sheets_done = time.perf_counter()
    with ThreadPoolExecutor(AT_ONCE) as pool:
        list(pool.map(one_photo, branches))
    end = time.perf_counter()
    return end - start, sheets_done - start, end - sheets_done


def baseline(session: Session, tenant: str, cycle: str, branches: list[str], run: int) -> float:
    start = time.perf_counter()
    for n, branch in enumerate(branches):
        form = {"d-A1": str(1 + (run + n + 1) % 5), "r-A1": "台账缺页", "csrf_token": session.token}
        status, answer = session.post(
            f"/t/{tenant}/cycles/{cycle}/sheets/org/{branch}/assessment_team",
            urllib.parse.urlencode(form).encode(),
            "application/x-www-form-urlencoded",
        )
        assert status == 200, (status, answer[:300])
    return time.perf_counter() - start


def spread(label: str, seconds: list[float]) -> float:
    middle = statistics.median(seconds)
    print(f"{label:<52} min {min(seconds):6.2f}  median {middle:6.2f}  max {max(seconds):6.2f} s")
    return middle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"CPU reference (2M-step Python loop, best of 3): {cpu_reference():.3f} s")
    jpeg = photo()
    with temporary_postgres_database() as url, tempfile.TemporaryDirectory() as folder:
        tenant, cycle, branches = seed(url, Path(folder), args.sheets)
        port = 20000 + uuid.uuid4().int % 20000
        env = {
            **os.environ,
            "ZHIBU_DATABASE_URL": url,
            "ZHIBU_SECRET_KEY": "bench",
            "ZHIBU_INSTANCE_PATH": folder,
            "ZHIBU_SECURE_COOKIES": "0",
        }
        env.pop("ZHIBU_REDIS_URL", None)
        command = [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]
        server = subprocess.Popen(
            [*command, "zhibu.wsgi:app"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(os.environ.get("BENCH_LOG", os.devnull), "w"),  # noqa: SIM115
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=10)
                    break
                except (urllib.error.URLError, OSError):
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            session = Session(base)
            session.login()
            session.page(f"/t/{tenant}/offline")
            synced, saved, parts = [], [], []
            for run in range(args.runs):
                total, sheets_part, photos_part = sync(session, tenant, cycle, branches, jpeg, run)
                synced.append(total)
                parts.append((sheets_part, photos_part))
                saved.append(baseline(session, tenant, cycle, branches, run))
            print(
                f"gunicorn, {args.workers} workers, PostgreSQL; {args.sheets} sheets, "
                f"photos of {len(jpeg) / 1024:.0f} KB, {args.runs} runs"
            )
            a = spread(f"(a) sync {args.sheets} sheets + {args.sheets} photos", synced)
            spread("    of which the sheets", [p[0] for p in parts])
            spread("    of which the photos", [p[1] for p in parts])
            b = spread(f"(b) baseline: {args.sheets} sheets by the page's form", saved)
            print(
                f"ratio (a) / (b): {a / b:.2f}; (a) per sheet with its photo: "
                f"{a / args.sheets * 1000:.0f} ms"
            )
            files = sum(1 for p in Path(folder, "evidence").rglob("*") if p.is_file())
            print(f"evidence files on disk (photos and thumbnails): {files}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"CPU reference (end): {cpu_reference():.3f} s")


if __name__ == "__main__":
    main()
