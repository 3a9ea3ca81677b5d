"""`make demo`'s steps, as a user runs them: migrate, load the demo, serve, and log in with
every printed login, each landing on its role's page."""

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
TENANTS = ("阿克苏职业技术学院党委", "示范县委组织部", "示范集团公司党委", "都江堰市委组织部")
STAFF = ("管理员", "考核员", "支部书记", "党员")
HEADINGS = {  # a role's first page, by its heading
    "平台管理员": "单位管理",
    "管理员": "工作台",
    "考核员": "评分表",
    "支部书记": "本支部",
    "党员": "我的考评",
    "监督员": "监督总览",
}


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


def logins_of(out: str) -> list[dict[str, str]]:
    """The rows of the table ``zhibu demo`` prints (columns apart by two spaces or more)."""
    lines = out[out.index("角色") :].splitlines()
    header = re.split(r"\s{2,}", lines[0].strip())
    assert header == ["角色", "单位", "用户名", "密码", "首页"], header
    keys = ("role", "tenant", "username", "password", "page")
    return [dict(zip(keys, re.split(r"\s{2,}", line.strip()), strict=True)) for line in lines[1:]]


def _log_in(base: str, login: dict[str, str]) -> tuple[str, str]:
    """Log in on the form as a person does: the page landed on (its path) and its text."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form_page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page).group(1)
    fields = {"username": login["username"], "password": login["password"], "csrf_token": token}
    answer = opener.open(base + "/login", data=urllib.parse.urlencode(fields).encode(), timeout=10)
    return urllib.parse.urlsplit(answer.geturl()).path, answer.read().decode()


def test_demo_prints_every_roles_login_and_each_lands_on_its_page(tmp_path):
    env = {**os.environ, "ZHIBU_INSTANCE_PATH": str(tmp_path)}
    env.pop("ZHIBU_DATABASE_URL", None)
    subprocess.run([ZHIBU, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    out = subprocess.run(
        [ZHIBU, "demo", "--base-url", base], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert "26 个党支部" in out  # the college of akesu_college's demo data
    logins = logins_of(out)
    held = {(x["role"], x["tenant"]) for x in logins}
    assert {(role, tenant) for role in STAFF for tenant in TENANTS} <= held
    overseers = {("监督员", "示范县委组织部"), ("监督员", "都江堰市委组织部")}
    assert overseers | {("平台管理员", "—")} <= held
    assert len({x["password"] for x in logins}) == len(logins)  # one password each
    assert (tmp_path / "zhibu.sqlite3").exists() and (tmp_path / "secret_key").exists()

    server = subprocess.Popen(
        [ZHIBU, "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(base + "/healthz")
        for login in logins:
            landed, text = _log_in(base, login)
            assert landed == urllib.parse.urlsplit(login["page"]).path, login
            heading = HEADINGS[login["role"]]
            if login["role"] == "支部书记" and login["tenant"] == "示范县委组织部":
                heading = "本单位"  # a township's 组织委员: the branches under the township
            assert f"<h1>{heading}" in text, login
            if login["role"] == "监督员" and login["tenant"] == "示范县委组织部":
                assert "阿克苏职业技术学院党委" in text and "示范集团公司党委" in text
            if login["role"] == "监督员" and login["tenant"] == "都江堰市委组织部":
                assert "示范县委组织部" in text
            if login["role"] == "党员":  # a cycle shown or 进行中, or why there is none
                assert "还没有您的考评结果" not in text, login
                county = login["tenant"] == "示范县委组织部"  # it rates branches only
                assert ("不对党员个人评定等次" in text) == county, login
                assert ("进行中" in text) != county, login
            if login["role"] == "平台管理员":
                assert all(name in text for name in TENANTS)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_again_changes_only_the_passwords(zhibu_app):
    from sqlalchemy import func, select

    from zhibu.accounts.passwords import verify_password
    from zhibu.db import db
    from zhibu.demo import load_demo
    from zhibu.models import OversightLink, RoleAssignment, Tenant, TenantScheme, User
    from zhibu.plugins import registry
    from zhibu.tenancy import system_scope, use_scope

    def counts():
        return [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Tenant, TenantScheme, User, RoleAssignment, OversightLink)
        ]

    with zhibu_app.app_context(), use_scope(system_scope()):
        first = load_demo()
        before = counts()
        again = load_demo()
        assert counts() == before and before[:2] == [len(registry().schemes)] * 2 and before[4] == 3
        assert [x.username for x in first.logins] == [x.username for x in again.logins]
        for old, new in zip(first.logins, again.logins, strict=True):
            user = db.session.scalar(select(User).where(User.username == new.username))
            assert verify_password(user.password_hash, new.password)
            assert new.password != old.password
            assert not verify_password(user.password_hash, old.password)


def test_demo_cycles_are_named_in_chinese(zhibu_app):
    """A cycle's label heads every page and report title (整改台账-<label>): in the demo it
    reads as Chinese, no English round key like ``2021Q3-internal``."""
    from sqlalchemy import select

    from zhibu.db import db
    from zhibu.demo import load_demo
    from zhibu.models import Cycle
    from zhibu.tenancy import system_scope, use_scope

    with zhibu_app.app_context(), use_scope(system_scope()):
        load_demo()
        labels = db.session.scalars(select(Cycle.label)).all()
    assert "2021年第三季度内部观摩" in labels
    assert not [label for label in labels if re.search(r"[A-Za-z]", label)], labels
