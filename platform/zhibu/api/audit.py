"""``/api/v1/tenants/<id>/audit``: the audit log of a tenant, listed and exported."""

from __future__ import annotations

import json
import uuid

from flask.views import MethodView
from marshmallow import Schema, fields
from openpyxl import Workbook
from sqlalchemy import select

from zhibu import controls
from zhibu.api.blueprint import Blueprint
from zhibu.api.downloads import streamed
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
        query = (
            _query(tenant_id, filters)
            .with_only_columns(*EXPORTED)
            .execution_options(yield_per=EXPORT_BATCH)
        )
        return streamed(lambda out: _write(out, db.session.execute(query)), *NAMES)


EXPORTED = (
    AuditEntry.at,
    AuditEntry.username,
    AuditEntry.action,
    AuditEntry.entity,
    AuditEntry.entity_id,
    AuditEntry.before,
    AuditEntry.after,
)
EXPORT_BATCH = 2000  # entries the database sends at a time
NAMES = ("审计日志.xlsx", "audit-log.xlsx")


def _write(out, rows) -> None:
    """The entries into ``out`` row by row (openpyxl's write-only mode: bounded memory)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("审计日志")
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFG", (20, 14, 10, 16, 38, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append(HEADERS)
    for at, username, action, entity, entity_id, before, after in rows:
        sheet.append(
            controls.cells(
                [
                    at.replace(tzinfo=None),
                    username,
                    action,
                    entity,
                    entity_id,
                    _json(before),
                    _json(after),
                ]
            )
        )
    book.save(out)


def _json(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False)
