"""Sessions end on the server: logout and a password change end every session of the user
(a copied cookie is worth nothing afterwards), a password change revokes every token; the
password policy; the security headers and the session cookie's flags."""

import re

import pytest
from world import PASSWORD

from zhibu.db import db
from zhibu.models import User
from zhibu.tenancy import system_scope, use_scope


def token_of(page) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def login(client, username="admin_a", password=PASSWORD):
    form = client.get("/login")
    data = {"username": username, "password": password, "csrf_token": token_of(form)}
    return client.post("/login", data=data)


def logged_in(client) -> bool:
    return 'action="/logout"' in client.get("/").text


def copy_session(source, target) -> None:
    """What a thief does with a captured cookie: send it from elsewhere."""
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def test_a_cookie_captured_before_logout_is_refused_after_it(app, world):
    mine, thief = app.test_client(), app.test_client()
    assert login(mine).status_code == 302
    copy_session(mine, thief)
    assert logged_in(thief)  # the captured cookie works while the session lasts
    mine.post("/logout", data={"csrf_token": token_of(mine.get("/"))})
    assert not logged_in(mine)
    page = thief.get("/")
    assert 'action="/logout"' not in page.text and "您已退出登录或更改了密码" in page.text
    assert thief.get(f"/api/v1/tenants/{world.id('A')}/orgs").status_code == 401


def test_logout_ends_every_session_of_the_user_and_no_one_elses(app, world):
    office, home, other = app.test_client(), app.test_client(), app.test_client()
    login(office)
    login(home)
    login(other, "assessor_a")
    office.post("/logout", data={"csrf_token": token_of(office.get("/"))})
    assert not logged_in(home)
    assert logged_in(other)
    login(home)  # a new login opens a new session
    assert logged_in(home)


def test_a_password_change_ends_sessions_and_revokes_every_token(app, client, world):
    browser = app.test_client()
    login(browser, "member_a")
    second = client.post(
        "/api/v1/auth/tokens", json={"username": "member_a", "password": PASSWORD}
    ).json["token"]
    changed = client.post(
        "/api/v1/me/password",
        json={"current": PASSWORD, "new": "Moonlit harbour 42"},
        headers=world.headers["member_a"],
    )
    assert changed.status_code == 204
    for token in (world.headers["member_a"]["Authorization"], f"Bearer {second}"):
        assert client.get("/api/v1/me", headers={"Authorization": token}).status_code == 401
    assert not logged_in(browser)
    assert login(browser, "member_a").status_code == 401  # the old password is gone
    assert login(browser, "member_a", "Moonlit harbour 42").status_code == 302
    others = client.get("/api/v1/me", headers=world.headers["admin_b"])
    assert others.status_code == 200  # another user's token is untouched


def test_a_disabled_account_loses_its_session(app, world):
    browser = app.test_client()
    login(browser, "assessor_a")
    with app.app_context(), use_scope(system_scope()):
        db.session.get(User, world.ids["assessor_a"]).active = False
        db.session.commit()
    assert not logged_in(browser)


# -- the password policy ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "至少 10 位"),
        ("1234567890", "不能全是数字"),
        ("password12", "常见密码"),
        ("Password12", "常见密码"),
        ("qwertyuiop", "常见密码"),
        ("woaini5201314", "常见密码"),
        ("member_a_2024!", "不能包含用户名"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, world, password, problem):
    refused = client.post(
        "/api/v1/me/password",
        json={"current": PASSWORD, "new": password},
        headers=world.headers["member_a"],
    )
    assert refused.status_code == 422, refused.json
    assert problem in refused.json["errors"]["new"][0]
    assert "/" not in refused.json["message"]  # one language, not "中文 / English"


def test_the_policy_speaks_the_users_language(client, world):
    client.get("/lang/en")
    refused = client.post(
        "/api/v1/me/password",
        json={"current": PASSWORD, "new": "password12"},
        headers=world.headers["member_a"],
    )
    assert refused.json["errors"]["new"] == [
        "This is a common password, easily guessed: choose another."
    ]


def test_complexity_when_asked_and_a_good_password_passes(app, client, world):
    app.config["ZHIBU_PASSWORD_COMPLEXITY"] = True
    url, headers = "/api/v1/me/password", world.headers["member_a"]
    simple = client.post(url, json={"current": PASSWORD, "new": "allletterslong"}, headers=headers)
    assert simple.status_code == 422 and "三类" in simple.json["message"]
    ok = client.post(url, json={"current": PASSWORD, "new": "Better-pass-1"}, headers=headers)
    assert ok.status_code == 204
    login = client.post(
        "/api/v1/auth/tokens", json={"username": "member_a", "password": "Better-pass-1"}
    )
    assert login.status_code == 201


def test_new_accounts_get_the_policy_too(client, world):
    body = {
        "username": "sec9",
        "password": "1234567890",
        "roles": [{"role": "assessor"}],
    }
    url = f"/api/v1/tenants/{world.id('A')}/users"
    refused = client.post(url, json=body, headers=world.headers["admin_a"])
    assert refused.status_code == 400 and "不能全是数字" in str(refused.json["errors"])


# -- headers and the cookie ---------------------------------------------------------------


def test_pages_and_api_answers_carry_the_security_headers(app, client, world):
    login(client)
    answers = {
        "page": client.get(f"/t/{world.id('A')}/admin/", follow_redirects=True),
        "login": client.get("/login"),
        "api": client.get("/api/v1/me", headers=world.headers["admin_a"]),
        "error": client.get("/api/v1/me"),
        "docs": client.get("/api/docs"),
    }
    for name, answer in answers.items():
        headers = answer.headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, name
        assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
        assert headers["X-Frame-Options"] == "DENY", name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "same-origin", name
        assert headers["Cache-Control"] == "no-store", name
    stylesheet = client.get("/static/zhibu/zhibu.css")
    assert "no-store" not in stylesheet.headers.get("Cache-Control", "")
    assert stylesheet.headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_carries_inline_script():
    """The policy allows the app's own script files only: every template keeps its code
    in static files (an inline script or handler would be blocked by the browser)."""
    from pathlib import Path

    import zhibu

    roots = [Path(zhibu.__file__).parent, Path(__file__).parents[1] / "plugins"]
    templates = [p for root in roots for p in root.rglob("templates/**/*.html")]
    assert len(templates) > 20
    for template in templates:
        text = template.read_text(encoding="utf-8")
        for script in re.findall(r"<script\b[^>]*>", text):
            data = 'type="application/json"' in script  # a data block: never run
            assert "src=" in script or data, f"inline <script> in {template}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline handler in {template}"
        assert "javascript:" not in text, template


def test_the_session_cookie_is_secure_unless_turned_off(app, world):
    browser = app.test_client()
    cookie = login(browser).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.config["SESSION_COOKIE_SECURE"] = False  # ZHIBU_SECURE_COOKIES=false (make demo)
    plain = login(app.test_client()).headers["Set-Cookie"]
    assert "Secure" not in plain and "HttpOnly" in plain


def test_secure_cookies_are_the_default_and_a_setting(tmp_path):
    from zhibu.config import build_config

    assert build_config(tmp_path, None, {})["SESSION_COOKIE_SECURE"] is True
    off = build_config(tmp_path, None, {"ZHIBU_SECURE_COOKIES": "false"})
    assert off["SESSION_COOKIE_SECURE"] is False
