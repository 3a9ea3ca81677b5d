"""``/api/v1/tenants/<id>/members``: the member registry, transfers, roster import/export.

Who sees what is decided in :mod:`zhibu.members.service`: an overseer gets id, name and
branch only; an admin gets the ID card masked (``id_card_masked``), nobody gets it whole.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from io import BytesIO
from urllib.parse import quote

from flask import jsonify, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from zhibu.api import error_body
from zhibu.api.jobs import JobSchema
from zhibu.api.pagination import paginate_query
from zhibu.api.security import authorize
from zhibu.db import db
from zhibu.errors import Forbidden
from zhibu.jobs import enqueue, uploads
from zhibu.members import importer, service
from zhibu.models.members import MEMBER_CATEGORIES, MEMBER_STATUSES

blp = Blueprint(
    "members",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>/members",
    description="Member registry (党员名册): members, transfers, roster import and export",
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GENDERS = ("男", "女")


class MemberSchema(Schema):
    """A member as the caller may see it (an overseer gets id, name, org_id, org_name)."""

    id = fields.UUID(dump_only=True)
    org_id = fields.UUID(required=True)
    org_name = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    ethnicity = fields.String(allow_none=True, validate=validate.Length(max=32))
    birth_date = fields.Date(allow_none=True)
    joined_on = fields.Date(allow_none=True, metadata={"description": "入党时间"})
    full_member_on = fields.Date(allow_none=True, metadata={"description": "转正时间"})
    status = fields.String(load_default="full", validate=validate.OneOf(MEMBER_STATUSES))
    category = fields.String(load_default="serving", validate=validate.OneOf(MEMBER_CATEGORIES))
    position = fields.String(allow_none=True, validate=validate.Length(max=64))
    education = fields.String(allow_none=True, validate=validate.Length(max=32))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    archive_code = fields.String(
        allow_none=True,
        validate=validate.Length(1, 64),
        metadata={"description": "档案编码; generated (<tenant code>-000001) when left out"},
    )
    id_card = fields.String(
        load_only=True, allow_none=True, metadata={"description": "身份证号 (write only)"}
    )
    id_card_masked = fields.String(dump_only=True, allow_none=True)
    exempt = fields.Boolean(load_default=False)
    active = fields.Boolean(dump_only=True)
    left_on = fields.Date(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class MemberPatchSchema(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    ethnicity = fields.String(allow_none=True, validate=validate.Length(max=32))
    birth_date = fields.Date(allow_none=True)
    joined_on = fields.Date(allow_none=True)
    full_member_on = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(MEMBER_STATUSES))
    category = fields.String(validate=validate.OneOf(MEMBER_CATEGORIES))
    position = fields.String(allow_none=True, validate=validate.Length(max=64))
    education = fields.String(allow_none=True, validate=validate.Length(max=32))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    archive_code = fields.String(validate=validate.Length(1, 64))
    id_card = fields.String(allow_none=True, metadata={"description": "null removes it"})
    exempt = fields.Boolean()
    active = fields.Boolean()
    left_on = fields.Date(allow_none=True)
    org_id = fields.UUID(metadata={"description": "refused: use POST …/transfer"})


class MemberFilterSchema(Schema):
    org_id = fields.UUID(metadata={"description": "the unit and its whole subtree"})
    status = fields.String(validate=validate.OneOf(MEMBER_STATUSES))
    category = fields.String(validate=validate.OneOf(MEMBER_CATEGORIES))
    active = fields.Boolean()
    q = fields.String(metadata={"description": "part of the name or archive code"})


class TransferSchema(Schema):
    to_org_id = fields.UUID(required=True)
    on = fields.Date(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class TransferOutSchema(Schema):
    id = fields.UUID()
    member_id = fields.UUID()
    from_org_id = fields.UUID()
    from_org_name = fields.String(allow_none=True)
    to_org_id = fields.UUID()
    to_org_name = fields.String(allow_none=True)
    transferred_on = fields.Date()
    reason = fields.String()
    user_id = fields.UUID(allow_none=True)


class UploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "党员花名册 .xlsx"})


class ImportErrorSchema(Schema):
    row = fields.Integer()
    column = fields.String()
    header = fields.String()
    message = fields.String()


class ImportReportSchema(Schema):
    total = fields.Integer()
    to_create = fields.Integer()
    to_update = fields.Integer()
    unchanged = fields.Integer()
    to_transfer = fields.Integer()
    errors = fields.List(fields.Nested(ImportErrorSchema))
    ignored_headers = fields.List(fields.String())
    sha256 = fields.String()
    committed = fields.Boolean()
    ok = fields.Boolean()


@blp.route("")
class Members(MethodView):
    @blp.arguments(MemberFilterSchema, location="query")
    @blp.response(200, MemberSchema(many=True))
    @blp.paginate()
    def get(self, filters, tenant_id: uuid.UUID, pagination_parameters):
        """List the members the caller may see (filters: org_id, status, category, q)."""
        access = authorize(tenant_id)
        query = service.list_query(access, filters)
        return service.present(access, paginate_query(query, pagination_parameters))

    @blp.arguments(MemberSchema)
    @blp.response(201, MemberSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Add a member to an active unit (a branch secretary: inside their subtree)."""
        access = authorize(tenant_id, "registry")
        return _one(access, service.create_member(access, data))


