"""``/api/v1/tenants``: tenants, their schemes and oversight links."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from zhibu.accounts.access import visible_tenant_ids
from zhibu.api.blueprint import Blueprint
from zhibu.api.security import authorize, current_user, require_platform_admin
from zhibu.api.times import UtcDateTime
from zhibu.db import db
from zhibu.models import Tenant
from zhibu.models.tenancy import TENANT_KINDS
from zhibu.tenancy import service

blp = Blueprint(
    "tenants",
    __name__,
    url_prefix="/api/v1/tenants",
    description="Tenants (institutions), their schemes and oversight",
)


class TenantSchema(Schema):
    id = fields.UUID(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(1, 64))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    kind = fields.String(load_default="institution", validate=validate.OneOf(TENANT_KINDS))
    region = fields.String(load_default="", validate=validate.Length(0, 200))
    active = fields.Boolean(dump_only=True)
    id_card_enabled = fields.Boolean(load_default=False)
    schemes = fields.List(
        fields.String(), load_default=list, attribute="scheme_keys", data_key="schemes"
    )
    created_at = UtcDateTime(dump_only=True)


class TenantPatchSchema(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    kind = fields.String(validate=validate.OneOf(TENANT_KINDS))
    region = fields.String(validate=validate.Length(0, 200))
    active = fields.Boolean()
    id_card_enabled = fields.Boolean()


class SchemeKeySchema(Schema):
    key = fields.String(required=True)


class OversightSchema(Schema):
    overseen_id = fields.UUID(required=True)


@blp.route("")
class Tenants(MethodView):
    @blp.response(200, TenantSchema(many=True))
    def get(self):
        """Tenants the caller can see."""
        user = current_user()
        ids = visible_tenant_ids(user)
        query = select(Tenant).order_by(Tenant.code)
        if ids is not None:
            query = query.where(Tenant.id.in_(ids))
        return db.session.scalars(query).all()

    @blp.arguments(TenantSchema)
    @blp.response(201, TenantSchema)
    def post(self, data):
        """Create a tenant (platform administrator)."""
        require_platform_admin()
        data["schemes"] = data.pop("scheme_keys", [])
        return service.create_tenant(**data)


@blp.route("/<uuid:tenant_id>")
class TenantDetail(MethodView):
    @blp.response(200, TenantSchema)
    def get(self, tenant_id: uuid.UUID):
        authorize(tenant_id)
        return service.get_tenant(tenant_id)

    @blp.arguments(TenantPatchSchema)
    @blp.response(200, TenantSchema)
    def patch(self, changes, tenant_id: uuid.UUID):
        """Rename, change type or region, disable (``active: false``) or turn ID-card
        numbers on."""
        if "active" in changes or "kind" in changes:
            require_platform_admin()
        else:
            authorize(tenant_id, "admin")
        return service.update_tenant(service.get_tenant(tenant_id), **changes)


@blp.route("/<uuid:tenant_id>/schemes")
class TenantSchemes(MethodView):
    @blp.arguments(SchemeKeySchema)
    @blp.response(201, TenantSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Enable a scheme for the tenant."""
        authorize(tenant_id, "admin")
        tenant = service.get_tenant(tenant_id)
        service.enable_scheme(tenant, data["key"])
        db.session.commit()
        return tenant


@blp.route("/<uuid:tenant_id>/schemes/<string:key>")
class TenantScheme(MethodView):
    @blp.response(204)
    def delete(self, tenant_id: uuid.UUID, key: str):
        """Disable a scheme for the tenant."""
        authorize(tenant_id, "admin")
        service.disable_scheme(service.get_tenant(tenant_id), key)


@blp.route("/<uuid:tenant_id>/oversight")
class Oversight(MethodView):
    @blp.response(200, TenantSchema(many=True))
    def get(self, tenant_id: uuid.UUID):
        """The tenants this tenant oversees."""
        authorize(tenant_id)
        return service.overseen_tenants(service.get_tenant(tenant_id))

    @blp.arguments(OversightSchema)
    @blp.response(201, TenantSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Let this tenant oversee another (platform administrator)."""
        require_platform_admin()
        overseen = service.get_tenant(data["overseen_id"])
        service.link_oversight(service.get_tenant(tenant_id), overseen)
        return overseen


@blp.route("/<uuid:tenant_id>/oversight/<uuid:overseen_id>")
class OversightLinkDetail(MethodView):
    @blp.response(204)
    def delete(self, tenant_id: uuid.UUID, overseen_id: uuid.UUID):
        require_platform_admin()
        service.unlink_oversight(service.get_tenant(tenant_id), overseen_id)
