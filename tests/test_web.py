"""Pages served by the app itself: home, login and logout, idle timeout, health check."""

import time

from zhibu.accounts.passwords import hash_password
from zhibu.db import db
from zhibu.models import Tenant, TenantScheme, User


def _user(app, username="secretary", password="correct horse battery"):
    with app.app_context():
        db.session.add(User(username=username, password_hash=hash_password(password)))
        db.session.add(
            Tenant(
                code="T1", name="第一学院党委", schemes=[TenantScheme(scheme_key="akesu_college")]
            )
        )
        db.session.commit()
    return username, password


def test_home_lists_the_loaded_schemes(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "样板党支部建设·评星定级" in page.text
    assert "dujiangyan_quantified" in page.text
    assert "第一学院党委" not in page.text  # tenants only after login


def test_login_shows_tenants_and_logout_ends_the_session(app, client):
    username, password = _user(app)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302
    home = client.get("/")
    assert "第一学院党委" in home.text and "akesu_college" in home.text
    client.post("/logout")
    assert "第一学院党委" not in client.get("/").text


def test_wrong_password_is_refused(app, client):
    username, _ = _user(app)
    response = client.post("/login", data={"username": username, "password": "nope"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_an_idle_session_times_out(app, client):
    username, password = _user(app)
    client.post("/login", data={"username": username, "password": password})
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


def test_health_check_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "jobs": "inline"}}
