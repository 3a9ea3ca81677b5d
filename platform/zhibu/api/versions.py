"""``/api/v1/tenants/<id>/schemes/<key>/versions``: a tenant's settings of a scheme."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import select

from zhibu.api.blueprint import Blueprint
from zhibu.api.security import authorize
from zhibu.api.times import UtcDateTime
from zhibu.db import db
from zhibu.errors import NotFound, ServiceError
from zhibu.evaluations import versions
from zhibu.models import SchemeVersion
from zhibu.tenancy.service import get_tenant

blp = Blueprint(
    "versions",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>/schemes/<string:key>",
    description="Scheme settings and their versions",
)


class VersionSchema(Schema):
    id = fields.UUID(dump_only=True)
    scheme_key = fields.String(dump_only=True)
    number = fields.Integer(dump_only=True)
    settings = fields.Dict(dump_only=True)
    overrides = fields.Dict(required=True)
    note = fields.String(load_default="")
    created_at = UtcDateTime(dump_only=True)


class DiffSchema(Schema):
    changes = fields.Dict()


class SettingSchema(Schema):
    key = fields.String()
    title = fields.String()
    default = fields.Raw()
    minimum = fields.Float(allow_none=True)
    maximum = fields.Float(allow_none=True)


def _scheme(tenant, key: str):
    """The scheme the path names: 404 when the tenant has not enabled it (or there is
    none), as for any resource a path names that is not there."""
    try:
        return versions.scheme_of(tenant, key)
    except ServiceError as exc:
        raise NotFound(exc.message, field="key") from None


@blp.route("/settings")
class Settings(MethodView):
    @blp.response(200, SettingSchema(many=True))
    def get(self, tenant_id: uuid.UUID, key: str):
        """What the scheme lets a tenant adjust, with its defaults."""
        authorize(tenant_id)
        return list(_scheme(get_tenant(tenant_id), key).settings)


@blp.route("/versions")
class Versions(MethodView):
    @blp.response(200, VersionSchema(many=True))
    def get(self, tenant_id: uuid.UUID, key: str):
        authorize(tenant_id)
        _scheme(get_tenant(tenant_id), key)
        return db.session.scalars(
            select(SchemeVersion)
            .where(SchemeVersion.tenant_id == tenant_id, SchemeVersion.scheme_key == key)
            .order_by(SchemeVersion.number)
        ).all()

    @blp.arguments(VersionSchema)
    @blp.response(201, VersionSchema)
    def post(self, data, tenant_id: uuid.UUID, key: str):
        """Save adjusted settings: a new version if they differ from the newest."""
        authorize(tenant_id, "admin")
        tenant = get_tenant(tenant_id)
        _scheme(tenant, key)
        return versions.save_settings(tenant, key, data["overrides"], data["note"])


@blp.route("/versions/<int:old>/diff/<int:new>")
class Diff(MethodView):
    @blp.response(200, DiffSchema)
    def get(self, tenant_id: uuid.UUID, key: str, old: int, new: int):
        """Settings that differ between two versions."""
        authorize(tenant_id)
        tenant = get_tenant(tenant_id)
        return {
            "changes": versions.diff(
                versions.get_version(tenant, key, old), versions.get_version(tenant, key, new)
            )
        }
