"""Pages served by the app itself: home, login and logout, idle timeout, health check."""

import re
import time
import uuid

from zhibu.accounts.passwords import hash_password
from zhibu.db import db
from zhibu.models import RoleAssignment, Tenant, TenantScheme, User
from zhibu.tenancy import system_scope, use_scope


def _user(app, username="secretary", password="correct horse battery"):
    """A user with a role in tenant T1 only (T2 exists too)."""
    with app.app_context(), use_scope(system_scope()):
        user = User(id=uuid.uuid4(), username=username, password_hash=hash_password(password))
        tenant = Tenant(id=uuid.uuid4(), code="T1", name="第一学院党委")
        tenant.schemes.append(TenantScheme(tenant_id=tenant.id, scheme_key="akesu_college"))
        db.session.add_all([user, tenant, Tenant(code="T2", name="别的单位")])
        db.session.add(RoleAssignment(tenant_id=tenant.id, user_id=user.id, role="assessor"))
        db.session.commit()
    return username, password


def _token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)


def _login(client, username, password):
    data = {"username": username, "password": password, "csrf_token": _token(client)}
    return client.post("/login", data=data)


def test_home_shows_no_scheme_internals(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/login"' in page.text
    for internal in ("dujiangyan_quantified", "akesu_college", ".txt"):
        assert internal not in page.text  # keys and seed files: the plugins' documentation
    assert "第一学院党委" not in page.text  # tenants only after login


def test_login_shows_tenants_and_logout_ends_the_session(app, client):
    username, password = _user(app)
    response = _login(client, username, password)
    assert response.status_code == 302
    home = client.get("/")
    assert "第一学院党委" in home.text and "样板党支部建设·评星定级" in home.text
    assert "akesu_college" not in home.text  # the scheme by its title, not its key
    assert "别的单位" not in home.text  # a tenant the user has no role in
    client.post("/logout", data={"csrf_token": _token(client)})
    assert "第一学院党委" not in client.get("/").text


def test_wrong_password_is_refused(app, client):
    username, _ = _user(app)
    response = _login(client, username, "nope")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_an_idle_session_times_out(app, client):
    username, password = _user(app)
    _login(client, username, password)
    idle = app.config["ZHIBU_SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session["seen"] = time.time() - idle - 1
    page = client.get("/")
    assert "会话已超时" in page.text
    assert "第一学院党委" not in page.text


def test_stylesheet_is_served_locally(client):
    page = client.get("/")
    assert "/static/zhibu/zhibu.css" in page.text
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")
    assert client.get("/static/zhibu/zhibu.css").status_code == 200


def test_health_check_reports_the_database(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    checks = response.json["checks"]
    assert (checks["database"], checks["jobs"]) == ("ok", "inline")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # the suite connects as the tables' owner (test_runtime_role.py as a runtime role)
        expected = "enforced, but the app's role owns the tables: give it a runtime role"
    else:
        expected = "not applicable"
    assert checks["row_level_security"] == expected


def test_login_without_the_csrf_token_is_refused(app, client):
    username, password = _user(app)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert "页面已过期" in client.get(response.location).text
    assert "第一学院党委" not in client.get("/").text


def test_login_returns_to_the_page_asked_for(app, client):
    username, password = _user(app)
    data = {"username": username, "password": password, "csrf_token": _token(client)}
    response = client.post("/login?next=/t/x/", data=data)
    assert response.location == "/t/x/"
    elsewhere = client.post(
        "/login?next=//evil.example/", data=data | {"csrf_token": _token(client)}
    )
    assert elsewhere.location.startswith("/t/")  # not there: the user's own landing page
