"""``/api/v1/tenants/<id>/audit``: the audit log of a tenant, listed and exported."""

from __future__ import annotations

import io
import json
import uuid

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from openpyxl import Workbook
from sqlalchemy import select

from zhibu import controls
from zhibu.api.pagination import paginate_query
from zhibu.api.security import authorize
from zhibu.api.times import UtcDateTime
from zhibu.db import db
from zhibu.models import AuditEntry

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>/audit",
    description="Audit log: who changed what, when, before and after",
)


class AuditSchema(Schema):
    id = fields.UUID()
    at = UtcDateTime()
    user_id = fields.UUID(allow_none=True)
    username = fields.String()
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditFilterSchema(Schema):
    entity = fields.String()
    action = fields.String()
    username = fields.String()
    since = UtcDateTime()
    until = UtcDateTime()


def _query(tenant_id: uuid.UUID, filters: dict):
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    for field in ("entity", "action", "username"):
        if field in filters:
            query = query.where(getattr(AuditEntry, field) == filters[field])
    if "since" in filters:
        query = query.where(AuditEntry.at >= filters["since"])
    if "until" in filters:
        query = query.where(AuditEntry.at < filters["until"])
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id)


@blp.route("")
class AuditLog(MethodView):
    @blp.arguments(AuditFilterSchema, location="query")
    @blp.response(200, AuditSchema(many=True))
    @blp.paginate()
    def get(self, filters, tenant_id: uuid.UUID, pagination_parameters):
        """Newest first (filters: entity, action, username, since, until)."""
        authorize(tenant_id, "admin")
        return paginate_query(_query(tenant_id, filters), pagination_parameters)


HEADERS = ("时间", "用户", "操作", "对象", "对象编号", "修改前", "修改后")


@blp.route("/export")
class AuditExport(MethodView):
    @blp.arguments(AuditFilterSchema, location="query")
    @blp.response(
        200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    def get(self, filters, tenant_id: uuid.UUID):
        """The filtered log as an .xlsx workbook."""
        authorize(tenant_id, "admin")
        book = Workbook()
        sheet = book.active
        sheet.title = "审计日志"
        sheet.append(HEADERS)
        for entry in db.session.scalars(_query(tenant_id, filters)):
            sheet.append(
                controls.cells(
                    [
                        entry.at.replace(tzinfo=None),
                        entry.username,
                        entry.action,
                        entry.entity,
                        entry.entity_id,
                        _json(entry.before),
                        _json(entry.after),
                    ]
                )
            )
        sheet.freeze_panes = "A2"
        out = io.BytesIO()
        book.save(out)
        out.seek(0)
        return send_file(
            out, as_attachment=True, download_name="audit-log.xlsx", mimetype=sheet.parent.mime_type
        )


def _json(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False)
