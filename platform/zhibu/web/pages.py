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

from zhibu.accounts.access import visible_tenant_ids
from zhibu.accounts.auth import LoginError, authenticate
from zhibu.app import plugin_registry
from zhibu.db import db
from zhibu.models import Tenant, User
from zhibu.tenancy.scope import Scope, set_scope, system_scope

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
        if g.user is not None:
            set_scope(_page_scope(g.user), db.session())


def _page_scope(user: User) -> Scope:
    """Pages read what the user can see; writes go through the API's per-tenant checks."""
    if user.is_platform_admin:
        return system_scope(username=user.username, user_id=user.id)
    return Scope.for_tenants(
        visible_tenant_ids(user) or [], user_id=user.id, username=user.username
    )


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
        query = select(Tenant).order_by(Tenant.code)
        visible = visible_tenant_ids(g.user)
        if visible is not None:
            query = query.where(Tenant.id.in_(visible))
        tenants = db.session.scalars(query).all()
    return render_template("index.html", schemes=list(registry.schemes.values()), tenants=tenants)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            user = authenticate(username, password)
        except LoginError as exc:
            flash(str(exc))
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
