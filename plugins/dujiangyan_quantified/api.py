"""``/api/v1/tenants/<id>/dujiangyan``: a unit's month on one sheet, its workbook, and the
archive-code labels. Contributed through ``zhibu_blueprints``.

Every view authorizes first (404 for a tenant the caller cannot see, 403 for what their
roles cannot do), then reads the body: what is wrong with a request is told only to those
allowed to make it. Writes need ``score`` (tenant admin, assessor, branch secretary within
their subtree); reading a sheet, a workbook or labels shows members' archive codes, so
overseers and members (who may read only themselves) are refused.

| method | path (under the prefix) | what |
|---|---|---|
| GET | ``/branches/<org_id>/months/<month>`` | the month's sheet: members and what is entered |
| PUT | ``/branches/<org_id>/months/<month>`` | ``{"rows": [...]}``: save all or nothing |
| GET | ``/branches/<org_id>/months/<month>/workbook`` | the pre-filled .xlsx |
| POST | ``/branches/<org_id>/months/<month>/workbook/preview`` | upload (``file``): report |
| POST | ``/branches/<org_id>/months/<month>/workbook`` | upload (``file``): save or 422 |
| GET | ``/branches/<org_id>/labels`` | printable A4 sheet of QR labels (HTML) |

A flask-smorest blueprint: the platform registers it with its API, so these operations are
in ``/api/openapi.json`` with what they take and answer (issue 17). Bodies are read here,
not by ``@blp.arguments``, so that a bad row is told as (row, field, message) like the
service's own problems; the document declares them all the same.
"""

from __future__ import annotations

import uuid
from io import BytesIO
from urllib.parse import quote

from flask import Response, jsonify, request, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from dujiangyan_quantified import labels, months, workbook
from zhibu.accounts import policy
from zhibu.accounts.access import TenantAccess
from zhibu.api import error_body
from zhibu.api.messages import translated
from zhibu.api.security import authorize
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations import entry
from zhibu.i18n import _
from zhibu.orgs.service import get_org

blp = Blueprint(
    "dujiangyan_quantified",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>/dujiangyan",
    template_folder="templates",
    description="都江堰 quantified scheme: a unit's month on one sheet, its workbook, labels",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH = "/branches/<uuid:org_id>/months/<month>"
UPLOAD = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    },
}


def _file(content_type: str, description: str) -> dict:
    return {"description": description, "content": {content_type: {"schema": {"type": "string"}}}}


class MonthDeductionSchema(Schema):
    item = fields.String(required=True)
    points = fields.Float(required=True)
    reason = fields.String(load_default="")


class RowSchema(Schema):
    archive_code = fields.String(load_default=None, validate=validate.Length(1, 64))
    member_id = fields.UUID(load_default=None)
    score = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    items = fields.Dict(keys=fields.String(), values=fields.Float(allow_nan=False))
    deductions = fields.List(fields.Nested(MonthDeductionSchema))
    name = fields.String(load_default=None)


class MonthSchema(Schema):
    rows = fields.List(fields.Nested(RowSchema), required=True)


# -- what the operations answer -------------------------------------------------------------


class EntrySchema(Schema):
    score = fields.Float(allow_none=True)
    items = fields.Dict(keys=fields.String(), values=fields.Float())
    deductions = fields.List(fields.Nested(MonthDeductionSchema))


class SheetMemberSchema(Schema):
    member_id = fields.UUID()
    archive_code = fields.String()
    name = fields.String()
    unit_code = fields.String()
    unit_name = fields.String()
    entered = fields.Nested(EntrySchema, allow_none=True)


class MonthSheetSchema(Schema):
    unit_id = fields.UUID()
    unit_code = fields.String()
    unit_name = fields.String()
    month = fields.String()
    cycle_id = fields.UUID()
    phase = fields.String()
    members = fields.List(fields.Nested(SheetMemberSchema))


class SavedSchema(Schema):
    unit_code = fields.String()
    month = fields.String()
    saved = fields.Integer()


class ProblemSchema(Schema):
    """A bad row of a month (``row`` 0: the request as a whole) or a bad cell of a
    workbook (its ``row`` and ``column`` in the sheet)."""

    row = fields.Integer()
    field = fields.String()
    column = fields.Raw(allow_none=True)
    header = fields.String()
    message = fields.String()


class WorkbookReportSchema(Schema):
    unit_code = fields.String()
    month = fields.String()
    rows = fields.Integer()
    to_save = fields.Integer()
    blank = fields.Integer()
    unchanged = fields.Integer()
    errors = fields.List(fields.Dict())
    sha256 = fields.String()
    committed = fields.Boolean()
    ok = fields.Boolean()


class RejectedSchema(Schema):
    """422: nothing was saved; ``errors`` lists every problem (a field holding a control
    character is named the platform's way: ``{"json": {"rows.0.name": ["…"]}}``)."""

    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    errors = fields.Raw(metadata={"description": "a list of problems, or fields by place"})
    report = fields.Nested(WorkbookReportSchema)


