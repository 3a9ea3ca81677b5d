"""One's own account: where each role lands after login, and the password page.

A password someone else chose (a new account's, an administrator's reset) must be
changed before anything else: until it is, every page leads to ``/password``. An account
deactivated while its session is open is logged out at its next request.
"""

from __future__ import annotations

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

from zhibu.accounts import service
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.models import RoleAssignment, Tenant
from zhibu.tenancy.scope import system_scope, use_scope
from zhibu.web.guard import (
    LoginRequired,
    login_needed_json,
    register_page_errors,
    safe_next,
    wants_json,
)

bp = Blueprint("account", __name__)
register_page_errors(bp)

# each role's page in a tenant, where it lands (pages.tenant_home sends it there)
ROLE_PAGES = {
    "tenant_admin": "admin.dashboard",
    "assessor": "sheets.index",
    "branch_secretary": "branch.home",
    "member": "member.home",
    "overseer": "oversight.dashboard",
}

# what a user who must change their password may still reach
OPEN_ENDPOINTS = {"account.password", "pages.logout", "pages.language", "pages.static", "static"}


def landing(user) -> str:
    """Where a user goes after login when no page was asked for: the platform
    administrator to the tenant list; a user with roles in one tenant to their role's page
    there (工作台, 本支部, 我的考评, 监督总览, 评分表); anyone else to the list of their
    units."""
    if user.is_platform_admin:
        return url_for("platform.tenants")
    with use_scope(system_scope(username=user.username, user_id=user.id)):
        tenants = list(
            db.session.scalars(
                select(Tenant.id)
                .where(
                    Tenant.active,
                    Tenant.id.in_(
                        select(RoleAssignment.tenant_id).where(RoleAssignment.user_id == user.id)
                    ),
                )
                .limit(2)
            )
        )
    if len(tenants) == 1:
        return url_for("pages.tenant_home", tenant_id=tenants[0])
    return url_for("pages.index")


OVERSIGHT_BACK = "oversight_back"  # the session's last 监督总览: tenant, year, county …


def oversight_home(user) -> str:
    """Where an overseer reading an overseen tenant goes back to: the 监督总览 they looked
    at last (its year, the county they drilled into, its order), if they still oversee
    from that tenant; else the 监督总览 of the tenant they oversee from, or the list of
    their units when they oversee from several."""
    with use_scope(system_scope(username=user.username, user_id=user.id)):
        tenants = list(
            db.session.scalars(
                select(RoleAssignment.tenant_id)
                .where(RoleAssignment.user_id == user.id, RoleAssignment.role == "overseer")
                .distinct()
            )
        )
    last = session.get(OVERSIGHT_BACK) or {}
    if last.get("tenant") in {str(t) for t in tenants}:
        query = {k: str(v) for k, v in (last.get("query") or {}).items()}
        return url_for("oversight.dashboard", tenant_id=last["tenant"], **query)
    if len(tenants) == 1:
        return url_for("oversight.dashboard", tenant_id=tenants[0])
    return url_for("pages.index")


def first_page(login) -> str:
    """The full address of a demo login's first page (``login.role`` in
    ``login.tenant_id``; the tenant list for the platform administrator)."""
    if login.tenant_id is None:
        return url_for("platform.tenants", _external=True)
    return url_for(ROLE_PAGES[login.role], tenant_id=login.tenant_id, _external=True)


def after_login(user, target: str):
    """The answer to a successful login: the page asked for, else the user's landing
    page; by way of the password page when the password must be changed first."""
    target = target or landing(user)
    if user.must_change_password:
        return redirect(url_for("account.password", next=target))
    return redirect(target)


def init_account(app: Flask) -> None:
    """After the session's user is loaded: a deactivated account's session ends, and a
    password to change comes before any other page."""

    @app.before_request
    def password_first():
        user = g.get("user")
        if user is None or request.path.startswith("/api/"):
            return None
        if not user.active:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            g.user = None
            if wants_json():
                return login_needed_json()
            flash(_("账号已停用,请联系本单位管理员。"))
            return redirect(url_for("pages.login"))
        if not user.must_change_password or request.endpoint in OPEN_ENDPOINTS:
            return None
        if request.endpoint and request.endpoint.startswith("health."):
            return None
        if wants_json():
            message = _("请先修改初始密码。")
            return {"message": message, "reason": "password", "errors": {}}, 403
        asked = request.full_path.rstrip("?") if request.method == "GET" else ""
        return redirect(url_for("account.password", next=asked or None))


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change one's own password (the current one is asked; the policy applies)."""
    if g.get("user") is None:
        raise LoginRequired
    target = safe_next(request.values.get("next"), "")
    if request.method == "POST":
        new, again = request.form.get("new", ""), request.form.get("again", "")
        try:
            if new != again:
                raise ServiceError(_("两次输入的新密码不一致。"), field="again")
            service.change_own_password(g.user, request.form.get("current", ""), new)
        except ServiceError as exc:
            db.session.rollback()
            return _form(target, exc), exc.status
        # every other session of the user has ended; the one that changed it goes on
        with use_scope(system_scope(username=g.user.username, user_id=g.user.id)):
            session["sv"] = g.user.session_version
        flash(_("密码已修改。"))
        return redirect(target or landing(g.user))
    return _form(target, None)


def _form(target: str, error: ServiceError | None):
    from flask import current_app

    return render_template(
        "account/password.html",
        next=target,
        error=error,
        forced=g.user.must_change_password,
        minimum=current_app.config["ZHIBU_PASSWORD_MIN_LENGTH"],
    )
