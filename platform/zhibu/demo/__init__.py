"""Demo data for ``make demo``: one tenant per loaded scheme, its data (the scheme's own
demo builder), and a login for every role: in every demo tenant an administrator, an
assessor, a branch secretary and a member; a county overseer of the demo county's
institutions and a city overseer of the county (their oversight links made); the platform
administrator. Every password is made for the run (none is known beforehand), and all the
logins come back to be printed in one table.

Running it again builds nothing twice: it gives every demo tenant's user (and the platform
administrator) a new password and prints the table again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from zhibu import plugins
from zhibu.accounts.passwords import generate_password, hash_generated
from zhibu.db import db
from zhibu.models import (
    ROLES,
    Member,
    OrgUnit,
    OversightLink,
    RoleAssignment,
    Tenant,
    TenantScheme,
    User,
)


@dataclass(frozen=True)
class DemoTenant:
    code: str
    name: str
    kind: str
    region: str
    prefix: str  # of its demo users' names: aks_admin, aks_assessor, …


DEMO_TENANTS = {
    "akesu_college": DemoTenant(
        "AKS-COLLEGE", "阿克苏职业技术学院党委", "college", "新疆阿克苏地区", "aks"
    ),
    "county_observation": DemoTenant(
        "DEMO-COUNTY", "示范县委组织部", "county", "示范市示范县", "county"
    ),
    "enterprise_5std": DemoTenant(
        "DEMO-ENTERPRISE", "示范集团公司党委", "company", "示范市示范县", "enterprise"
    ),
    "dujiangyan_quantified": DemoTenant(
        "DJY-CITY", "都江堰市委组织部", "city", "四川省成都市都江堰市", "djy"
    ),
}
# who oversees whom: the county its institutions, the city the county
OVERSIGHT = {
    "county_observation": ("akesu_college", "enterprise_5std"),
    "dujiangyan_quantified": ("county_observation",),
}
OVERSEERS = {  # scheme of the overseeing tenant → its overseer's login
    "county_observation": ("county_overseer", "示范县委组织部监督员"),
    "dujiangyan_quantified": ("city_overseer", "都江堰市委组织部监督员"),
}
STAFF = {  # role → (name suffix, display name) of the staff every demo tenant gets
    "tenant_admin": ("admin", "管理员"),
    "assessor": ("assessor", "考核员"),
    "branch_secretary": ("secretary", "支部书记"),
}
PLATFORM_ADMIN = "admin"


@dataclass(frozen=True)
class DemoLogin:
    """One row of the printed table. ``role`` is a role key, or ``platform_admin``."""

    role: str
    tenant_id: uuid.UUID | None
    tenant: str
    username: str
    password: str


@dataclass
class Demo:
    logins: list[DemoLogin] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def demo_tenant(scheme_key: str) -> DemoTenant:
    """The demo tenant of a scheme: one of the four's, or for another plugin's scheme a
    tenant named as the scheme is."""
    if scheme_key in DEMO_TENANTS:
        return DEMO_TENANTS[scheme_key]
    title = plugins.registry().scheme(scheme_key).title
    return DemoTenant(scheme_key.upper(), title, "institution", "", scheme_key)


def load_demo() -> Demo:
    """Create what is missing (tenants, their data, the logins, oversight links) and give
    every demo login a new password."""
    tenants = _tenants()
    admin = _platform_admin()
    db.session.commit()
    demo = Demo(notes=_fill_empty_tenants(admin, tenants))
    _link_oversight(tenants)
    for key, tenant in tenants.items():
        _staff(key, tenant)
    db.session.commit()
    demo.logins = [_new_password(admin, "platform_admin", None), *_tenant_logins(tenants)]
    db.session.commit()
    return demo


def _tenants() -> dict[str, Tenant]:
    found = {}
    loaded = plugins.registry().schemes
    known = [k for k in DEMO_TENANTS if k in loaded]  # the table's order
    for key in [*known, *sorted(k for k in loaded if k not in DEMO_TENANTS)]:
        spec = demo_tenant(key)
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == spec.code))
        if tenant is None:
            tenant = Tenant(code=spec.code, name=spec.name, kind=spec.kind, region=spec.region)
            db.session.add(tenant)
            db.session.flush()
        if key not in tenant.scheme_keys:
            tenant.schemes.append(TenantScheme(scheme_key=key))
        found[key] = tenant
    return found


def _platform_admin() -> User:
    admin = db.session.scalar(select(User).where(User.username == PLATFORM_ADMIN))
    if admin is None:
        admin = User(
            username=PLATFORM_ADMIN,
            display_name="平台管理员",
            is_platform_admin=True,
            password_hash="",
        )
        db.session.add(admin)
    return admin


def _fill_empty_tenants(admin: User, tenants: dict[str, Tenant]) -> list[str]:
    """Each scheme's demo data (``zhibu_demo_data``), into its tenant while still empty;
    the logins the builder asks for are made after it."""
    from zhibu.accounts.access import access_for
    from zhibu.plugins import DemoContext

    notes = []
    for demo in plugins.registry().contributions["demos"].values():
        tenant = tenants.get(demo.scheme)
        if tenant is None or db.session.scalar(
            select(OrgUnit.id).where(OrgUnit.tenant_id == tenant.id).limit(1)
        ):
            continue
        context = DemoContext(tenant, access_for(admin, tenant.id))
        notes.append(demo.build(context))
        for wanted in context.users:
            _login(tenant, wanted.role, wanted.username, wanted.display_name,
                   org_id=wanted.org_id, member_id=wanted.member_id)  # fmt: skip
        db.session.commit()
    return notes


def _link_oversight(tenants: dict[str, Tenant]) -> None:
    for overseer, overseen in OVERSIGHT.items():
        for key in overseen:
            if overseer in tenants and key in tenants:
                ids = (tenants[overseer].id, tenants[key].id)
                if db.session.get(OversightLink, ids) is None:
                    db.session.add(OversightLink(overseer_id=ids[0], overseen_id=ids[1]))


def _staff(key: str, tenant: Tenant) -> None:
    """The tenant's admin, assessor, secretary and member (the secretary of the first
    member's unit, the member that unit's second), and its overseer when it oversees; each
    only if the tenant has nobody in that role yet."""
    prefix = demo_tenant(key).prefix
    held = set(
        db.session.scalars(select(RoleAssignment.role).where(RoleAssignment.tenant_id == tenant.id))
    )
    unit, member = _unit_and_member(tenant)
    for role, (suffix, title) in STAFF.items():
        if role in held or (role == "branch_secretary" and unit is None):
            continue
        org_id = unit.id if role == "branch_secretary" else None
        _login(tenant, role, f"{prefix}_{suffix}", f"{tenant.name}{title}", org_id=org_id)
    if "member" not in held and member is not None:
        _login(tenant, "member", f"{prefix}_member", member.name, member_id=member.id)
    if key in OVERSEERS and "overseer" not in held:
        username, title = OVERSEERS[key]
        _login(tenant, "overseer", username, title)


def _unit_and_member(tenant: Tenant) -> tuple[OrgUnit | None, Member | None]:
    first = db.session.scalar(
        select(Member)
        .where(Member.tenant_id == tenant.id, Member.active)
        .order_by(Member.archive_code)
        .limit(1)
    )
    if first is None:
        return None, None
    unit = db.session.get(OrgUnit, (tenant.id, first.org_id))
    colleagues = db.session.scalars(
        select(Member)
        .where(Member.tenant_id == tenant.id, Member.org_id == unit.id, Member.active)
        .order_by(Member.archive_code)
        .limit(2)
    ).all()
    return unit, colleagues[-1]


def _login(tenant: Tenant, role: str, username: str, display_name: str, **over) -> User:
    """The user (made when missing) with the role in the tenant."""
    from zhibu.accounts import service

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(id=uuid.uuid4(), username=username, display_name=display_name)
        user.password_hash = hash_generated(generate_password())
        db.session.add(user)
        db.session.flush()
    if not service.holds(tenant.id, user, role, over.get("org_id"), over.get("member_id")):
        service.grant(tenant.id, user, role, **over)
    db.session.flush()
    return user


def _tenant_logins(tenants: dict[str, Tenant]) -> list[DemoLogin]:
    """Every user of the demo tenants, once (under their first tenant and first role), each
    with a new password."""
    logins, seen = [], set()
    for tenant in tenants.values():
        rows = db.session.execute(
            select(User, RoleAssignment.role)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.tenant_id == tenant.id)
        ).all()
        for user, role in sorted(rows, key=lambda r: (ROLES.index(r[1]), r[0].username)):
            if user.id not in seen:
                seen.add(user.id)
                logins.append(_new_password(user, role, tenant))
    return logins


def _new_password(user: User, role: str, tenant: Tenant | None) -> DemoLogin:
    password = generate_password()
    user.password_hash = hash_generated(password)
    user.must_change_password = False
    user.locked_until = None
    return DemoLogin(
        role, tenant.id if tenant else None, tenant.name if tenant else "", user.username, password
    )
