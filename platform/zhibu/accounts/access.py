"""What a user may do in a tenant, from their roles there and oversight links."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from sqlalchemy import and_, select

from zhibu.db import db
from zhibu.models import OrgUnit, OversightLink, RoleAssignment, Tenant, User
from zhibu.tenancy.scope import Scope, system_scope, use_scope

# phases (models.PHASES) in which a cycle's results are published: from 结果公示 on
PUBLISHED_PHASES = ("publicity", "final")


@dataclass(frozen=True)
class TenantAccess:
    """A user's standing in one tenant.

    :param roles: roles held in the tenant itself (empty when access is by oversight only).
    :param subtrees: org paths of a branch secretary's units: all they may write, and all
        they may read unless another role (assessor, admin) lets them read the whole tree.
    :param member_ids: the members a ``member`` role may see (themselves).
    :param overseer: reads the tenant through an oversight link, without editing it;
        units' results and aggregates, no member's results, incidents or personal data.
    """

    tenant_id: uuid.UUID
    user: User
    roles: frozenset[str]
    subtrees: tuple[str, ...] = ()
    member_ids: frozenset[uuid.UUID] = frozenset()
    overseer: bool = False
    # the tenant's row as the lookup read it (pages show its name): not read again
    tenant: Tenant | None = field(default=None, compare=False, repr=False)

    # What the roles allow is decided by zhibu.accounts.policy (one table for the pages, the
    # API and the services); these are its answers under the names templates and older
    # callers use.

    @property
    def platform_admin(self) -> bool:
        return self.user.is_platform_admin

    @property
    def is_admin(self) -> bool:
        return _policy().allows(self, "admin")

    @property
    def whole_tree(self) -> bool:
        """Sees every unit and member (not confined to a subtree or to oneself)."""
        return _policy().allows(self, "whole_tree")

    def reaches(self, path: str) -> bool:
        """The unit at ``path`` is within the caller's part of the tree (a branch
        secretary's subtrees; everything for whoever sees the whole tree)."""
        return self.whole_tree or not self.subtrees or self.within(path)

    def within(self, path: str) -> bool:
        """Strictly within the caller's part of the tree: the whole tree, or one of a branch
        secretary's subtrees. Unlike :meth:`reaches`, no subtrees means no unit at all (a
        member)."""
        return self.whole_tree or any(path.startswith(root) for root in self.subtrees)

    def sees_results(self, phase: str) -> bool:
        """May see a cycle's results in ``phase`` (:func:`policy.sees_results`)."""
        return _policy().sees_results(self, phase)

    @property
    def can_write_registry(self) -> bool:
        return _policy().allows(self, "registry")

    @property
    def can_score(self) -> bool:
        """May enter score sheets (assessors; secretaries for their self-assessment)."""
        return _policy().allows(self, "score")

    @property
    def personal_data(self) -> bool:
        """May see members' personal data (birth date, phone, …)."""
        return _policy().allows(self, "personal_data")

    def may(self, permission: str) -> bool:
        """Whether the policy grants ``permission`` (for templates: ``g.access.may(…)``)."""
        return _policy().allows(self, permission)

    def scope(self) -> Scope:
        writes = [self.tenant_id] if _policy().writes(self) else []
        return Scope.for_tenants(
            [self.tenant_id], writes, user_id=self.user.id, username=self.user.username
        )


def _policy():
    from zhibu.accounts import policy  # the policy reads TenantAccess: imported when used

    return policy


def system_access(tenant_id: uuid.UUID, username: str = "system") -> TenantAccess:
    """A command, a demo or a scenario acting in the tenant as its administrator would
    (the platform administrator, never stored: no user row)."""
    user = User(id=uuid.UUID(int=0), username=username, is_platform_admin=True)
    return TenantAccess(tenant_id, user, frozenset({"tenant_admin"}))


