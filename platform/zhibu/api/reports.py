"""``/api/v1/tenants/<id>/cycles/<id>/reports``: a cycle's reports, as .xlsx or HTML."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from zhibu.api.security import authorize
from zhibu.evaluations.cycles import get_cycle
from zhibu.reports import service
from zhibu.reports.html import render_html
from zhibu.reports.xlsx import render_xlsx

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>/cycles/<uuid:cycle_id>/reports",
    description="Reports of a cycle: 登记表, 汇总表, 公示 … as .xlsx or printable HTML",
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportSchema(Schema):
    key = fields.String()
    title = fields.String()
    personal = fields.Boolean()


@blp.route("")
class Reports(MethodView):
    @blp.response(200, ReportSchema(many=True))
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """The reports this cycle's scheme offers."""
        authorize(tenant_id)
        return sorted(
            service.builders_for(get_cycle(tenant_id, cycle_id)).values(), key=lambda b: b.key
        )


@blp.route("/<string:key>.<any(xlsx, html):fmt>")
class Report(MethodView):
    @blp.response(200, content_type=XLSX)
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID, key: str, fmt: str):
        """One report; reports with personal data are not for overseers."""
        access = authorize(tenant_id)
        cycle = get_cycle(tenant_id, cycle_id)
        if service.builder(cycle, key).personal and not access.personal_data:
            abort(403, message="this report shows members' personal data")
        tables, title = service.build(cycle, key)
        name = f"{title}-{cycle.label}"
        if fmt == "html":
            return Response(render_html(tables, name), mimetype="text/html")
        response = Response(render_xlsx(tables), mimetype=XLSX)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="report-{cycle.label}.xlsx"; '
            f"filename*=UTF-8''{quote(name)}.xlsx"
        )
        return response
