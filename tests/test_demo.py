"""`make demo`'s steps, as a user runs them: migrate, load the demo, serve, log in."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ZHIBU = str(Path(sys.executable).with_name("zhibu"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_demo_serves_a_page_and_the_printed_login_works(tmp_path):
    env = {**os.environ, "ZHIBU_INSTANCE_PATH": str(tmp_path)}
    env.pop("ZHIBU_DATABASE_URL", None)
    subprocess.run([ZHIBU, "db", "upgrade"], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [ZHIBU, "demo"], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert "26 个党支部" in out  # the college of akesu_college's demo data
    found = re.search(r"user: (\S+)\s+password: (\S+)", out)
    assert found, out
    username, password = found.groups()
    assert (tmp_path / "zhibu.sqlite3").exists() and (tmp_path / "secret_key").exists()

    port = _free_port()
    server = subprocess.Popen(
        [ZHIBU, "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        login_page = opener.open(base + "/login", timeout=10).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
        fields = {"username": username, "password": password, "csrf_token": token}
        form = urllib.parse.urlencode(fields).encode()
        home = opener.open(base + "/login", data=form, timeout=10).read().decode()
        assert "阿克苏职业技术学院党委" in home
        assert "都江堰市委组织部" in home
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_again_changes_only_the_password(zhibu_app):
    from sqlalchemy import func, select

    from zhibu.accounts.passwords import verify_password
    from zhibu.db import db
    from zhibu.demo import load_demo
    from zhibu.models import Tenant, TenantScheme, User
    from zhibu.plugins import registry
    from zhibu.tenancy import system_scope, use_scope

    with zhibu_app.app_context(), use_scope(system_scope()):
        load_demo(password="first-password")
        counts = (
            db.session.scalar(select(func.count()).select_from(Tenant)),
            db.session.scalar(select(func.count()).select_from(TenantScheme)),
        )
        login = load_demo()
        schemes = len(registry().schemes)  # the four, and any other plugin's installed
        assert counts == (schemes, schemes) and schemes >= 4
        assert counts == (
            db.session.scalar(select(func.count()).select_from(Tenant)),
            db.session.scalar(select(func.count()).select_from(TenantScheme)),
        )
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        assert verify_password(admin.password_hash, login.password)
        assert not verify_password(admin.password_hash, "first-password")
