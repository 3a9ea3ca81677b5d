"""``/api/v1/tenants/<id>/cycles``: cycles, phases, recompute, results, score sheets."""

from __future__ import annotations

import uuid

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from zhibu.api.pagination import paginate_query
from zhibu.api.security import authorize, subjects_visible
from zhibu.db import db
from zhibu.evaluations import compute, cycles, entry, explain, sheets
from zhibu.models import PHASES, Cycle, EvaluationResult, ScoreSheet
from zhibu.tenancy.service import get_tenant

blp = Blueprint(
    "cycles",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>/cycles",
    description="Evaluation cycles: phases, score sheets, recompute, results",
)


class CycleSchema(Schema):
    id = fields.UUID(dump_only=True)
    scheme_key = fields.String(required=True)
    period = fields.String(required=True, metadata={"example": "2021"})
    round = fields.String(load_only=True, load_default=None)
    options = fields.Dict(load_default=dict)
    deadlines = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PHASES)),
        values=fields.String(),
        load_default=dict,
    )
    label = fields.String(dump_only=True)
    period_kind = fields.String(dump_only=True)
    starts_on = fields.Date(dump_only=True)
    ends_on = fields.Date(dump_only=True)
    phase = fields.String(dump_only=True)
    version_id = fields.UUID(dump_only=True)


class PhaseSchema(Schema):
    to = fields.String(load_default=None, validate=validate.OneOf(PHASES))


class ReopenSchema(Schema):
    reason = fields.String(required=True)
    to = fields.String(load_default="review", validate=validate.OneOf(PHASES[:-1]))


class DeadlinesSchema(Schema):
    deadlines = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PHASES)), values=fields.String(), required=True
    )


class ResultSchema(Schema):
    id = fields.UUID()
    subject_kind = fields.String()
    subject_id = fields.UUID()
    subject_code = fields.String()
    kind = fields.String()
    track = fields.String(allow_none=True)
    rated = fields.Boolean()
    total = fields.Float(allow_none=True)
    stars = fields.Integer(allow_none=True)
    grade = fields.String(allow_none=True)
    titles = fields.List(fields.String())
    flags = fields.List(fields.String())
    actions = fields.List(fields.String())
    source_scores = fields.Dict()
    explanation = fields.Method("_explanation")
    gap = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True)

    def _explanation(self, result) -> list[dict]:
        return compute.explanation_of(result)


class SummarizedResultSchema(ResultSchema):
    """A result as ``…/results`` lists it (a page at a time): with its summary. The
    recompute's answer (every result of the cycle at once) goes without."""

    summary = fields.Method(
        "_summary",
        metadata={
            "description": "what a person reads first: level, gap_to_next, margin_below, "
            "lost_points per indicator (with the deduction reasons), rules_applied"
        },
    )

    def _summary(self, result) -> dict:
        return _explainer(result).summary(result)


def _explainer(result) -> explain.Explainer:
    """One explainer per cycle and request (a page of results shares its definition)."""
    cache = g.setdefault("explainers", {})
    if result.cycle_id not in cache:
        cache[result.cycle_id] = explain.Explainer(
            db.session.get(Cycle, (result.tenant_id, result.cycle_id))
        )
    return cache[result.cycle_id]


class ResultFilterSchema(Schema):
    subject_kind = fields.String(validate=validate.OneOf(("org", "member")))
    stars = fields.Integer()
    flag = fields.String()


class DeductionSchema(Schema):
    id = fields.UUID(dump_only=True, metadata={"description": "to raise a ledger item from"})
    item = fields.String(required=True)
    points = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    reason = fields.String(required=True, validate=validate.Length(min=1))


class SheetSchema(Schema):
    id = fields.UUID(dump_only=True)
    subject_kind = fields.String(required=True, validate=validate.OneOf(("org", "member")))
    subject_id = fields.UUID(required=True)
    source = fields.String(required=True)
    rater = fields.String(
        load_default=None,
        metadata={
            "description": "leave it out: a rubric sheet is the caller's own (their user "
            "name), a total or a month has none; only a tenant administrator may name "
            "another rater (a paper sheet typed in on their behalf, audited)"
        },
    )
    period = fields.String(load_default="")
    score = fields.Float(allow_none=True, load_default=None)
    items = fields.Dict(keys=fields.String(), values=fields.Float(), load_default=dict)
    deductions = fields.List(fields.Nested(DeductionSchema), load_default=list)


def _cycle(tenant_id: uuid.UUID, cycle_id: uuid.UUID, need: str = "read") -> Cycle:
    authorize(tenant_id, need)
    return cycles.get_cycle(tenant_id, cycle_id)


