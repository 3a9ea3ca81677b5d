"""``/api/v1/tenants/<id>/rectification``: the rectification ledger (整改台账)."""

from __future__ import annotations

import uuid
from datetime import date

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from zhibu.api.blueprint import Blueprint
from zhibu.api.pagination import paginate_query
from zhibu.api.security import authorize, within_reach
from zhibu.api.times import UtcDateTime
from zhibu.evaluations import ledger
from zhibu.models import RectificationItem
from zhibu.models.rectification import ITEM_STATUSES

blp = Blueprint(
    "ledger",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>/rectification",
    description="Rectification ledger: items, follow-ups (回头看), sign-off (销号)",
)


class ItemSchema(Schema):
    id = fields.UUID(dump_only=True)
    org_id = fields.UUID(required=True)
    member_id = fields.UUID(allow_none=True, load_default=None)
    cycle_id = fields.UUID(allow_none=True, load_default=None)
    origin = fields.String(dump_only=True)
    origin_ref = fields.String(dump_only=True)
    issue = fields.String(required=True)
    measure = fields.String(load_default="")
    deadline = fields.Date(required=True)
    responsible = fields.String(load_default="")
    status = fields.String(dump_only=True)
    overdue = fields.Method("_overdue", dump_only=True)
    signed_off_at = UtcDateTime(dump_only=True, allow_none=True)

    def _overdue(self, item) -> bool:
        return ledger.is_overdue(item, date.today())


class FromDeductionSchema(Schema):
    deduction_id = fields.UUID(required=True)
    deadline = fields.Date(required=True)
    measure = fields.String(load_default="")
    responsible = fields.String(load_default="")


class FromResultSchema(Schema):
    result_id = fields.UUID(required=True)
    action = fields.String(required=True)
    deadline = fields.Date(required=True)
    measure = fields.String(load_default="")
    responsible = fields.String(load_default="")


class FollowUpSchema(Schema):
    id = fields.UUID(dump_only=True)
    checked_on = fields.Date(required=True)
    finding = fields.String(required=True)
    satisfactory = fields.Boolean(required=True)


class SignOffSchema(Schema):
    note = fields.String(load_default="", metadata={"description": "what was checked (核查说明)"})


class ItemFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(ITEM_STATUSES))
    overdue = fields.Boolean()


@blp.route("")
class Items(MethodView):
    @blp.arguments(ItemFilterSchema, location="query")
    @blp.response(200, ItemSchema(many=True))
    @blp.paginate()
    def get(self, filters, tenant_id: uuid.UUID, pagination_parameters):
        """Items by deadline (filters: status, overdue); a township's staff see their own."""
        access = authorize(tenant_id)
        query = ledger.items_query(
            tenant_id,
            status=filters.get("status"),
            overdue_on=date.today() if filters.get("overdue") else None,
        )
        return paginate_query(
            within_reach(access, query, RectificationItem.org_id), pagination_parameters
        )

    @blp.arguments(ItemSchema)
    @blp.response(201, ItemSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Raise an item by hand, for a unit (and one of its members) within your reach."""
        return ledger.raise_item(authorize(tenant_id, "ledger"), **data)


@blp.route("/from-deduction")
class FromDeduction(MethodView):
    @blp.arguments(FromDeductionSchema)
    @blp.response(201, ItemSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Raise an item from a deduction, with its reason (once per deduction)."""
        access = authorize(tenant_id, "ledger")
        return ledger.raise_from_deduction(access, data.pop("deduction_id"), **data)


@blp.route("/from-result")
class FromResult(MethodView):
    @blp.arguments(FromResultSchema)
    @blp.response(201, ItemSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Raise an item for an action a result carries (e.g. rectification_plan)."""
        access = authorize(tenant_id, "ledger")
        return ledger.raise_from_result(access, data.pop("result_id"), data.pop("action"), **data)


@blp.route("/<uuid:item_id>/follow-ups")
class FollowUps(MethodView):
    @blp.response(200, FollowUpSchema(many=True))
    def get(self, tenant_id: uuid.UUID, item_id: uuid.UUID):
        """The item's 回头看 checks (an item outside your part of the tree: 404)."""
        return ledger.follow_ups_of(ledger.get_item(authorize(tenant_id), item_id))

    @blp.arguments(FollowUpSchema)
    @blp.response(201, FollowUpSchema)
    def post(self, data, tenant_id: uuid.UUID, item_id: uuid.UUID):
        """Record a 回头看 check; a satisfactory one marks the item rectified."""
        access = authorize(tenant_id, "ledger")
        return ledger.follow_up(access, ledger.get_item(access, item_id), **data)


@blp.route("/<uuid:item_id>/sign-off")
class SignOff(MethodView):
    @blp.arguments(SignOffSchema)
    @blp.response(200, ItemSchema)
    def post(self, data, tenant_id: uuid.UUID, item_id: uuid.UUID):
        """销号, by someone other than whoever raised the item (the county, or the
        township's staff within their township), with a note of what was checked; where
        the scheme asks (county_observation), an item raised from a deduction needs the
        note or an evidence file (uploaded on the ledger page)."""
        access = authorize(tenant_id, "ledger")
        return ledger.sign_off(access, ledger.get_item(access, item_id), note=data["note"])
