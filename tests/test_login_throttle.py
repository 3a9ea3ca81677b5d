"""Failed logins: a per-address throttle, a lockout per account and address that looks
like any other refusal, and an account-wide limit for guessing spread over many addresses.
The page login and the API's token endpoint count the same failures."""

import re
import threading
import uuid

import pytest
from world import PASSWORD

from zhibu.accounts import auth
from zhibu.db import db
from zhibu.models import User
from zhibu.tenancy import system_scope, use_scope

REFUSED = "用户名或密码错误,或失败次数过多暂时不能登录,请稍后再试。"


def token_login(client, username, password, address):
    return client.post(
        "/api/v1/auth/tokens",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def page_login(client, username, password, address):
    form = client.get("/login", environ_base={"REMOTE_ADDR": address})
    token = re.search(r'name="csrf-token" content="([^"]+)"', form.text).group(1)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def random_address() -> str:
    """An address of its own for each test run (the Redis counters are shared by runs)."""
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


def test_an_address_that_fails_too_often_must_wait(app, client, world):
    app.config["ZHIBU_LOGIN_ADDRESS_MAX_FAILURES"] = 5
    names = ["admin_a", "nobody", "assessor_a", "ghost", "member_a"]
    for name in names:
        assert token_login(client, name, "guess-guess", "10.0.0.1").status_code == 401
    blocked = token_login(client, "admin_a", PASSWORD, "10.0.0.1")
    assert blocked.status_code == 429, blocked.json
    assert 0 < int(blocked.headers["Retry-After"]) <= 600
    assert "登录失败次数过多" in blocked.json["message"]
    page = page_login(app.test_client(), "admin_a", PASSWORD, "10.0.0.1")
    assert page.status_code == 429 and "登录失败次数过多" in page.text  # pages count too
    assert token_login(client, "admin_a", PASSWORD, "10.0.0.2").status_code == 201


def test_a_locked_account_looks_like_a_wrong_password(app, client, world, monkeypatch):
    """Unknown name, wrong password, locked account: one message and one password check
    each (the same time), so neither the answer nor its time tells them apart."""
    app.config["ZHIBU_LOGIN_MAX_FAILURES"] = 3
    checks = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checks.append(h) or real_verify(h, p))

    def attempt(username, password, address="10.0.1.1"):
        checks.clear()
        answer = token_login(client, username, password, address)
        assert len(checks) == 1, f"{len(checks)} password checks for {username}"
        return answer

    unknown = attempt("nobody", "guess-guess")
    wrong = [attempt("assessor_a", f"guess-{i}") for i in range(3)]
    locked = attempt("assessor_a", PASSWORD)
    for answer in (unknown, *wrong, locked):
        assert answer.status_code == 401 and answer.json["message"] == REFUSED
    assert set(unknown.json) == set(locked.json)
    # the lock holds for the address that failed, not for the account's owner elsewhere
    assert attempt("assessor_a", PASSWORD, "10.0.1.2").status_code == 201
    page = page_login(app.test_client(), "assessor_a", PASSWORD, "10.0.1.1")
    assert page.status_code == 401 and REFUSED in page.text


def test_guessing_from_many_addresses_locks_the_account_everywhere(app, client, world):
    app.config.update(ZHIBU_LOGIN_MAX_FAILURES=3, ZHIBU_LOGIN_ACCOUNT_MAX_FAILURES=4)
    for n in range(4):
        assert token_login(client, "member_a", "guess-guess", f"10.0.2.{n}").status_code == 401
    elsewhere = token_login(client, "member_a", PASSWORD, "10.0.2.99")
    assert elsewhere.status_code == 401 and elsewhere.json["message"] == REFUSED
    with app.app_context(), use_scope(system_scope()):
        user = db.session.get(User, world.ids["member_a"])
        assert user.locked_until is not None  # an administrator sees it, and can clear it
        user.locked_until = None
        db.session.commit()
    assert token_login(client, "member_a", PASSWORD, "10.0.2.99").status_code == 201


def test_a_good_login_forgets_the_failures_of_its_address_only(app, client, world):
    app.config.update(ZHIBU_LOGIN_MAX_FAILURES=3, ZHIBU_LOGIN_ADDRESS_MAX_FAILURES=5)
    for _ in range(2):
        token_login(client, "admin_a", "typo-typo", "10.0.3.1")
    assert token_login(client, "admin_a", PASSWORD, "10.0.3.1").status_code == 201
    for _ in range(2):  # two more typos do not lock: the good login started the count again
        token_login(client, "admin_a", "typo-typo", "10.0.3.1")
    assert token_login(client, "admin_a", PASSWORD, "10.0.3.1").status_code == 201
    # ... but the address's own count goes on: the fifth failure, whatever came between
    token_login(client, "admin_a", "typo-typo", "10.0.3.1")
    assert token_login(client, "admin_a", PASSWORD, "10.0.3.1").status_code == 429


def test_ipv6_addresses_are_counted_by_their_network():
    from zhibu.accounts.throttle import address_key

    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:3::5") != address_key("2001:db8:1:2::5")
    assert address_key("::ffff:10.1.2.3") == "10.1.2.3"
    assert address_key(None) == address_key("garbage") == "unknown"


@pytest.mark.redis
def test_web_processes_share_the_counts_through_redis(app, world, redis_url, tmp_path):
    """Two apps on one database and one Redis — two gunicorn workers — count together."""
    from zhibu.testing.fixtures import make_test_app

    settings = {"ZHIBU_REDIS_URL": redis_url, "ZHIBU_LOGIN_ADDRESS_MAX_FAILURES": 4}
    app.config.update(settings)
    other = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "other", **settings)
    address = random_address()
    for client in (app.test_client(), other.test_client()) * 2:
        assert token_login(client, "nobody", "guess-guess", address).status_code == 401
    for client in (app.test_client(), other.test_client()):
        assert token_login(client, "admin_a", PASSWORD, address).status_code == 429
    with other.app_context():
        db.engine.dispose()


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_failures_at_once_are_all_counted(app, world, redis_url):
    """Eight wrong passwords sent at once from one address, four allowed: afterwards the
    address waits, whatever order they were counted in."""
    from zhibu.accounts.throttle import login_throttle

    app.config.update(ZHIBU_REDIS_URL=redis_url, ZHIBU_LOGIN_ADDRESS_MAX_FAILURES=4)
    address, start, answers = random_address(), threading.Barrier(8), []

    def guess(n: int) -> None:
        client = app.test_client()
        start.wait()
        answers.append(token_login(client, "admin_a", f"guess-{n}", address).status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(set(answers)) <= [401, 429] and answers.count(401) >= 4
    with app.app_context():
        assert login_throttle().address_wait(address) > 0
    assert token_login(app.test_client(), "admin_a", PASSWORD, address).status_code == 429