@blp.route("")
class Cycles(MethodView):
    @blp.response(200, CycleSchema(many=True))
    def get(self, tenant_id: uuid.UUID):
        authorize(tenant_id)
        from zhibu.db import db

        return db.session.scalars(
            select(Cycle)
            .where(Cycle.tenant_id == tenant_id)
            .order_by(Cycle.scheme_key, Cycle.label)
        ).all()

    @blp.arguments(CycleSchema)
    @blp.response(201, CycleSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Open a cycle of an enabled scheme for a period (it keeps the newest version)."""
        authorize(tenant_id, "admin")
        return cycles.open_cycle(
            get_tenant(tenant_id),
            data["scheme_key"],
            data["period"],
            round=data["round"],
            options=data["options"],
            deadlines=data["deadlines"],
        )


@blp.route("/<uuid:cycle_id>")
class CycleDetail(MethodView):
    @blp.response(200, CycleSchema)
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        return _cycle(tenant_id, cycle_id)


@blp.route("/<uuid:cycle_id>/advance")
class Advance(MethodView):
    @blp.arguments(PhaseSchema)
    @blp.response(200, CycleSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Move to the next phase (or forward to ``to``); ``final`` freezes the results."""
        return cycles.advance(_cycle(tenant_id, cycle_id, "admin"), data["to"])


@blp.route("/<uuid:cycle_id>/reopen")
class Reopen(MethodView):
    @blp.arguments(ReopenSchema)
    @blp.response(200, CycleSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Leave the final phase, for a reason (audited)."""
        return cycles.reopen(_cycle(tenant_id, cycle_id, "admin"), data["reason"], data["to"])


@blp.route("/<uuid:cycle_id>/deadlines")
class Deadlines(MethodView):
    @blp.arguments(DeadlinesSchema)
    @blp.response(200, CycleSchema)
    def put(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        return cycles.set_deadlines(_cycle(tenant_id, cycle_id, "admin"), data["deadlines"])


@blp.route("/<uuid:cycle_id>/recompute")
class Recompute(MethodView):
    @blp.response(200, ResultSchema(many=True))
    def post(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Compute the cycle now; unchanged inputs change nothing."""
        cycle = _cycle(tenant_id, cycle_id, "admin")
        compute.recompute(cycle)
        return compute.results_of(cycle)


@blp.route("/<uuid:cycle_id>/results")
class Results(MethodView):
    @blp.arguments(ResultFilterSchema, location="query")
    @blp.response(200, SummarizedResultSchema(many=True))
    @blp.paginate()
    def get(self, filters, tenant_id: uuid.UUID, cycle_id: uuid.UUID, pagination_parameters):
        """The current results (filters: subject_kind, stars)."""
        cycle = _cycle(tenant_id, cycle_id)
        current = compute.current_set(cycle) if g.access.sees_results(cycle.phase) else None
        query = select(EvaluationResult).where(
            EvaluationResult.tenant_id == tenant_id,
            EvaluationResult.result_set_id == (current.id if current else None),
            subjects_visible(g.access, EvaluationResult.subject_kind, EvaluationResult.subject_id),
        )
        for field in ("subject_kind", "stars"):
            if field in filters:
                query = query.where(getattr(EvaluationResult, field) == filters[field])
        query = query.order_by(EvaluationResult.subject_kind.desc(), EvaluationResult.subject_code)
        return paginate_query(query, pagination_parameters)


@blp.route("/<uuid:cycle_id>/sheets")
class Sheets(MethodView):
    @blp.response(200, SheetSchema(many=True))
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """The cycle's score sheets the caller may read (see ``…/results``)."""
        cycle = _cycle(tenant_id, cycle_id)
        visible = subjects_visible(g.access, ScoreSheet.subject_kind, ScoreSheet.subject_id)
        return [_sheet(s) for s in sheets.sheets_of(cycle, where=visible)]

    @blp.arguments(SheetSchema)
    @blp.response(201, SheetSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Save the caller's sheet for a subject (replaces their earlier one). The pages'
        rules apply: a branch secretary scores only within their part of the tree, and only
        what the branch enters (its self-assessment, its months); see ``rater``."""
        cycle = _cycle(tenant_id, cycle_id, "score")
        data = entry.sheet_for(g.access, cycle, sheets.SheetInput(**data))
        return _sheet(sheets.save_sheet(cycle, data))


def _sheet(sheet) -> dict:
    items = sheets.items_of(sheet)
    return {
        "id": sheet.id,
        "subject_kind": sheet.subject_kind,
        "subject_id": sheet.subject_id,
        "source": sheet.source,
        "rater": sheet.rater,
        "period": sheet.period,
        "score": sheet.score,
        "items": {i.indicator: i.points for i in items if i.kind == "points"},
        "deductions": [
            {"id": i.id, "item": i.indicator, "points": i.points, "reason": i.reason}
            for i in items
            if i.kind == "deduction"
        ],
    }


class SummarySchema(Schema):
    cycle = fields.String()
    phase = fields.String()
    tracks = fields.Dict()
    targets = fields.List(fields.Dict())


@blp.route("/<uuid:cycle_id>/summary")
class Summary(MethodView):
    @blp.response(200, SummarySchema)
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Stars and grades per track, and the scheme's targets against the actual shares."""
        return compute.summary(_cycle(tenant_id, cycle_id))
