"""The home page, login and logout."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    Flask,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from zhibu.accounts.passwords import verify_password
from zhibu.app import plugin_registry
from zhibu.db import db
from zhibu.models import Tenant, User

bp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/zhibu",
)


def init_session_timeout(app: Flask) -> None:
    @app.before_request
    def load_user() -> None:
        g.user = None
        user_id = session.get("user_id")
        if not user_id:
            return
        idle_limit = app.config["ZHIBU_SESSION_IDLE_MINUTES"] * 60
        now = time.time()
        if now - session.get("seen", 0) > idle_limit:
            session.clear()
            flash("会话已超时,请重新登录 / session timed out")
            return
        session["seen"] = now
        g.user = db.session.get(User, _uuid(user_id))


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@bp.get("/")
def index():
    registry = plugin_registry()
    tenants = []
    if g.user is not None:
        tenants = db.session.scalars(select(Tenant).order_by(Tenant.code)).all()
    return render_template("index.html", schemes=list(registry.schemes.values()), tenants=tenants)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None or not user.active or not verify_password(user.password_hash, password):
            flash("用户名或密码错误 / wrong user name or password")
            return render_template("login.html", username=username), 401
        session.clear()
        session["user_id"] = str(user.id)
        session["seen"] = time.time()
        return redirect(url_for("pages.index"))
    return render_template("login.html", username="")


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("pages.login"))
