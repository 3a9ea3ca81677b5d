"""The home page, login and logout, the language switch, each tenant's role home."""

from __future__ import annotations

import time
import uuid

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
from flask_babel import gettext as _
from sqlalchemy import select

from zhibu.accounts.access import access_for, visible_tenant_ids
from zhibu.accounts.auth import LoginError, LoginThrottled, authenticate, end_sessions
from zhibu.db import db
from zhibu.models import Tenant, User
from zhibu.tenancy.scope import Scope, set_scope, system_scope, use_scope
from zhibu.web import account, i18n
from zhibu.web.common import (
    ROLE_NAMES,
    best_first,
    flag_name,
    grade_name,
    line_text,
    period_name,
    rule_name,
    star_name,
    status_name,
)
from zhibu.web.guard import page_access, register_page_errors, safe_next

bp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/zhibu",
)
register_page_errors(bp)


def init_session_timeout(app: Flask) -> None:
    """A session ends after ``ZHIBU_SESSION_IDLE_MINUTES`` idle, and in any case
    ``ZHIBU_SESSION_MAX_HOURS`` after login (``login_at``); then the user logs in again.
    It ends at once when the user logs out anywhere or changes the password (the session's
    ``sv`` is no longer the user's ``session_version``) or the account is disabled."""

    @app.before_request
    def load_user() -> None:
        g.user = None
        user_id = session.get("user_id")
        if not user_id:
            return
        idle_limit = app.config["ZHIBU_SESSION_IDLE_MINUTES"] * 60
        max_age = app.config["ZHIBU_SESSION_MAX_HOURS"] * 3600
        now = time.time()
        if now - session.get("seen", 0) > idle_limit or now - session.get("login_at", 0) > max_age:
            _end_session(_("会话已超时,请重新登录。"))
            return
        user = db.session.get(User, _uuid(user_id))
        if user is None or not user.active or session.get("sv") != user.session_version:
            _end_session(_("您已退出登录或更改了密码,请重新登录。"))
            return
        session["seen"] = now
        g.user = user
        set_scope(_page_scope(g.user), db.session())


def _end_session(message: str) -> None:
    """Forget the session's user (the language stays) and say why."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(message)


def _page_scope(user: User) -> Scope:
    """Until a tenant page narrows it (guard.page_access): what the user can see. A tenant
    page's own check comes first, so it starts with nothing visible (no look-up of every
    tenant the user sees, no scope sent to PostgreSQL before the tenant's own)."""
    if user.is_platform_admin:
        return system_scope(username=user.username, user_id=user.id)
    if "tenant_id" in (request.view_args or {}):
        return Scope(user_id=user.id, username=user.username)
    return Scope.for_tenants(
        visible_tenant_ids(user) or [], user_id=user.id, username=user.username
    )


def _uuid(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@bp.get("/")
def index():
    tenants = []
    if g.user is not None and g.user.is_platform_admin:
        return redirect(url_for("platform.tenants"))  # their home lists the tenants
    if g.user is not None:
        query = select(Tenant).order_by(Tenant.code)
        visible = visible_tenant_ids(g.user)
        if visible is not None:
            query = query.where(Tenant.id.in_(visible))
        tenants = [(t, access_for(g.user, t.id)) for t in db.session.scalars(query)]
    return render_template("index.html", tenants=tenants, role_names=ROLE_NAMES)


@bp.get("/t/<uuid:tenant_id>/")
def tenant_home(tenant_id: uuid.UUID):
    """Each role's page in the tenant: 组织部 and overseers the dashboard, an assessor the
    score sheets, a branch secretary the branch, a member their own results."""
    access = page_access(tenant_id)
    if "overseer" in access.roles and not access.is_admin:
        return redirect(url_for("oversight.dashboard", tenant_id=tenant_id))
    if access.is_admin or access.overseer:
        return redirect(url_for("admin.dashboard", tenant_id=tenant_id))
    if "assessor" in access.roles:
        return redirect(url_for("sheets.index", tenant_id=tenant_id))
    if access.subtrees:
        return redirect(url_for("branch.home", tenant_id=tenant_id))
    return redirect(url_for("member.home", tenant_id=tenant_id))


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = safe_next(request.values.get("next"), "")  # none: the user's landing page
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            user = authenticate(username, password, request.remote_addr)
        except LoginError as exc:
            flash(str(exc))
            status, headers = 401, {}
            if isinstance(exc, LoginThrottled):
                status, headers = 429, {"Retry-After": str(exc.retry_after)}
            page = render_template("login.html", username=username, next=target)
            return page, status, headers
        lang = session.get("lang")
        session.clear()
        now = time.time()
        session.update(user_id=str(user.id), sv=user.session_version, seen=now, login_at=now)
        if lang:
            session["lang"] = lang
        return account.after_login(user, target)
    return render_template("login.html", username="", next=target)


@bp.post("/logout")
def logout():
    """Log out everywhere: every session of the user ends, not only this cookie (a copy of
    it, captured or left on another machine, is worth nothing afterwards)."""
    if g.user is not None:
        with use_scope(system_scope(username=g.user.username, user_id=g.user.id)):
            end_sessions(g.user)
            db.session.commit()
    session.clear()
    return redirect(url_for("pages.login"))


@bp.get("/lang/<code>")
def language(code: str):
    return i18n.switch_language(code)


def _stars(value) -> str:
    return "—" if value is None else "★" * value + "☆" * max(0, 5 - value)


def _level(result) -> str:
    if result is None:
        return "—"
    if result.stars is not None:
        return star_name(result.stars)
    return grade_name(result.grade) if result.grade else "—"


def _points(value) -> str:
    return "—" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


FILTERS = {
    "stars": _stars,
    "level": _level,
    "points": _points,
    "level_of_stars": star_name,
    "flag_name": flag_name,
    "status_name": status_name,
    "grade_name": grade_name,
    "best_first": best_first,
    "period_name": period_name,
    "line_text": line_text,
    "rule_name": rule_name,
}
