"""Tenants: create, list, disable; enable schemes; oversight links."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from zhibu import plugins
from zhibu.db import db
from zhibu.errors import Conflict, NotFound, ServiceError
from zhibu.i18n import _, _l
from zhibu.models import OversightLink, Tenant, TenantScheme
from zhibu.models.tenancy import TENANT_KINDS

KIND_NAMES = {  # TENANT_KINDS as users read them
    "college": _l("高校"),
    "county": _l("县(区)"),
    "township": _l("乡镇(街道)"),
    "company": _l("企业"),
    "city": _l("市"),
    "institution": _l("机关事业单位"),
}
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def get_tenant(tenant_id: uuid.UUID) -> Tenant:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(_("没有这个单位。"))
    return tenant


def create_tenant(
    *,
    code: str,
    name: str,
    kind: str = "institution",
    region: str = "",
    schemes: list[str] = (),
    id_card_enabled: bool = False,
) -> Tenant:
    code, name = (code or "").strip(), (name or "").strip()
    if not CODE.match(code):
        raise ServiceError(
            _("单位代码须为 1 至 64 个字母、数字、- 或 _,以字母或数字开头。"), field="code"
        )
    _check_name_and_kind(name, kind)
    if db.session.scalar(select(Tenant.id).where(func.lower(Tenant.code) == code.lower())):
        raise Conflict(_("单位代码 %(code)s 已被使用。", code=code), field="code")
    tenant = Tenant(
        id=uuid.uuid4(),
        code=code,
        name=name,
        kind=kind,
        region=(region or "").strip(),
        id_card_enabled=id_card_enabled,
    )
    db.session.add(tenant)
    for key in schemes:
        enable_scheme(tenant, key)
    db.session.commit()
    return tenant


def _check_name_and_kind(name: str, kind: str) -> None:
    if not name or len(name) > 200:
        raise ServiceError(_("请填写单位名称(不超过 200 字)。"), field="name")
    if kind not in TENANT_KINDS:
        raise ServiceError(_("请选择单位类型。"), field="kind")


def update_tenant(tenant: Tenant, **changes) -> Tenant:
    """Change the name, type, region, whether it is open (``active``) and whether it keeps
    ID-card numbers."""
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    _check_name_and_kind(changes.get("name", tenant.name), changes.get("kind", tenant.kind))
    if "region" in changes:
        changes["region"] = (changes["region"] or "").strip()[:200]
    for field in ("name", "kind", "region", "active", "id_card_enabled"):
        if field in changes:
            setattr(tenant, field, changes[field])
    db.session.commit()
    return tenant


def enable_scheme(tenant: Tenant, key: str) -> None:
    try:
        plugins.registry().scheme(key)
    except KeyError:
        raise ServiceError(_("没有这个评定方案:%(key)s", key=key), field="schemes") from None
    if key not in tenant.scheme_keys:
        tenant.schemes.append(TenantScheme(tenant_id=tenant.id, scheme_key=key))


def disable_scheme(tenant: Tenant, key: str) -> None:
    for scheme in list(tenant.schemes):
        if scheme.scheme_key == key:
            tenant.schemes.remove(scheme)
            db.session.commit()
            return
    raise NotFound(_("本单位没有启用这个评定方案。"))


def link_oversight(overseer: Tenant, overseen: Tenant) -> OversightLink:
    if overseer.id == overseen.id:
        raise ServiceError(_("单位不能监督自己。"), field="overseen_id")
    link = db.session.get(OversightLink, (overseer.id, overseen.id))
    if link is None:
        link = OversightLink(overseer_id=overseer.id, overseen_id=overseen.id)
        db.session.add(link)
        db.session.commit()
    return link


def unlink_oversight(overseer: Tenant, overseen_id: uuid.UUID) -> None:
    link = db.session.get(OversightLink, (overseer.id, overseen_id))
    if link is None:
        raise NotFound(_("没有这条监督关系。"))
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
