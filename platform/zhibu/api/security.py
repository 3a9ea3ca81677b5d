"""Who is calling (bearer token or page session) and what they may do in a tenant.

Every tenant endpoint starts with :func:`authorize`, which also sets the request's scope:
the scoping layer then filters every query to that tenant.
"""

from __future__ import annotations

import uuid

from flask import g, request
from flask_smorest import abort
from sqlalchemy import false

from zhibu.accounts.access import TenantAccess, access_for
from zhibu.accounts.auth import user_for_token
from zhibu.db import db
from zhibu.models import User
from zhibu.tenancy.scope import set_scope

NEEDS = ("read", "score", "registry", "admin")
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
            abort(401, message="the bearer token is unknown, expired or revoked")
    elif request.method in SAFE_METHODS and getattr(g, "user", None) is not None:
        user = g.user  # a logged-in page session may read the API (see authorize)
        g.api_session = True
    if user is None:
        abort(
            401,
            message="log in first: POST /api/v1/auth/tokens, then send "
            "'Authorization: Bearer <token>'",
        )
    g.api_user = user
    return user


def require_platform_admin() -> User:
    user = current_user()
    if not user.is_platform_admin:
        abort(403, message="only a platform administrator may do this")
    set_scope_for_platform(user)
    return user


def set_scope_for_platform(user: User) -> None:
    from zhibu.tenancy.scope import system_scope

    set_scope(system_scope(username=user.username, user_id=user.id), db.session())


def authorize(tenant_id: uuid.UUID, need: str = "read") -> TenantAccess:
    """The caller's access to the tenant, or 404 (cannot see it) / 403 (cannot do this).

    :param need: ``read``, ``score`` (enter score sheets), ``registry`` (edit orgs and
        members) or ``admin``.
    """
    assert need in NEEDS, need
    user = current_user()
    access = access_for(user, tenant_id)
    if access is None:
        abort(404, message=f"no tenant {tenant_id}")
    if g.get("api_session") and not access.whole_tree:
        # a page session reads a tenant's API only with the whole tree in view (admins,
        # assessors, overseers): the API's reads are not narrowed to a branch or a member
        abort(403, message="use the pages, or a bearer token: POST /api/v1/auth/tokens")
    if need == "score" and not access.can_score:
        abort(403, message=_refusal(access, "enter scores"))
    if need == "registry" and not access.can_write_registry:
        abort(403, message=_refusal(access, "edit the org tree or the roster"))
    if need == "admin" and not access.is_admin:
        abort(403, message=_refusal(access, "administer this tenant"))
    set_scope(access.scope(), db.session())
    g.access = access
    return access


def _refusal(access: TenantAccess, what: str) -> str:
    if access.overseer or access.roles == {"overseer"}:
        return f"oversight is read-only: an overseer cannot {what}"
    return f"your roles ({', '.join(sorted(access.roles)) or 'none'}) cannot {what}"


def require_reach(access: TenantAccess, org_id: uuid.UUID) -> None:
    """403 unless the unit is within the caller's part of the tree."""
    from zhibu.errors import Forbidden
    from zhibu.orgs.service import get_org

    if not access.within(get_org(access.tenant_id, org_id).path):
        raise Forbidden("this unit is outside your part of the tree", field="org_id")


def within_reach(access: TenantAccess, query, org_column):
    """``query`` limited to units within the caller's part of the tree (none without a
    subtree: a member)."""
    if access.whole_tree:
        return query
    if not access.subtrees:
        return query.where(false())
    from zhibu.models import OrgUnit
    from zhibu.orgs.service import subtree_query

    units = subtree_query(access.tenant_id, access.subtrees).with_only_columns(OrgUnit.id)
    return query.where(org_column.in_(units))


def subjects_visible(access: TenantAccess, kind_column, id_column):
    """A condition on (subject kind, subject id) columns: the results and sheets the
    caller may read — everything for the tenant's own staff who see the whole tree; units
    only for an overseer (no member's results leave the tenant); a branch secretary's
    units and their members; a member's own. Published or not is checked by the caller."""
    from sqlalchemy import and_, or_, select, true

    from zhibu.models import Member, OrgUnit
    from zhibu.orgs.service import subtree_query

    if access.whole_tree and access.personal_data:
        return true()
    if access.whole_tree:  # an overseer
        return kind_column == "org"
    own = and_(kind_column == "member", id_column.in_(list(access.member_ids)))
    if not access.subtrees:
        return own if access.member_ids else false()
    units = subtree_query(access.tenant_id, access.subtrees).with_only_columns(OrgUnit.id)
    members = select(Member.id).where(
        Member.tenant_id == access.tenant_id, Member.org_id.in_(units)
    )
    return or_(
        and_(kind_column == "org", id_column.in_(units)),
        and_(kind_column == "member", id_column.in_(members)),
        own,
    )


def require_staff(access: TenantAccess) -> None:
    """403 unless the caller sees the whole tenant (its staff, or an overseer): reports
    and jobs span every unit."""
    if not access.whole_tree:
        abort(403, message="only the tenant's staff and its overseers read this")
