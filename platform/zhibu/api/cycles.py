"""``/api/v1/tenants/<id>/cycles``: cycles, phases, recompute, results, score sheets."""

from __future__ import annotations

import uuid

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.sql.elements import True_

from zhibu.api.blueprint import Blueprint
from zhibu.api.pagination import paginate_query
from zhibu.api.security import authorize, subjects_visible
from zhibu.db import db
from zhibu.errors import Conflict
from zhibu.evaluations import (
    compute,
    cycles,
    entered,
    entry,
    explain,
    listing,
    phases,
    publication,
    sheets,
    stale,
)
from zhibu.i18n import _
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
    stale_subjects = fields.Method(
        "_stale",
        dump_only=True,
        metadata={
            "description": "subjects whose inputs changed after the last recompute: "
            "their results are out of date until the next one (publishing is refused)"
        },
    )
    reopened = fields.Dict(
        dump_only=True,
        metadata={
            "description": "inputs taken again after their phase: ``cycle`` (the whole "
            "cycle) and ``subjects`` (by id), each with its reason, who and when"
        },
    )

    def _stale(self, cycle) -> int:
        return stale.stale_subjects(cycle)


class PhaseSchema(Schema):
    to = fields.String(load_default=None, validate=validate.OneOf(PHASES))
    confirm = fields.Boolean(
        load_default=False,
        metadata={"description": "into publicity or final: true, after reading the preview"},
    )
    based_on = fields.Integer(
        load_default=None, metadata={"description": "into publicity or final: the preview's"}
    )
    result_set_id = fields.UUID(load_default=None)


class ReopenSchema(Schema):
    reason = fields.String(required=True)
    to = fields.String(load_default="review", validate=validate.OneOf(PHASES[:-1]))


class InputsReopenSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1))
    subject_id = fields.UUID(
        load_default=None, metadata={"description": "one subject (else the whole cycle)"}
    )


class InputsCloseSchema(Schema):
    reason = fields.String(load_default="")
    subject_id = fields.UUID(load_default=None)


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
    track = fields.String()
    stars = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1))  # a column integer
    level = fields.String(
        metadata={"description": "stars (5 … 1), a grade's key, or missing (rated, no level)"}
    )
    grade = fields.String()
    flag = fields.String(metadata={"description": "a flag's or an action's key"})
    unit = fields.UUID(metadata={"description": "a unit: its subtree and their members"})
    name = fields.String(metadata={"description": "part of the subject's name or code"})


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
    version = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0),
        metadata={
            "description": "the sheet's version as the caller read it (0: not saved yet); "
            "given, a save that another one overtook is refused with 409. Each save adds 1"
        },
    )


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
        """Move to the next phase (or forward to ``to``); ``final`` freezes the results.
        Into ``publicity`` or ``final`` the results are published: read
        ``GET …/publications/preview`` first, then confirm (``confirm``, ``based_on``), as
        ``POST …/publications`` does."""
        cycle = _cycle(tenant_id, cycle_id, "admin")
        target = data["to"] or PHASES[min(PHASES.index(cycle.phase) + 1, len(PHASES) - 1)]
        if target not in publication.PUBLISHED or cycle.phase == "final":
            return cycles.advance(cycle, data["to"])
        if not data["confirm"] or data["based_on"] is None:
            preview = f"/api/v1/tenants/{tenant_id}/cycles/{cycle_id}/publications/preview"
            raise Conflict(
                _(
                    "发布结果须先查看预览再确认:请先读取 GET %(url)s,"
                    "再带上 confirm=true 和 based_on 提交。",
                    url=preview,
                ),
                field="confirm",
            )
        publication.publish(
            cycle, target, based_on=data["based_on"], result_set_id=data["result_set_id"]
        )
        return cycle