def _reader(tenant_id: uuid.UUID, org_id: uuid.UUID) -> TenantAccess:
    """May read the members (with their archive codes) of this unit: the roster's
    readers (``roster``), within their part of the tree."""
    access = authorize(tenant_id, "roster")
    policy.unit_in_reach(access, "roster", org_id)
    return access


def _scorer(tenant_id: uuid.UUID, org_id: uuid.UUID, month: str) -> TenantAccess:
    """May enter the unit's month: the month's source as the policy lets the caller enter
    it (as on the branch's month page), for a unit within their reach."""
    access = authorize(tenant_id, "score")
    policy.unit_in_reach(access, "score", org_id)
    cycle = months.month_cycle(tenant_id, month)
    source = entry.track_source(cycle, "member", months.SOURCE)
    policy.require_entry(access, entry.scheme_of(cycle), source)
    return access


@blp.get(MONTH)
@blp.response(200, MonthSheetSchema)
def month_sheet(tenant_id: uuid.UUID, org_id: uuid.UUID, month: str):
    """The members on the unit's sheet for the month, and what each has entered."""
    _reader(tenant_id, org_id)
    return months.load_sheet(tenant_id, org_id, month).as_dict()


@blp.put(MONTH)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": MonthSchema}}})
@blp.response(200, SavedSchema)
@blp.alt_response(422, schema=RejectedSchema)
def save_month(tenant_id: uuid.UUID, org_id: uuid.UUID, month: str):
    """Save one row per member (score, items or deductions) in one transaction, or none:
    422 lists every bad row with its field."""
    _scorer(tenant_id, org_id, month)
    try:
        body = MonthSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        return _invalid(exc)
    rows = [months.MonthRow(**row) for row in body["rows"]]
    return months.save_month(tenant_id, org_id, month, rows)  # MonthRejected: 422


def _invalid(exc: ValidationError):
    """marshmallow's nested messages as (row, field, message), like the service's own."""
    messages = translated(exc.messages if isinstance(exc.messages, dict) else {"": exc.messages})
    problems = []
    for row, fields_ in (messages.get("rows") or {}).items():
        if not isinstance(row, int):
            continue
        for name, texts in (fields_ if isinstance(fields_, dict) else {"": fields_}).items():
            problems.append({"row": row + 1, "field": name, "message": _text(texts)})
    for name, texts in messages.items():
        if name != "rows" or not isinstance(texts, dict):
            problems.append({"row": 0, "field": name, "message": _text(texts)})
    body = error_body(422, _("请求格式不正确,未保存。"))
    return jsonify(body | {"errors": problems}), 422


def _text(texts) -> str:
    if isinstance(texts, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in texts.items())
    return "; ".join(map(str, texts)) if isinstance(texts, list) else str(texts)


@blp.get(MONTH + "/workbook")
@blp.doc(responses={200: _file(XLSX, "the month's workbook")})
def month_workbook(tenant_id: uuid.UUID, org_id: uuid.UUID, month: str):
    """The month's workbook, pre-filled with the members and what is entered."""
    _reader(tenant_id, org_id)
    sheet = months.load_sheet(tenant_id, org_id, month)
    data = workbook.template(sheet, months.member_rubric(sheet.cycle))
    name = f"{sheet.unit.name}{month}党员每月记实考评表.xlsx"
    response = send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"month-{month}.xlsx\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    return response


def _upload() -> bytes:
    upload = request.files.get("file")
    if upload is None:
        raise ServiceError(_("请上传 .xlsx 文件(字段 file)。"), field="file")
    return upload.read()


@blp.post(MONTH + "/workbook/preview")
@blp.doc(requestBody=UPLOAD)
@blp.response(200, WorkbookReportSchema)
def preview_workbook(tenant_id: uuid.UUID, org_id: uuid.UUID, month: str):
    """What uploading the workbook would save, with every bad cell; writes nothing."""
    _scorer(tenant_id, org_id, month)
    return workbook.preview(tenant_id, org_id, month, _upload()).as_dict()


@blp.post(MONTH + "/workbook")
@blp.doc(requestBody=UPLOAD)
@blp.response(200, WorkbookReportSchema)
@blp.alt_response(422, schema=RejectedSchema)
def commit_workbook(tenant_id: uuid.UUID, org_id: uuid.UUID, month: str):
    """Save the workbook's month whole, or nothing (422 lists every bad cell)."""
    _scorer(tenant_id, org_id, month)
    try:
        return workbook.commit(tenant_id, org_id, month, _upload()).as_dict()
    except workbook.WorkbookRejected as exc:
        db.session.rollback()
        body = error_body(422, exc.message, exc.errors) | {"report": exc.report.as_dict()}
        return jsonify(body), 422


@blp.get("/branches/<uuid:org_id>/labels")
@blp.doc(responses={200: _file("text/html", "an A4 page of labels to print")})
def archive_labels(tenant_id: uuid.UUID, org_id: uuid.UUID):
    """一人一档一盒一码: the QR labels of the unit's members, an A4 page to print."""
    _reader(tenant_id, org_id)
    return Response(labels.label_sheet(get_org(tenant_id, org_id)), mimetype="text/html")
