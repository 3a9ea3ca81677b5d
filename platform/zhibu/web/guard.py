"""The per-tenant check every tenant page starts with, for the logged-in session user.

The same policy as the API's :func:`zhibu.api.security.authorize`
(:mod:`zhibu.accounts.policy`): 404 for a tenant the user cannot see at all, 403 for what
their role cannot do; then the request's scope is narrowed to that one tenant, so every
query of the page sees nothing of another tenant.
"""

from __future__ import annotations

import uuid
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from zhibu.accounts import policy
from zhibu.accounts.access import TenantAccess
from zhibu.db import db
from zhibu.errors import Forbidden, NotFound, ServiceError
from zhibu.models import Tenant
from zhibu.tenancy.scope import TenantScopeError, set_scope

OVERSIGHT = frozenset({"overseer", "oversight"})  # roles that only ever read


class LoginRequired(Exception):
    """No user in the session: the page sends them to the login form."""


def page_access(tenant_id: uuid.UUID, need: str = "read") -> TenantAccess:
    """The session user's access to the tenant if the policy grants ``need``
    (:func:`zhibu.accounts.policy.check`); its refusal becomes the login form, a 404 or a
    403 page with the policy's reason. Sets the tenant scope."""
    try:
        access = policy.check(g.get("user"), tenant_id, need)
    except policy.LoginNeeded:
        raise LoginRequired from None
    except NotFound:
        abort(404)
    except Forbidden as refused:
        g.refusal = refused.message
        abort(403)
    set_scope(access.scope(), db.session())
    g.access = access
    g.tenant = access.tenant or db.session.get(Tenant, tenant_id)
    return access


def tenant_page(need: str = "read", **by_method: str):
    """Decorate a view taking ``tenant_id``: checks access first (``g.access``). A view
    serving several methods may need more for some (``tenant_page("whole_tree",
    POST="admin")``)."""

    def decorate(view):
        @wraps(view)
        def checked(tenant_id: uuid.UUID, **kwargs):
            page_access(tenant_id, by_method.get(request.method, need))
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
        message = g.get("refusal") or _("您的角色不能进行此操作。")
        own = g.get("refusal") is None and g.get("access") is not None
        if own and policy.roles_of(g.access) <= OVERSIGHT:
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