@blp.route("/<uuid:cycle_id>/reopen")
class Reopen(MethodView):
    @blp.arguments(ReopenSchema)
    @blp.response(200, CycleSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Leave the final phase, for a reason (audited)."""
        return cycles.reopen(_cycle(tenant_id, cycle_id, "admin"), data["reason"], data["to"])


@blp.route("/<uuid:cycle_id>/inputs/reopen")
class InputsReopen(MethodView):
    @blp.arguments(InputsReopenSchema)
    @blp.response(200, CycleSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Take inputs again after their phase, for the cycle or one subject of it, for a
        reason (audited with who and why); refused for a final cycle."""
        cycle = _cycle(tenant_id, cycle_id, "admin")
        return phases.reopen(
            cycle, subject_id=data["subject_id"], reason=data["reason"], actor=g.access.user
        )


@blp.route("/<uuid:cycle_id>/inputs/close")
class InputsClose(MethodView):
    @blp.arguments(InputsCloseSchema)
    @blp.response(200, CycleSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Close a reopening again (the cycle's, or one subject's); audited."""
        cycle = _cycle(tenant_id, cycle_id, "admin")
        return phases.close(
            cycle, subject_id=data["subject_id"], reason=data["reason"], actor=g.access.user
        )


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
        """The current results, a page at a time, filtered by the database (subject_kind,
        track, stars or level or grade, flag, unit, name)."""
        authorize(tenant_id)
        cycle, current, version = compute.cycle_and_current_set(tenant_id, cycle_id)
        if not g.access.sees_results(cycle.phase):
            current = None
        level = filters.get("level") or filters.get("grade") or ""
        if "stars" in filters:
            level = str(filters["stars"])
        wanted = listing.ResultFilter(
            track=filters.get("track", ""),
            level=level,
            flag=filters.get("flag", ""),
            unit=filters.get("unit"),
            name=filters.get("name", ""),
            subject_kind=filters.get("subject_kind", ""),
        )
        visible = subjects_visible(
            g.access, EvaluationResult.subject_kind, EvaluationResult.subject_id
        )
        if current is None:
            pagination_parameters.item_count = 0
            return []
        # the page's summaries share this cycle's explainer (not looked up again)
        g.setdefault("explainers", {})[cycle.id] = explain.Explainer(cycle, version)
        query = listing.filtered(cycle, current, wanted, visible)
        pagination_parameters.item_count = listing.count_of(current, wanted, visible, query)
        first, size = pagination_parameters.first_item, pagination_parameters.page_size
        if first >= pagination_parameters.item_count:  # past the last page: not asked
            return []
        return db.session.scalars(listing.page_select(cycle, query, first, size)).all()


class SheetFilterSchema(Schema):
    subject_kind = fields.String(validate=validate.OneOf(("org", "member")))
    subject_id = fields.UUID()
    source = fields.String()
    period = fields.String()


@blp.route("/<uuid:cycle_id>/sheets")
class Sheets(MethodView):
    @blp.arguments(SheetFilterSchema, location="query")
    @blp.response(200, SheetSchema(many=True))
    @blp.paginate()
    def get(self, filters, tenant_id: uuid.UUID, cycle_id: uuid.UUID, pagination_parameters):
        """The cycle's score sheets the caller may read (see ``…/results``), a page at a
        time (filters: subject_kind, subject_id, source, period), in the order of subject
        id, source, rater and period; a page's items are read in one query."""
        cycle = _cycle(tenant_id, cycle_id)
        visible = subjects_visible(g.access, ScoreSheet.subject_kind, ScoreSheet.subject_id)
        query = select(ScoreSheet).where(
            ScoreSheet.tenant_id == tenant_id, ScoreSheet.cycle_id == cycle.id, visible
        )
        for field, value in filters.items():
            query = query.where(getattr(ScoreSheet, field) == value)
        total = None  # counted by the database, unless the cycle's own count answers
        if isinstance(visible, True_) and set(filters) <= {"subject_kind"}:
            total = entered.sheets(cycle, filters.get("subject_kind"))
        # in the order of the sheets' unique key: a page is read from its index
        query = query.order_by(
            ScoreSheet.subject_id, ScoreSheet.source, ScoreSheet.rater, ScoreSheet.period
        )
        page = paginate_query(query, pagination_parameters, total)
        items = sheets.items_of_many(tenant_id, [s.id for s in page])
        return [_sheet(s, items.get(s.id, [])) for s in page]

    @blp.arguments(SheetSchema)
    @blp.response(201, SheetSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Save the caller's sheet for a subject (replaces their earlier one). The pages'
        rules apply: a branch secretary scores only within their part of the tree, and only
        what the branch enters (its self-assessment, its months); see ``rater``."""
        cycle = _cycle(tenant_id, cycle_id, "score")
        version = data.pop("version")
        data = entry.sheet_for(g.access, cycle, sheets.SheetInput(**data))
        return _sheet(sheets.save_sheet(cycle, data, version=version))


def _sheet(sheet, items: list | None = None) -> dict:
    items = sheets.items_of(sheet) if items is None else items
    return {
        "id": sheet.id,
        "subject_kind": sheet.subject_kind,
        "subject_id": sheet.subject_id,
        "source": sheet.source,
        "rater": sheet.rater,
        "period": sheet.period,
        "score": sheet.score,
        "version": sheet.version,
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
