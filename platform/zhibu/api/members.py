"""``/api/v1/tenants/<id>/members``: the member registry, transfers, roster import/export.

Who sees what is decided in :mod:`zhibu.members.service`: an overseer gets id, name and
branch only; an admin gets the ID card masked (``id_card_masked``), nobody gets it whole.
"""

from __future__ import annotations

import uuid
from datetime import date
from io import BytesIO

from flask import jsonify, request, send_file
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate

from zhibu.api import error_body
from zhibu.api.blueprint import Blueprint
from zhibu.api.downloads import disposition, streamed
from zhibu.api.jobs import JobSchema
from zhibu.api.pagination import paginate_query
from zhibu.api.security import authorize
from zhibu.api.times import UtcDateTime
from zhibu.db import db
from zhibu.errors import Forbidden, NotFound, ServiceError
from zhibu.i18n import _
from zhibu.jobs import enqueue, uploads
from zhibu.members import importer, roster, service
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
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


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


class ImportOptionsSchema(Schema):
    """What the user chooses besides the file (form fields with an upload, JSON else)."""

    transfer_on = fields.Date(
        load_default=None, metadata={"description": "date of the transfers (default: today)"}
    )
    absent = fields.String(
        load_default="list",
        validate=validate.OneOf(("list", "leave")),
        metadata={"description": "members missing from the file: list them, or mark them left"},
    )
    left_on = fields.Date(
        load_default=None, metadata={"description": "when they left (default: transfer_on)"}
    )


class ImportUploadSchema(UploadSchema, ImportOptionsSchema):
    """The workbook and, as further fields of the same form, the options."""


class DecisionsSchema(ImportOptionsSchema):
    decisions = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        load_default=dict,
        metadata={"description": 'row number → "new" or the id of the member to update'},
    )


class ImportErrorSchema(Schema):
    row = fields.Integer()
    column = fields.String()
    header = fields.String()
    message = fields.String()


class CellProblemSchema(Schema):
    column = fields.String()
    header = fields.String()
    message = fields.String()


