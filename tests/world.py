"""A small world for API tests: tenants, users of every role, org trees and members.

Tenant A (a college) and tenant B are unrelated; county C oversees A. Every user's bearer
token is in ``World.headers[username]``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from zhibu.accounts.auth import issue_token
from zhibu.accounts.passwords import hash_password
from zhibu.db import db
from zhibu.models import (
    Member,
    OrgUnit,
    OversightLink,
    RoleAssignment,
    Tenant,
    TenantScheme,
    User,
)
from zhibu.tenancy import system_scope, use_scope

PASSWORD = "correct horse battery"
_HASH = hash_password(PASSWORD)


@dataclass
class World:
    """Objects while building; afterwards ``ids`` (code or username → UUID) and tokens."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    orgs: dict[str, OrgUnit] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def id(self, key: str) -> str:
        return str(self.ids[key])


def unit_under(
    parent: OrgUnit | None, tenant_id, code, name, kind="branch", org_id=None, **flags
) -> OrgUnit:
    """A new unit under ``parent`` (a root without one): its path and depth follow the
    parent's. Added to the session, not flushed."""
    org_id = org_id or uuid.uuid4()
    org = OrgUnit(
        id=org_id,
        tenant_id=tenant_id,
        code=code,
        name=name,
        kind=kind,
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "/") + org_id.hex + "/",
        depth=parent.depth + 1 if parent else 0,
        **flags,
    )
    db.session.add(org)
    return org


def _org(world, tenant, code, name, kind, parent=None, **flags) -> OrgUnit:
    parent_org = world.orgs[parent] if parent else None
    org = unit_under(parent_org, tenant.id, code, name, kind, **flags)
    db.session.flush()
    world.orgs[code] = org
    return org


def _member(world, tenant, code, name, org, **extra) -> Member:
    member = Member(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        org_id=world.orgs[org].id,
        name=name,
        archive_code=code,
        gender="男",
        birth_date=date(1985, 3, 1),
        joined_on=date(2010, 7, 1),
        phone="13912345678",
        **extra,
    )
    db.session.add(member)
    world.members[code] = member
    return member


def _user(world, username, tenant=None, role=None, **scope) -> User:
    user = User(
        id=uuid.uuid4(),
        username=username,
        password_hash=_HASH,
        is_platform_admin=role == "platform_admin",
    )
    db.session.add(user)
    db.session.flush()
    if tenant is not None:
        db.session.add(RoleAssignment(tenant_id=tenant.id, user_id=user.id, role=role, **scope))
    world.users[username] = user
    return user


def build_world() -> World:
    world = World()
    with use_scope(system_scope()):
        a = Tenant(id=uuid.uuid4(), code="A", name="甲学院党委", kind="college")
        b = Tenant(id=uuid.uuid4(), code="B", name="乙公司党委", kind="company")
        c = Tenant(id=uuid.uuid4(), code="C", name="丙县委组织部", kind="county")
        db.session.add_all([a, b, c])
        db.session.flush()
        db.session.add(OversightLink(overseer_id=c.id, overseen_id=a.id))
        db.session.add(TenantScheme(tenant_id=a.id, scheme_key="akesu_college"))
        world.tenants.update(A=a, B=b, C=c)
        _org(world, a, "A-DW", "甲学院党委", "committee")
        _org(world, a, "A-ZZ1", "机电系党总支", "general_branch", "A-DW")
        _org(world, a, "A-Z01", "机电系第一党支部", "branch", "A-ZZ1")
        _org(world, a, "A-Z02", "机电系第二党支部", "branch", "A-ZZ1")
        _org(world, a, "A-Z09", "离退休党支部", "branch", "A-DW", retired=True)
        _org(world, b, "B-DW", "乙公司党委", "committee")
        _org(world, b, "B-Z01", "乙公司第一党支部", "branch", "B-DW")
        _member(world, a, "A-M1", "张三", "A-Z01")
        _member(world, a, "A-M2", "李四", "A-Z02")
        _member(world, b, "B-M1", "王五", "B-Z01")
        _user(world, "root", role="platform_admin")
        _user(world, "admin_a", a, "tenant_admin")
        _user(world, "assessor_a", a, "assessor")
        _user(world, "secretary_a", a, "branch_secretary", org_id=world.orgs["A-Z01"].id)
        _user(world, "member_a", a, "member", member_id=world.members["A-M1"].id)
        _user(world, "admin_b", b, "tenant_admin")
        _user(world, "overseer_c", c, "overseer")
        db.session.commit()
        for group in (world.tenants, world.orgs, world.members, world.users):
            world.ids.update({key: obj.id for key, obj in group.items()})
        for username, user in world.users.items():
            plain, _ = issue_token(user, "tests")
            world.headers[username] = {"Authorization": f"Bearer {plain}"}
    return world


def enable_scheme(app, tenant_id: uuid.UUID, scheme, key: str = "tiny") -> None:
    """Register a scheme defined in the tests under ``key`` and enable it for a tenant."""
    from zhibu.app import plugin_registry

    plugin_registry(app).schemes[key] = scheme
    with app.app_context(), use_scope(system_scope()):
        db.session.add(TenantScheme(tenant_id=tenant_id, scheme_key=key))
        db.session.commit()