@blp.route("/<uuid:member_id>")
class MemberDetail(MethodView):
    @blp.response(200, MemberSchema)
    def get(self, tenant_id: uuid.UUID, member_id: uuid.UUID):
        access = authorize(tenant_id)
        return _one(access, service.get_member(access, member_id))

    @blp.arguments(MemberPatchSchema)
    @blp.response(200, MemberSchema)
    def patch(self, changes, tenant_id: uuid.UUID, member_id: uuid.UUID):
        """Change a member's fields (moving to another unit is a transfer)."""
        access = authorize(tenant_id, "registry")
        member = service.get_member(access, member_id)
        return _one(access, service.update_member(access, member, changes))


@blp.route("/<uuid:member_id>/transfer")
class Transfer(MethodView):
    @blp.arguments(TransferSchema)
    @blp.response(201, TransferOutSchema)
    def post(self, data, tenant_id: uuid.UUID, member_id: uuid.UUID):
        """组织关系转接: move the member to another active unit, keeping the history."""
        access = authorize(tenant_id, "registry")
        member = service.get_member(access, member_id)
        made = service.transfer_member(
            access, member, data["to_org_id"], data["on"], data["reason"]
        )
        return next(t for t in service.transfer_history(member) if t["id"] == made.id)


@blp.route("/<uuid:member_id>/transfers")
class Transfers(MethodView):
    @blp.response(200, TransferOutSchema(many=True))
    def get(self, tenant_id: uuid.UUID, member_id: uuid.UUID):
        """The member's transfers, oldest first."""
        access = authorize(tenant_id)
        member = service.get_member(access, member_id)
        if service.names_only(access):
            raise Forbidden("监督方不能查看转接记录 / oversight cannot read transfer records")
        return service.transfer_history(member)


@blp.route("/import/preview")
class ImportPreview(MethodView):
    @blp.arguments(UploadSchema, location="files")
    @blp.response(200, ImportReportSchema)
    def post(self, files, tenant_id: uuid.UUID):
        """What importing the workbook would do, with every bad row; writes nothing."""
        access = authorize(tenant_id, "registry")
        tenant = service.tenant_of(access)
        return importer.preview(tenant, access, files["file"].read()).as_dict()


@blp.route("/import")
class Import(MethodView):
    @blp.arguments(UploadSchema, location="files")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(422, description="the file has problems: nothing was imported")
    def post(self, files, tenant_id: uuid.UUID):
        """Import the workbook whole, or nothing (422 lists every problem)."""
        access = authorize(tenant_id, "registry")
        tenant = service.tenant_of(access)
        try:
            return importer.commit(tenant, access, files["file"].read()).as_dict()
        except importer.ImportRejected as exc:
            db.session.rollback()
            body = error_body(422, exc.message, exc.errors) | {"report": exc.report.as_dict()}
            return jsonify(body), 422


@blp.route("/import/job")
class ImportJob(MethodView):
    @blp.arguments(UploadSchema, location="files")
    @blp.response(202, JobSchema)
    def post(self, files, tenant_id: uuid.UUID):
        """Import the workbook as a background job (large rosters); follow it at
        ``GET …/jobs/<id>``: its result is the import report, committed or not."""
        access = authorize(tenant_id, "registry")
        upload_id = uploads.stash(files["file"].read())
        return enqueue(
            "zhibu.jobs.tasks.import_roster", upload_id, tenant_id=tenant_id, user_id=access.user.id
        )


@blp.route("/export")
class Export(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
    def get(self, tenant_id: uuid.UUID):
        """The roster the caller may see, as .xlsx (imports back unchanged)."""
        access = authorize(tenant_id)
        tenant = service.tenant_of(access)
        data = importer.export(tenant, access)
        filename = f"{tenant.name}党员花名册{date.today():%Y%m%d}.xlsx"
        response = send_file(
            BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=filename
        )
        response.headers["Content-Disposition"] = _attachment(filename, tenant.code)
        return response


def _attachment(filename: str, code: str) -> str:
    """RFC 6266 / RFC 5987: an ASCII fallback, then the UTF-8 name percent-encoded."""
    fallback = f"roster-{re.sub(r'[^A-Za-z0-9_.-]', '_', code)}-{date.today():%Y%m%d}.xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _one(access, member) -> dict:
    return service.present(access, [member])[0]
