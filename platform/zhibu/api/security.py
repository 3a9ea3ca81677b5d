"""Who is calling (bearer token or page session) and what they may do in a tenant.

Every tenant endpoint starts with :func:`authorize`, which asks the one policy the pages ask
too (:mod:`zhibu.accounts.policy`) and sets the request's scope: the scoping layer then
filters every query to that tenant.
"""

from __future__ import annotations

import uuid

from flask import g, request
from flask_smorest import abort

from zhibu.accounts import policy
from zhibu.accounts.access import TenantAccess
from zhibu.accounts.auth import user_for_token
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.i18n import _
from zhibu.models import User
from zhibu.tenancy.scope import set_scope

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_user() -> User:
    """The caller; 401 when there is none. Writes need a bearer token (no CSRF via cookies)."""
    if "api_user" in g:
        return g.api_user
    token = bearer_token()
    user = None
    if token:
        user = user_for_token(token)
        if user is None:
            abort(401, message=_("访问令牌无效、已过期或已被撤销,请重新登录。"))
    elif request.method in SAFE_METHODS and getattr(g, "user", None) is not None:
        user = g.user  # a logged-in page session may read the API (see authorize)
        g.api_session = True
    if user is None:
        abort(
            401,
            message=_(
                "请先登录:POST /api/v1/auth/tokens 取得令牌,"
                "再在请求头中发送 Authorization: Bearer <令牌>。"
            ),
        )
    g.api_user = user
    return user


def require_platform_admin() -> User:
    user = _allowed(lambda: policy.check_platform(current_user()))
    set_scope_for_platform(user)
    return user


def set_scope_for_platform(user: User) -> None:
    from zhibu.tenancy.scope import system_scope

    set_scope(system_scope(username=user.username, user_id=user.id), db.session())


def authorize(tenant_id: uuid.UUID, need: str = "read") -> TenantAccess:
    """The caller's access to the tenant, or 404 (cannot see it) / 403 (cannot do this),
    as :func:`zhibu.accounts.policy.check` decides; then the request's scope is the tenant.

    :param need: a permission of :data:`zhibu.accounts.policy.PERMISSIONS` (``read``,
        ``whole_tree``, ``roster``, ``registry``, ``score``, ``ledger``, ``admin`` …).
    """
    user, session, known = current_user(), bool(g.get("api_session")), g.get("access")
    if known is not None and known.tenant_id == tenant_id and known.user.id == user.id:
        access = _allowed(lambda: policy.require(known, need, by_session=session))
    else:  # not yet looked up in this request (authorize_tenant_first looks it up)
        access = _allowed(lambda: policy.check(user, tenant_id, need, by_session=session))
    set_scope(access.scope(), db.session())
    g.access = access
    return access


def _allowed(decide):
    """What the policy decides, its refusal turned into the API's JSON answer."""
    try:
        return decide()
    except ServiceError as refused:
        abort(refused.status, message=refused.message)


def authorize_tenant_first() -> None:
    """Before a tenant's endpoint reads its body: a caller who may not see the tenant at
    all is answered 401 or 404 whatever they sent (the endpoint then checks its own
    permission)."""
    args = request.view_args or {}
    if request.path.startswith("/api/") and isinstance(args.get("tenant_id"), uuid.UUID):
        authorize(args["tenant_id"])


def require_reach(access: TenantAccess, org_id: uuid.UUID, need: str = "score") -> None:
    """403 unless ``need`` reaches the unit (404 if the tenant has no such unit)."""
    policy.unit_in_reach(access, need, org_id)


within_reach = policy.within_reach
subjects_visible = policy.subjects_visible
