"""``/api/v1/tenants/<id>/incidents`` and ``/records``: facts the rules read."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from zhibu.api.blueprint import Blueprint
from zhibu.api.pagination import paginate_query
from zhibu.api.security import authorize, subjects_visible, within_reach
from zhibu.evaluations import facts
from zhibu.models import ActivityRecord, Incident

blp = Blueprint(
    "facts",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>",
    description="Incidents (veto, downgrade) and activity records",
)


class IncidentSchema(Schema):
    id = fields.UUID(dump_only=True)
    subject_kind = fields.String(required=True, validate=validate.OneOf(("org", "member")))
    subject_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    occurred_on = fields.Date(required=True)
    note = fields.String(load_default="")


class RecordSchema(Schema):
    id = fields.UUID(dump_only=True)
    org_id = fields.UUID(required=True)
    kind = fields.String(required=True)  # a loaded record kind: the service checks it
    held_on = fields.Date(required=True)
    attendees = fields.List(fields.UUID(), load_default=list)
    member_id = fields.UUID(allow_none=True, load_default=None)
    month = fields.String(
        allow_none=True, load_default=None, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$")
    )
    hours = fields.Float(allow_none=True, load_default=None)
    topic = fields.String(load_default="")


@blp.route("/incidents")
class Incidents(MethodView):
    @blp.response(200, IncidentSchema(many=True))
    @blp.paginate()
    def get(self, tenant_id: uuid.UUID, pagination_parameters):
        """Incidents the caller may read: an overseer sees units' only, a branch secretary
        their part of the tree, a member their own."""
        access = authorize(tenant_id)
        query = (
            select(Incident)
            .where(
                Incident.tenant_id == tenant_id,
                subjects_visible(access, Incident.subject_kind, Incident.subject_id),
            )
            .order_by(Incident.occurred_on.desc())
        )
        return paginate_query(query, pagination_parameters)

    @blp.arguments(IncidentSchema)
    @blp.response(201, IncidentSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Record a veto or downgrade event (kinds come from the enabled schemes)."""
        return facts.add_incident(authorize(tenant_id, "admin"), **data)


@blp.route("/records")
class Records(MethodView):
    @blp.response(200, RecordSchema(many=True))
    @blp.paginate()
    def get(self, tenant_id: uuid.UUID, pagination_parameters):
        """Records of the units within the caller's part of the tree."""
        access = authorize(tenant_id)
        query = within_reach(
            access,
            select(ActivityRecord)
            .where(ActivityRecord.tenant_id == tenant_id)
            .order_by(ActivityRecord.held_on.desc()),
            ActivityRecord.org_id,
        )
        return paginate_query(query, pagination_parameters)

    @blp.arguments(RecordSchema)
    @blp.response(201, RecordSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Record a meeting, lecture, training or dues payment of a unit; the unit, the
        member and the attendees must be within your reach."""
        access = authorize(tenant_id, "registry")
        org_id, kind, held_on = data.pop("org_id"), data.pop("kind"), data.pop("held_on")
        return facts.add_record(access, org_id, kind, held_on, **data)
