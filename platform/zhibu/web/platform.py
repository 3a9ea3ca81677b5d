"""The platform administrator's pages: the tenants (their home after login), a tenant
created and edited (name, type, region, open or closed), its schemes enabled or disabled,
oversight links (a county over its institutions, a city over its counties), its users and
its recent activity. Settings of a scheme and the users' management are the tenant's own
pages (``/t/<id>/schemes``, ``/t/<id>/users``), which the platform administrator opens as
an administrator of every tenant. Everything goes through :mod:`zhibu.tenancy.service`,
as the API does."""

from __future__ import annotations

import uuid
from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from zhibu import plugins
from zhibu.accounts import policy
from zhibu.accounts import service as accounts
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.models import OversightLink, RoleAssignment, Tenant
from zhibu.models.tenancy import TENANT_KINDS
from zhibu.tenancy import service
from zhibu.tenancy.scope import set_scope, system_scope
from zhibu.web import activity
from zhibu.web.guard import LoginRequired, register_page_errors

bp = Blueprint("platform", __name__, url_prefix="/platform")
register_page_errors(bp)


def platform_page(view):
    """Only for the platform administrator (the policy's check, as the API's platform
    operations: 403 for anyone else), with the platform-wide scope."""

    @wraps(view)
    def checked(**kwargs):
        try:
            user = policy.check_platform(g.get("user"))
        except policy.LoginNeeded:
            raise LoginRequired from None
        except ServiceError:
            abort(403)
        set_scope(system_scope(username=user.username, user_id=user.id), db.session())
        return view(**kwargs)

    return checked


@bp.get("/")
@platform_page
def tenants():
    q = request.args.get("q", "").strip()
    query = select(Tenant).order_by(Tenant.code)
    if q:
        query = query.where(
            or_(
                Tenant.code.icontains(q, autoescape=True),
                Tenant.name.icontains(q, autoescape=True),
                Tenant.region.icontains(q, autoescape=True),
            )
        )
    found = db.session.scalars(query).all()
    return render_template(
        "platform/tenants.html",
        tenants=found,
        q=q,
        users=_count(RoleAssignment.tenant_id, func.count(RoleAssignment.user_id.distinct())),
        overseen=_count(OversightLink.overseer_id, func.count()),
    )


def _count(key, counted) -> dict[uuid.UUID, int]:
    return dict(db.session.execute(select(key, counted).group_by(key)).all())


@bp.route("/tenants/new", methods=["GET", "POST"])
@platform_page
def new_tenant():
    form = request.form
    if request.method == "POST":
        try:
            tenant = service.create_tenant(
                code=form.get("code", ""),
                name=form.get("name", ""),
                kind=form.get("kind", ""),
                region=form.get("region", ""),
                schemes=form.getlist("schemes"),
            )
        except ServiceError as exc:
            db.session.rollback()
            return _tenant_form(None, exc), exc.status
        flash(_("已新建单位 %(name)s。下一步:为它创建管理员。", name=tenant.name))
        return redirect(url_for("platform.tenant", tenant_id=tenant.id))
    return _tenant_form(None, None)


def _tenant_form(tenant: Tenant | None, error: ServiceError | None):
    return render_template(
        "platform/new.html",
        tenant=tenant,
        form=request.form,
        error=error,
        kinds=TENANT_KINDS,
        schemes=list(plugins.registry().schemes.values()),
    )


@bp.get("/tenants/<uuid:tenant_id>")
@platform_page
def tenant(tenant_id: uuid.UUID):
    return _tenant_page(tenant_id, None)


def _tenant_page(tenant_id: uuid.UUID, error: ServiceError | None):
    found = service.get_tenant(tenant_id)
    loaded = plugins.registry().schemes
    others = db.session.scalars(select(Tenant).where(Tenant.id != tenant_id).order_by(Tenant.code))
    users = accounts.users_of(tenant_id)
    return render_template(
        "platform/tenant.html",
        tenant=found,
        kinds=TENANT_KINDS,
        enabled=[loaded.get(key) or key for key in found.scheme_keys],
        available=[s for key, s in loaded.items() if key not in found.scheme_keys],
        overseen=service.overseen_tenants(found),
        overseers=_overseers(found),
        others=others.all(),
        users=users,
        has_overseer=any(a.role == "overseer" for _user, roles in users for a in roles),
        entries=activity.platform_entries(tenant_id),
        error=error,
    ), (error.status if error else 200)


def _overseers(tenant: Tenant) -> list[Tenant]:
    return list(
        db.session.scalars(
            select(Tenant)
            .join(OversightLink, OversightLink.overseer_id == Tenant.id)
            .where(OversightLink.overseen_id == tenant.id)
            .order_by(Tenant.code)
        )
    )


def _refused(tenant_id: uuid.UUID, exc: ServiceError):
    db.session.rollback()
    return _tenant_page(tenant_id, exc)


@bp.post("/tenants/<uuid:tenant_id>")
@platform_page
def edit_tenant(tenant_id: uuid.UUID):
    form = request.form
    try:
        service.update_tenant(
            service.get_tenant(tenant_id),
            name=form.get("name", ""),
            kind=form.get("kind", ""),
            region=form.get("region", ""),
            active=form.get("active") == "1",
            id_card_enabled=form.get("id_card_enabled") == "1",
        )
    except ServiceError as exc:
        return _refused(tenant_id, exc)
    flash(_("已保存单位信息。"))
    return redirect(url_for("platform.tenant", tenant_id=tenant_id))


@bp.post("/tenants/<uuid:tenant_id>/schemes")
@platform_page
def enable_scheme(tenant_id: uuid.UUID):
    found = service.get_tenant(tenant_id)
    try:
        service.enable_scheme(found, request.form.get("key", ""))
        db.session.commit()
    except ServiceError as exc:
        return _refused(tenant_id, exc)
    flash(_("已启用评定方案。"))
    return redirect(url_for("platform.tenant", tenant_id=tenant_id))


@bp.post("/tenants/<uuid:tenant_id>/schemes/<string:key>/disable")
@platform_page
def disable_scheme(tenant_id: uuid.UUID, key: str):
    try:
        service.disable_scheme(service.get_tenant(tenant_id), key)
    except ServiceError as exc:
        return _refused(tenant_id, exc)
    flash(_("已停用评定方案;已有的考评周期和结果保留。"))
    return redirect(url_for("platform.tenant", tenant_id=tenant_id))


@bp.post("/tenants/<uuid:tenant_id>/oversight")
@platform_page
def add_oversight(tenant_id: uuid.UUID):
    try:
        overseen = service.get_tenant(_uuid(request.form.get("overseen_id")))
        service.link_oversight(service.get_tenant(tenant_id), overseen)
    except ServiceError as exc:
        return _refused(tenant_id, exc)
    flash(_("已添加监督关系:监督 %(name)s。", name=overseen.name))
    return redirect(url_for("platform.tenant", tenant_id=tenant_id))


@bp.post("/tenants/<uuid:tenant_id>/oversight/<uuid:overseen_id>/remove")
@platform_page
def remove_oversight(tenant_id: uuid.UUID, overseen_id: uuid.UUID):
    try:
        service.unlink_oversight(service.get_tenant(tenant_id), overseen_id)
    except ServiceError as exc:
        return _refused(tenant_id, exc)
    flash(_("已解除监督关系。"))
    return redirect(url_for("platform.tenant", tenant_id=tenant_id))


def _uuid(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise ServiceError(_("请选择要监督的单位。"), field="overseen_id") from None
