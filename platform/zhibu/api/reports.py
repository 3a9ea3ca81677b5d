"""Reports: ``/api/v1/tenants/<id>/cycles/<id>/reports`` (a cycle's reports as .xlsx or
printable HTML, its star chart as SVG, the stored report set) and
``/api/v1/tenants/<id>/oversight/weakness.<fmt>`` (across the tenants it oversees)."""

from __future__ import annotations

import uuid

from flask import Response, g
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from zhibu.accounts import policy
from zhibu.api.blueprint import Blueprint
from zhibu.api.downloads import disposition, streamed
from zhibu.api.security import authorize
from zhibu.api.times import UtcDateTime
from zhibu.evaluations.cycles import get_cycle
from zhibu.evidence import service as evidence_files
from zhibu.i18n import _, _l
from zhibu.reports import core, oversight, service, store
from zhibu.reports.html import render_html
from zhibu.reports.xlsx import write_xlsx

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>",
    description="Reports of a cycle: 排名, 星级分布, 公示, 计分表, 整改台账 … as .xlsx or "
    "printable HTML; the stored report set; weakness across overseen tenants",
)

CYCLE = "/cycles/<uuid:cycle_id>/reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = {"xlsx": XLSX, "html": "text/html; charset=utf-8"}


class ReportSchema(Schema):
    key = fields.String()
    title = fields.String()
    personal = fields.Boolean()


class ReportArgsSchema(Schema):
    subject_id = fields.UUID(
        metadata={"description": "one subject (core.score_sheet: that subject's sheet)"}
    )


class WeaknessArgsSchema(Schema):
    period = fields.String(
        validate=validate.Regexp(
            r"^\d{4}(H[12]|Q[1-4]|-(0[1-9]|1[0-2]))?$",
            error=_l("期间的写法如 2021、2021H1、2021Q3 或 2021-05。"),
        ),
        metadata={"description": "default: the latest period of the overseen tenants"},
    )


class ReportFileSchema(Schema):
    id = fields.UUID()
    key = fields.String()
    fmt = fields.String()
    title = fields.String()
    personal = fields.Boolean()
    size = fields.Integer()
    result_set_id = fields.UUID(allow_none=True)
    created_at = UtcDateTime()


def send(content: bytes | str, fmt: str, name: str, fallback: str) -> Response:
    response = Response(content, mimetype=TYPES[fmt].split(";")[0])
    if fmt == "html":
        response.headers["Content-Type"] = TYPES["html"]
        return response
    response.headers["Content-Disposition"] = disposition(f"{name}.{fmt}", f"{fallback}.{fmt}")
    return response


def rendered(tables, fmt: str, name: str, fallback: str) -> Response:
    """A report as a printable page, or as a workbook written row by row and streamed."""
    if fmt == "html":
        return send(render_html(tables, name), fmt, name, fallback)
    return streamed(lambda out: write_xlsx(tables, out), f"{name}.xlsx", f"{fallback}.xlsx")


@blp.route(CYCLE)
class Reports(MethodView):
    @blp.response(200, ReportSchema(many=True))
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """The reports this cycle's scheme offers (the core's and its plugin's)."""
        authorize(tenant_id, "whole_tree")
        return sorted(
            service.builders_for(get_cycle(tenant_id, cycle_id)).values(), key=lambda b: b.key
        )


def refusal(access, cycle) -> str:
    """Why a report is not for the caller: not yet published, or members' personal data."""
    if not policy.sees_results(access, cycle.phase):
        return _("本周期的结果尚未公示,公示后才能查看报表。")
    return _("该报表含有党员个人信息,您无权查看。")


@blp.route(f"{CYCLE}/<string:key>.<any(xlsx, html):fmt>")
class Report(MethodView):
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, content_type=XLSX)
    def get(self, args, tenant_id: uuid.UUID, cycle_id: uuid.UUID, key: str, fmt: str):
        """One report, built now; reports with personal data are not for overseers."""
        access = authorize(tenant_id, "whole_tree")
        cycle = get_cycle(tenant_id, cycle_id)
        made = service.builder(cycle, key)
        if not policy.may_read_report(access, made.personal, cycle.phase, made.results):
            abort(403, message=refusal(access, cycle))
        personal = policy.sees_personal_data(access)
        # the tenant's staff print every file; an overseer the kinds the scheme shares
        evidence = policy.allows(access, "ledger") or (
            policy.overseer_only(access) and evidence_files.shareable(cycle.scheme_key)
        )
        tables, title = service.build(cycle, key, args, personal=personal, evidence=evidence)
        return rendered(tables, fmt, f"{title}-{cycle.label}", f"report-{cycle.label}")


@blp.route(f"{CYCLE}/charts/stars.svg")
class StarsChart(MethodView):
    @blp.response(200, content_type="image/svg+xml")
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """The star (or grade) distribution of each track, as an SVG bar chart."""
        authorize(tenant_id, "whole_tree")
        data = service.level_data(get_cycle(tenant_id, cycle_id))
        return Response(core.stars_chart(data), mimetype="image/svg+xml")


@blp.route(f"{CYCLE}/files")
class StoredReports(MethodView):
    @blp.response(200, ReportFileSchema(many=True))
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """The stored report set (made by the ``reports`` job), without personal-data
        reports for overseers, and for them only once the results are published."""
        access = authorize(tenant_id, "whole_tree")
        cycle = get_cycle(tenant_id, cycle_id)
        return store.stored(
            cycle,
            personal=policy.sees_personal_data(access),
            results=policy.sees_results(access, cycle.phase),
        )


@blp.route(f"{CYCLE}/files/<uuid:file_id>")
class StoredReport(MethodView):
    @blp.response(200, content_type=XLSX)
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID, file_id: uuid.UUID):
        """One stored file (.xlsx as a download, HTML as a page)."""
        access = authorize(tenant_id, "whole_tree")
        cycle = get_cycle(tenant_id, cycle_id)
        found = store.stored_file(cycle, file_id)
        personal, results = store.is_personal(cycle, found), store.shows_results(cycle, found)
        if not policy.may_read_report(access, personal, cycle.phase, results):
            abort(403, message=refusal(access, cycle))
        name = f"{found.title}-{cycle.label}"
        return send(found.content, found.fmt, name, f"report-{cycle.label}")


@blp.route("/oversight/weakness.<any(xlsx, html):fmt>")
class WeaknessAcross(MethodView):
    @blp.arguments(WeaknessArgsSchema, location="query")
    @blp.response(200, content_type=XLSX)
    def get(self, args, tenant_id: uuid.UUID, fmt: str):
        """Which indicators lose the most points across the tenants this tenant oversees
        (aggregates and tenant names only)."""
        authorize(tenant_id, "oversee")
        tables = oversight.weakness_across(g.access, args.get("period"))
        name = tables[0].title
        return rendered(tables, fmt, name, "weakness")
