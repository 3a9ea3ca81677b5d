"""Demo data for ``make demo``: one tenant per loaded scheme and an administrator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select

from zhibu import plugins
from zhibu.accounts.passwords import hash_password
from zhibu.db import db
from zhibu.models import Tenant, TenantScheme, User

DEMO_TENANTS = {
    "akesu_college": ("AKS-COLLEGE", "阿克苏职业技术学院党委", "college"),
    "county_observation": ("DEMO-COUNTY", "示范县委组织部", "county"),
    "enterprise_5std": ("DEMO-ENTERPRISE", "示范集团公司党委", "company"),
    "dujiangyan_quantified": ("DJY-CITY", "都江堰市委组织部", "city"),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    notes: list[str] = field(default_factory=list)


def load_demo(password: str | None = None) -> DemoLogin:
    """Create the demo tenants and admin; running it again changes only the password."""
    for key, scheme in plugins.registry().schemes.items():
        # a scheme of another plugin: a tenant named as the scheme is
        code, name, kind = DEMO_TENANTS.get(key, (key.upper(), scheme.title, "institution"))
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
        if tenant is None:
            tenant = Tenant(code=code, name=name, kind=kind)
            db.session.add(tenant)
            db.session.flush()
        if key not in {s.scheme_key for s in tenant.schemes}:
            tenant.schemes.append(TenantScheme(scheme_key=key))
    password = password or secrets.token_urlsafe(9)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    if admin is None:
        admin = User(
            username="admin", display_name="平台管理员", is_platform_admin=True, password_hash=""
        )
        db.session.add(admin)
    admin.password_hash = hash_password(password)
    db.session.commit()
    notes = _fill_empty_tenants(admin, password)
    return DemoLogin(username="admin", password=password, notes=notes)


def _fill_empty_tenants(admin: User, password: str) -> list[str]:
    """Each scheme's demo data (``zhibu_demo_data``), into its tenant while still empty."""
    from zhibu.accounts.access import access_for
    from zhibu.models import OrgUnit
    from zhibu.plugins import DemoContext

    notes = []
    for demo in plugins.registry().contributions["demos"].values():
        code = DEMO_TENANTS.get(demo.scheme, (demo.scheme.upper(),))[0]
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
        if tenant is None or db.session.scalar(
            select(OrgUnit.id).where(OrgUnit.tenant_id == tenant.id).limit(1)
        ):
            continue
        notes.append(demo.build(DemoContext(tenant, access_for(admin, tenant.id), password)))
    return notes