class ChangeSchema(Schema):
    field = fields.String()
    label = fields.String()
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class TransferPlanSchema(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    on = fields.String()


class CandidateSchema(Schema):
    member_id = fields.String()
    archive_code = fields.String()
    name = fields.String()
    branch = fields.String()
    birth_date = fields.String(allow_none=True)
    suggested = fields.Boolean()


class ImportRowSchema(Schema):
    row = fields.Integer()
    kind = fields.String(metadata={"description": "create, update, unchanged, error, pending"})
    name = fields.String()
    branch = fields.String()
    archive_code = fields.String(allow_none=True)
    member_id = fields.String(allow_none=True)
    matched_by = fields.String(allow_none=True)
    changes = fields.List(fields.Nested(ChangeSchema))
    transfer = fields.Nested(TransferPlanSchema, allow_none=True)
    errors = fields.List(fields.Nested(CellProblemSchema))
    candidates = fields.List(fields.Nested(CandidateSchema))
    decision = fields.String(allow_none=True)


class AbsentSchema(Schema):
    member_id = fields.String()
    archive_code = fields.String()
    name = fields.String()
    branch = fields.String()


class IgnoredSchema(Schema):
    column = fields.String()
    header = fields.String()
    reason = fields.String()


class ImportReportSchema(Schema):
    total = fields.Integer()
    to_create = fields.Integer()
    to_update = fields.Integer()
    unchanged = fields.Integer()
    to_transfer = fields.Integer()
    pending = fields.Integer()
    error_rows = fields.Integer()
    absent_count = fields.Integer()
    to_leave = fields.Integer()
    rows = fields.List(fields.Nested(ImportRowSchema))
    absent = fields.List(fields.Nested(AbsentSchema))
    errors = fields.List(fields.Nested(ImportErrorSchema))
    ignored = fields.List(fields.Nested(IgnoredSchema))
    ignored_headers = fields.List(fields.String())
    examples = fields.List(fields.Integer())
    headers = fields.List(fields.String())
    header_row = fields.Integer()
    sheet = fields.String()
    sha256 = fields.String()
    fingerprint = fields.String()
    options = fields.Dict()
    committed = fields.Boolean()
    history_id = fields.String(allow_none=True)
    upload_id = fields.String(allow_none=True)
    ok = fields.Boolean()


class HistorySchema(Schema):
    id = fields.UUID()
    at = UtcDateTime()
    username = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    status = fields.String()
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    transferred = fields.Integer()
    left = fields.Integer()
    errors = fields.Integer()
    error_report = fields.Boolean(
        metadata={"description": "GET …/import/history/<id>/errors.xlsx has the report"}
    )


@blp.route("")
class Members(MethodView):
    @blp.arguments(MemberFilterSchema, location="query")
    @blp.response(200, MemberSchema(many=True))
    @blp.paginate()
    def get(self, filters, tenant_id: uuid.UUID, pagination_parameters):
        """List the members the caller may see (filters: org_id, status, category, q);
        a member's name is personal data: not for overseers (issue 23)."""
        access = authorize(tenant_id, "personal_data")
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
        """One member the caller may see (not for overseers: issue 23)."""
        access = authorize(tenant_id, "personal_data")
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
            raise Forbidden(_("监督方不能查看转接记录。"))
        return service.transfer_history(member)


def _form_options() -> dict:
    """The options sent beside the file (multipart form fields)."""
    try:
        return ImportOptionsSchema().load(request.form, unknown="exclude")
    except ValidationError as error:
        raise ServiceError(_("导入选项有误。"), errors=error.messages) from None


def _options(data: dict, decisions: dict | None = None) -> importer.Options:
    transfer_on = data.get("transfer_on") or date.today()
    return importer.Options(
        transfer_on=transfer_on,
        mark_absent=data.get("absent") == "leave",
        left_on=data.get("left_on") or transfer_on,
        decisions=decisions or {},
    )


def _decisions(raw: dict[str, str]) -> dict[int, str]:
    try:
        return {int(row): value for row, value in raw.items()}
    except ValueError:
        raise ServiceError(_("decisions 的键应为行号。"), field="decisions") from None


def _with_upload(report: importer.ImportReport, upload_id: str) -> dict:
    return report.as_dict() | {"upload_id": upload_id}


def _keep(access, upload_id: str, report: importer.ImportReport, plan: bytes | None) -> dict:
    body = _with_upload(report, upload_id)
    uploads.keep_preview(upload_id, body, plan, tenant_id=access.tenant_id, user_id=access.user.id)
    return body


def _take(access, upload_id: str) -> uploads.Upload:
    return uploads.take(upload_id, tenant_id=access.tenant_id, user_id=access.user.id)


@blp.route("/import/preview")
class ImportPreview(MethodView):
    @blp.arguments(ImportUploadSchema, location="files")
    @blp.response(200, ImportReportSchema)
    def post(self, files, tenant_id: uuid.UUID):
        """What importing the workbook would do, row by row; writes nothing. The answer's
        ``upload_id`` names the upload (kept a day, for the caller only): decide the
        pending rows at ``POST …/import/previews/<upload_id>``, then commit."""
        access = authorize(tenant_id, "registry")
        tenant = service.tenant_of(access)
        upload = files["file"]
        data = upload.read()
        upload_id = uploads.stash(
            data, tenant_id=tenant_id, user_id=access.user.id, name=upload.filename or ""
        )
        return _keep(
            access, upload_id, *importer.prepare(tenant, access, data, _options(_form_options()))
        )


@blp.route("/import/previews/<upload_id>")
class ImportPreviewAgain(MethodView):
    @blp.response(200, ImportReportSchema)
    def get(self, tenant_id: uuid.UUID, upload_id: str):
        """The last preview made of the upload."""
        access = authorize(tenant_id, "registry")
        return _take(access, upload_id).preview or {}

    @blp.arguments(DecisionsSchema)
    @blp.response(200, ImportReportSchema)
    def post(self, data, tenant_id: uuid.UUID, upload_id: str):
        """The preview made again with these options and decisions (``decisions``: row
        number → ``"new"`` or the id of one of the row's candidates)."""
        access = authorize(tenant_id, "registry")
        tenant = service.tenant_of(access)
        upload = _take(access, upload_id)
        options = _options(data, _decisions(data["decisions"]))
        return _keep(access, upload_id, *importer.prepare(tenant, access, upload.data, options))


@blp.route("/import/previews/<upload_id>/commit")
class ImportCommit(MethodView):
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(409, description="the registry changed: the new preview is in `report`")
    @blp.alt_response(422, description="bad or undecided rows: nothing was imported")
    def post(self, tenant_id: uuid.UUID, upload_id: str):
        """Apply exactly what the last preview showed, or nothing: if the registry changed
        since, 409 with the preview made again (``report``) for the caller to check."""
        access = authorize(tenant_id, "registry")
        tenant = service.tenant_of(access)
        upload = _take(access, upload_id)
        try:
            report = importer.commit_prepared(
                tenant, access, upload.data, upload.preview or {}, upload.plan, filename=upload.name
            )
        except importer.PreviewOutdated as exc:
            body = _keep(access, upload_id, exc.report, exc.writes)
            return jsonify(error_body(409, exc.message) | {"report": body}), 409
        except importer.ImportRejected as exc:
            body = _with_upload(exc.report, upload_id)
            return jsonify(error_body(422, exc.message, exc.errors) | {"report": body}), 422
        return _with_upload(report, upload_id)


@blp.route("/import/previews/<upload_id>/errors.xlsx")
class PreviewErrors(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
    def get(self, tenant_id: uuid.UUID, upload_id: str):
        """The preview's error report: the bad rows, each bad cell marked."""
        access = authorize(tenant_id, "registry")
        upload = _take(access, upload_id)
        return _xlsx(importer.error_report(upload.preview or {}), "errors.xlsx")


@blp.route("/import")
class Import(MethodView):
    @blp.arguments(ImportUploadSchema, location="files")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(422, description="the file has problems: nothing was imported")
    def post(self, files, tenant_id: uuid.UUID):
        """Import the workbook whole, or nothing (422 lists every problem, also each row
        that needs a decision: use the preview for those)."""
        access = authorize(tenant_id, "registry")
        tenant = service.tenant_of(access)
        upload = files["file"]
        try:
            report = importer.commit(
                tenant,
                access,
                upload.read(),
                _options(_form_options()),
                filename=upload.filename or "",
            )
        except importer.ImportRejected as exc:
            db.session.rollback()
            body = error_body(422, exc.message, exc.errors) | {"report": exc.report.as_dict()}
            return jsonify(body), 422
        return report.as_dict()


@blp.route("/import/job")
class ImportJob(MethodView):
    @blp.arguments(ImportUploadSchema, location="files")
    @blp.response(202, JobSchema)
    def post(self, files, tenant_id: uuid.UUID):
        """Import the workbook as a background job (large rosters); follow it at
        ``GET …/jobs/<id>``: its result is the import report, committed or not."""
        access = authorize(tenant_id, "registry")
        upload = files["file"]
        upload_id = uploads.stash(
            upload.read(), tenant_id=tenant_id, user_id=access.user.id, name=upload.filename or ""
        )
        return enqueue(
            "zhibu.jobs.tasks.import_roster",
            upload_id,
            _options(_form_options()).as_dict(),
            tenant_id=tenant_id,
            user_id=access.user.id,
        )


@blp.route("/import/history")
class ImportHistory(MethodView):
    @blp.response(200, HistorySchema(many=True))
    def get(self, tenant_id: uuid.UUID):
        """The latest imports (an admin: the tenant's; anyone else: their own)."""
        access = authorize(tenant_id, "registry")
        entries = importer.history(access)
        return [{**_columns(e), "error_report": bool(e.report)} for e in entries]


def _columns(entry) -> dict:
    return {c.key: getattr(entry, c.key) for c in entry.__table__.columns}


@blp.route("/import/history/<uuid:import_id>/errors.xlsx")
class HistoryErrors(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
    def get(self, tenant_id: uuid.UUID, import_id: uuid.UUID):
        """The error report of a refused import."""
        access = authorize(tenant_id, "registry")
        entry = importer.history_entry(access, import_id)
        if not entry.report:
            raise NotFound(_("这次导入没有错误报告。"))
        return _xlsx(importer.error_report(entry.report), "errors.xlsx")


@blp.route("/import/template")
class Template(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
    def get(self, tenant_id: uuid.UUID):
        """An empty roster workbook with the column guide and an example row."""
        authorize(tenant_id, "registry")
        return _xlsx(roster.template(), "roster-template.xlsx")


def _xlsx(content: bytes, name: str):
    return send_file(BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=name)


@blp.route("/export")
class Export(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
    def get(self, tenant_id: uuid.UUID):
        """The roster the caller may see, as .xlsx (imports back unchanged)."""
        access = authorize(tenant_id)
        tenant = service.tenant_of(access)
        filename = f"{tenant.name}党员花名册{date.today():%Y%m%d}.xlsx"
        response = streamed(lambda out: importer.export_to(out, tenant, access), filename, "")
        response.headers["Content-Disposition"] = _attachment(filename, tenant.code)
        return response


def _attachment(filename: str, code: str) -> str:
    """The roster's name, and for old browsers ``roster-<tenant code>-<date>.xlsx``."""
    return disposition(filename, f"roster-{code}-{date.today():%Y%m%d}.xlsx")


def _one(access, member) -> dict:
    return service.present(access, [member])[0]
