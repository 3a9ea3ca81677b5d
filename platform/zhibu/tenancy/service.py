"""Tenants: create, list, disable; enable schemes; oversight links."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from zhibu import plugins
from zhibu.db import db
from zhibu.errors import Conflict, NotFound, ServiceError
from zhibu.models import OversightLink, Tenant, TenantScheme
from zhibu.models.tenancy import TENANT_KINDS


def get_tenant(tenant_id: uuid.UUID) -> Tenant:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id}")
    return tenant


def create_tenant(
    *,
    code: str,
    name: str,
    kind: str = "institution",
    schemes: list[str] = (),
    id_card_enabled: bool = False,
) -> Tenant:
    if kind not in TENANT_KINDS:
        raise ServiceError(f"kind must be one of {', '.join(TENANT_KINDS)}", field="kind")
    if db.session.scalar(select(Tenant.id).where(Tenant.code == code)):
        raise Conflict(f"a tenant with code {code!r} exists", field="code")
    tenant = Tenant(
        id=uuid.uuid4(), code=code, name=name, kind=kind, id_card_enabled=id_card_enabled
    )
    db.session.add(tenant)
    for key in schemes:
        enable_scheme(tenant, key)
    db.session.commit()
    return tenant


def update_tenant(tenant: Tenant, **changes) -> Tenant:
    for field in ("name", "active", "id_card_enabled"):
        if field in changes:
            setattr(tenant, field, changes[field])
    db.session.commit()
    return tenant


def enable_scheme(tenant: Tenant, key: str) -> None:
    try:
        plugins.registry().scheme(key)
    except KeyError as exc:
        raise ServiceError(exc.args[0], field="schemes") from None
    if key not in tenant.scheme_keys:
        tenant.schemes.append(TenantScheme(tenant_id=tenant.id, scheme_key=key))


def disable_scheme(tenant: Tenant, key: str) -> None:
    for scheme in list(tenant.schemes):
        if scheme.scheme_key == key:
            tenant.schemes.remove(scheme)
            db.session.commit()
            return
    raise NotFound(f"scheme {key!r} is not enabled for {tenant.code}")


def link_oversight(overseer: Tenant, overseen: Tenant) -> OversightLink:
    if overseer.id == overseen.id:
        raise ServiceError("a tenant cannot oversee itself", field="overseen_id")
    link = db.session.get(OversightLink, (overseer.id, overseen.id))
    if link is None:
        link = OversightLink(overseer_id=overseer.id, overseen_id=overseen.id)
        db.session.add(link)
        db.session.commit()
    return link


def unlink_oversight(overseer: Tenant, overseen_id: uuid.UUID) -> None:
    link = db.session.get(OversightLink, (overseer.id, overseen_id))
    if link is None:
        raise NotFound(f"{overseer.code} does not oversee {overseen_id}")
    db.session.delete(link)
    db.session.commit()


def overseen_tenants(overseer: Tenant) -> list[Tenant]:
    return list(
        db.session.scalars(
            select(Tenant)
            .join(OversightLink, OversightLink.overseen_id == Tenant.id)
            .where(OversightLink.overseer_id == overseer.id)
            .order_by(Tenant.code)
        )
    )