def access_for(user: User, tenant_id: uuid.UUID) -> TenantAccess | None:
    """The user's access to the tenant, or None when they may not see it at all.

    Looked up under the tenant's own scope (what the request will read anyway), not the
    all-tenant key: the user's role assignments in other tenants (an overseer's) are read
    through row-level security's own-rows policy (``zhibu.user_id``, migration 0017) and
    past the app's tenant filter, always with the user's id as a predicate. So PostgreSQL
    gets the request's scope in one statement (:func:`zhibu.tenancy.scope.ensure_scope`)."""
    with use_scope(_lookup_scope(user, tenant_id)):
        tenant, assignments = _tenant_and_roles(user, tenant_id)
        if tenant is None:
            return None
        if user.is_platform_admin:
            return TenantAccess(tenant_id, user, frozenset({"tenant_admin"}), tenant=tenant)
        if not tenant.active:
            return None  # a disabled tenant is closed to its users; its data stays
        if assignments:
            return replace(_from_assignments(tenant_id, user, assignments), tenant=tenant)
        if _oversees(user, tenant_id):
            return TenantAccess(tenant_id, user, frozenset(), overseer=True, tenant=tenant)
        return None


def _tenant_and_roles(user: User, tenant_id: uuid.UUID) -> tuple[Tenant | None, list]:
    """The tenant and the user's role assignments in it, in one statement (every request
    to a tenant's page or API asks)."""
    rows = db.session.execute(
        select(Tenant, RoleAssignment)
        .outerjoin(
            RoleAssignment,
            and_(RoleAssignment.tenant_id == Tenant.id, RoleAssignment.user_id == user.id),
        )
        .where(Tenant.id == tenant_id)
    ).all()
    if not rows:
        return None, []
    return rows[0][0], [assignment for _tenant, assignment in rows if assignment is not None]


def _lookup_scope(user: User, tenant_id: uuid.UUID) -> Scope:
    """Read the tenant, write nothing; the user's own role rows readable everywhere."""
    return Scope.for_tenants([tenant_id], user_id=user.id, username=user.username)


_OWN_ROWS = {"zhibu_unscoped": True}  # the user's own role rows, any tenant (user_id = …)


def _from_assignments(tenant_id, user, assignments) -> TenantAccess:
    roles = frozenset(a.role for a in assignments)
    org_ids = [a.org_id for a in assignments if a.role == "branch_secretary"]
    subtrees: tuple[str, ...] = ()
    if org_ids:  # what a secretary may write, even when another role lets them read more
        subtrees = tuple(
            db.session.scalars(
                select(OrgUnit.path).where(OrgUnit.tenant_id == tenant_id, OrgUnit.id.in_(org_ids))
            )
        )
    members = frozenset(a.member_id for a in assignments if a.role == "member")
    return TenantAccess(tenant_id, user, roles, subtrees, members)


def _overseeing(user: User):
    """The tenants whose overseer the user is, and those these oversee (two levels: a city
    department over its counties reads, read-only, the counties' own tenants: issue 23)."""
    own = select(RoleAssignment.tenant_id).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == "overseer"
    )
    below = select(OversightLink.overseen_id).where(OversightLink.overseer_id.in_(own))
    return own, below


def _oversees(user: User, tenant_id: uuid.UUID) -> bool:
    own, below = _overseeing(user)
    link = db.session.scalar(
        select(OversightLink).where(
            OversightLink.overseen_id == tenant_id,
            OversightLink.overseer_id.in_(own) | OversightLink.overseer_id.in_(below),
        ),
        execution_options=_OWN_ROWS,
    )
    return link is not None


def visible_tenant_ids(user: User) -> list[uuid.UUID] | None:
    """Tenants the user can see at all (None: every tenant, for the platform admin)."""
    if user.is_platform_admin:
        return None
    with use_scope(system_scope(username=user.username, user_id=user.id)):
        own = set(
            db.session.scalars(
                select(RoleAssignment.tenant_id).where(RoleAssignment.user_id == user.id)
            )
        )
        mine, below = _overseeing(user)
        overseen = set(
            db.session.scalars(
                select(OversightLink.overseen_id).where(
                    OversightLink.overseer_id.in_(mine) | OversightLink.overseer_id.in_(below)
                )
            )
        )
        active = set(
            db.session.scalars(
                select(Tenant.id).where(Tenant.id.in_(own | overseen), Tenant.active)
            )
        )
    return sorted(active)
