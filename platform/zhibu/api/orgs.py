"""``/api/v1/tenants/<id>/orgs``: the org tree."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from zhibu.api.blueprint import Blueprint
from zhibu.api.pagination import paginate_query
from zhibu.api.security import authorize
from zhibu.api.times import UtcDateTime
from zhibu.db import db
from zhibu.models import OrgUnit
from zhibu.orgs import service

blp = Blueprint(
    "orgs",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>/orgs",
    description="Org tree: 党委, 党总支, 党支部, 党小组 and scheme units",
)


class OrgSchema(Schema):
    id = fields.UUID(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(1, 64))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    # one of the core's and the loaded plugins' kinds: the org service checks it (after
    # the caller's rights, as incident kinds are), naming the known ones
    kind = fields.String(required=True, validate=validate.Length(1, 32))
    parent_id = fields.UUID(allow_none=True, load_default=None)
    depth = fields.Integer(dump_only=True)
    retired = fields.Boolean(load_default=False)
    exempt = fields.Boolean(load_default=False)
    status = fields.String(dump_only=True)
    dissolved_on = fields.Date(dump_only=True, allow_none=True)


class OrgPatchSchema(Schema):
    code = fields.String(validate=validate.Length(1, 64))
    name = fields.String(validate=validate.Length(1, 200))
    retired = fields.Boolean()
    exempt = fields.Boolean()


class OrgFilterSchema(Schema):
    kind = fields.String(validate=validate.Length(1, 32))
    status = fields.String(validate=validate.OneOf(("active", "dissolved")))
    parent_id = fields.UUID()
    q = fields.String(metadata={"description": "part of the name or code"})


class MoveSchema(Schema):
    parent_id = fields.UUID(required=True)


class DissolveSchema(Schema):
    on = fields.Date(required=True)


class OrgEventSchema(Schema):
    kind = fields.String()
    at = UtcDateTime()
    user_id = fields.UUID(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


def visible_orgs(access):
    """Units the caller may see: the whole tree, or a secretary's subtrees."""
    if access.whole_tree or not access.subtrees:
        return select(OrgUnit).where(OrgUnit.tenant_id == access.tenant_id)
    return service.subtree_query(access.tenant_id, access.subtrees)


@blp.route("")
class Orgs(MethodView):
    @blp.arguments(OrgFilterSchema, location="query")
    @blp.response(200, OrgSchema(many=True))
    @blp.paginate()
    def get(self, filters, tenant_id: uuid.UUID, pagination_parameters):
        """List units (filters: kind, status, parent_id, q)."""
        query = visible_orgs(authorize(tenant_id))
        for field in ("kind", "status", "parent_id"):
            if field in filters:
                query = query.where(getattr(OrgUnit, field) == filters[field])
        if "q" in filters:
            q = filters["q"]  # a part of the name or code, % and _ taken as themselves
            query = query.where(
                OrgUnit.name.icontains(q, autoescape=True)
                | OrgUnit.code.icontains(q, autoescape=True)
            )
        return paginate_query(query.order_by(OrgUnit.code), pagination_parameters)

    @blp.arguments(OrgSchema)
    @blp.response(201, OrgSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Create a unit under ``parent_id`` (none: a root)."""
        authorize(tenant_id, "admin")
        return service.create_org(tenant_id, **data)


@blp.route("/<uuid:org_id>")
class OrgDetail(MethodView):
    @blp.response(200, OrgSchema)
    def get(self, tenant_id: uuid.UUID, org_id: uuid.UUID):
        access = authorize(tenant_id)
        return _visible(access, org_id)

    @blp.arguments(OrgPatchSchema)
    @blp.response(200, OrgSchema)
    def patch(self, changes, tenant_id: uuid.UUID, org_id: uuid.UUID):
        authorize(tenant_id, "admin")
        return service.update_org(service.get_org(tenant_id, org_id), **changes)


@blp.route("/<uuid:org_id>/subtree")
class Subtree(MethodView):
    @blp.response(200, OrgSchema(many=True))
    def get(self, tenant_id: uuid.UUID, org_id: uuid.UUID):
        """The unit and every unit below it, depth first (one query)."""
        access = authorize(tenant_id)
        org = _visible(access, org_id)
        units = db.session.scalars(service.subtree_query(tenant_id, [org.path])).all()
        return service.in_tree_order(list(units))


@blp.route("/<uuid:org_id>/move")
class Move(MethodView):
    @blp.arguments(MoveSchema)
    @blp.response(200, OrgSchema)
    def post(self, data, tenant_id: uuid.UUID, org_id: uuid.UUID):
        """Move the unit, with its subtree, under another parent."""
        authorize(tenant_id, "admin")
        return service.move_org(service.get_org(tenant_id, org_id), data["parent_id"])


@blp.route("/<uuid:org_id>/upgrade")
class Upgrade(MethodView):
    @blp.response(200, OrgSchema)
    def post(self, tenant_id: uuid.UUID, org_id: uuid.UUID):
        """支部 → 总支 → 党委, keeping the unit's history and results."""
        authorize(tenant_id, "admin")
        return service.upgrade_org(service.get_org(tenant_id, org_id))


@blp.route("/<uuid:org_id>/dissolve")
class Dissolve(MethodView):
    @blp.arguments(DissolveSchema)
    @blp.response(200, OrgSchema)
    def post(self, data, tenant_id: uuid.UUID, org_id: uuid.UUID):
        """Dissolve the unit, keeping its history and results."""
        authorize(tenant_id, "admin")
        return service.dissolve_org(service.get_org(tenant_id, org_id), data["on"])


@blp.route("/<uuid:org_id>/history")
class History(MethodView):
    @blp.response(200, OrgEventSchema(many=True))
    def get(self, tenant_id: uuid.UUID, org_id: uuid.UUID):
        access = authorize(tenant_id)
        return service.org_history(_visible(access, org_id))


def _visible(access, org_id: uuid.UUID) -> OrgUnit:
    org = db.session.scalar(visible_orgs(access).where(OrgUnit.id == org_id))
    if org is None:
        from zhibu.errors import NotFound
        from zhibu.i18n import _

        raise NotFound(_("没有找到这个组织,或它不在您管理的范围内。"))
    return org
