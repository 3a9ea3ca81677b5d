"""The per-tenant check every tenant page starts with, for the logged-in session user.

The same rules as the API's :func:`zhibu.api.security.authorize`: 404 for a tenant the
user cannot see at all, 403 for what their role cannot do; then the request's scope is
narrowed to that one tenant, so every query of the page sees nothing of another tenant.
"""

from __future__ import annotations

import uuid
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from zhibu.accounts.access import TenantAccess, access_for
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.models import Tenant
from zhibu.tenancy.scope import TenantScopeError, set_scope

NEEDS = {
    "read": lambda a: True,
    "score": lambda a: a.can_score,
    "registry": lambda a: a.can_write_registry,
    "admin": lambda a: a.is_admin,
    # the roster: the whole tree or a secretary's part of it, never for overseers
    "roster": lambda a: a.personal_data and (a.whole_tree or bool(a.subtrees)),
    "whole_tree": lambda a: a.whole_tree,
}


class LoginRequired(Exception):
    """No user in the session: the page sends them to the login form."""


def page_access(tenant_id: uuid.UUID, need: str = "read") -> TenantAccess:
    """The session user's access to the tenant, or 404 / 403; sets the tenant scope."""
    if g.get("user") is None:
        raise LoginRequired
    access = access_for(g.user, tenant_id)
    if access is None:
        abort(404)
    if not NEEDS[need](access):
        abort(403)
    set_scope(access.scope(), db.session())
    g.access = access
    g.tenant = db.session.get(Tenant, tenant_id)
    return access


def tenant_page(need: str = "read"):
    """Decorate a view taking ``tenant_id``: checks access first (``g.access``)."""

    def decorate(view):
        @wraps(view)
        def checked(tenant_id: uuid.UUID, **kwargs):
            page_access(tenant_id, need)
            return view(tenant_id=tenant_id, **kwargs)

        return checked

    return decorate


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site (where to go after login, a language
    switch, a job), else ``default``. Refused: control characters and backslashes (browsers
    drop the one and read the other as "/", so ``/\\evil`` or ``/%09/evil`` leave the
    site), a scheme or host, and anything not starting with exactly one "/"."""
    if not target or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def wants_json() -> bool:
    """The request comes from a page's script (it sends or asks for JSON)."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


def login_needed_json():
    """401 for a script whose session timed out (or never was), with where to log in."""
    answer = {"message": _("会话已超时,请重新登录。"), "reason": "login", "errors": {}}
    return answer | {"login": url_for("pages.login")}, 401


def register_page_errors(bp) -> None:
    """HTML answers for the errors a page may meet (the API answers JSON for its own)."""

    @bp.errorhandler(LoginRequired)
    def _login(exc):
        if wants_json():
            return login_needed_json()
        return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))

    @bp.errorhandler(403)
    def _forbidden(exc):
        message = _("您的角色不能进行此操作。")
        if g.get("access") is not None and g.access.overseer:
            message = _("监督单位只能查看,不能修改。")
        return render_template("error.html", code=403, message=message), 403

    @bp.errorhandler(404)
    def _not_found(exc):
        return render_template("error.html", code=404, message=_("没有找到该页面。")), 404

    @bp.errorhandler(ServiceError)
    def _refused(exc: ServiceError):
        db.session.rollback()
        if wants_json():
            return exc.as_dict(), exc.status
        return render_template("error.html", code=exc.status, message=exc.message), exc.status

    @bp.errorhandler(TenantScopeError)
    def _scope(exc):
        db.session.rollback()
        return render_template("error.html", code=403, message=str(exc)), 403
