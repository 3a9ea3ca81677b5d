"""``/api/v1/tenants/<id>/cycles/<id>/…``: publication (结果公示, 确定结果), objections (异议)
and each subject's history of results.

Publishing is two calls: ``GET …/publications/preview?to=publicity|final`` shows what would
be published; ``POST …/publications`` with ``confirm: true`` and the preview's
``based_on`` (and ``result_set_id``) does it. A confirmation made on an outdated preview
(another administrator published meanwhile, or the results were recomputed) is 409.
"""

from __future__ import annotations

import uuid

from flask import g
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from zhibu.api.blueprint import Blueprint
from zhibu.api.security import authorize
from zhibu.api.times import UtcDateTime
from zhibu.errors import Invalid, NotFound
from zhibu.evaluations import cycles, publication
from zhibu.i18n import _

blp = Blueprint(
    "publications",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>/cycles/<uuid:cycle_id>",
    description="Publication of results, objections, each subject's history",
)


class ToSchema(Schema):
    to = fields.String(
        load_default=None,
        validate=validate.OneOf(("publicity", "final")),
        metadata={"description": "publicity (进入公示, or re-publish during it) or final"},
    )


class ConfirmSchema(ToSchema):
    confirm = fields.Boolean(
        required=True, metadata={"description": "must be true: the preview was read"}
    )
    based_on = fields.Integer(
        required=True,
        metadata={"description": "the preview's based_on: the newest version it saw (0: none)"},
    )
    result_set_id = fields.UUID(
        load_default=None, metadata={"description": "the preview's result_set_id"}
    )
    note = fields.String(load_default="")


class ObjectionSchema(Schema):
    id = fields.UUID(dump_only=True)
    publication_version = fields.Method("_version", dump_only=True)
    subject_kind = fields.String(required=True, validate=validate.OneOf(("org", "member")))
    subject_id = fields.UUID(required=True)
    subject_name = fields.String(dump_only=True)
    reason = fields.String(required=True)
    username = fields.String(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    status = fields.String(dump_only=True)
    answer = fields.String(dump_only=True)
    answered_at = UtcDateTime(dump_only=True, allow_none=True)
    files = fields.Method(
        "_files",
        dump_only=True,
        metadata={
            "description": "its files (id, filename, media_type, size), for its author and "
            "the administrators; open one at …/objections/{id}/files/{file_id}"
        },
    )

    def _files(self, objection) -> list[dict]:
        from zhibu.evidence import service as evidence

        rows = getattr(objection, "evidence_rows", None)
        if rows is None:
            rows = evidence.files_of(objection.tenant_id, "objection", [objection.id])
            rows = rows.get((objection.id, ""), [])
        return EvidenceFileSchema(many=True).dump(rows)

    def _version(self, objection) -> int | None:
        from zhibu.db import db
        from zhibu.models import Publication

        found = db.session.get(Publication, (objection.tenant_id, objection.publication_id))
        return found.version if found else None


class EvidenceFileSchema(Schema):
    id = fields.UUID()
    filename = fields.String()
    media_type = fields.String(metadata={"description": "found from the content"})
    size = fields.Integer()


class ObjectionFilesSchema(Schema):
    files = fields.List(
        Upload(),
        required=True,
        metadata={"description": "photos (JPEG, PNG, HEIC), PDF or Office documents"},
    )


class AnswerSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("reject", "uphold")))
    answer = fields.String(required=True)


class PublishedEntrySchema(Schema):
    subject_kind = fields.String()
    subject_id = fields.UUID()
    subject_code = fields.String()
    name = fields.String()
    track = fields.String(allow_none=True)
    rated = fields.Boolean()
    total = fields.Float(allow_none=True)
    stars = fields.Integer(allow_none=True)
    grade = fields.String(allow_none=True)
    titles = fields.List(fields.String())
    result_id = fields.UUID()


class PublicationSchema(Schema):
    version = fields.Integer()
    phase = fields.String()
    published_at = UtcDateTime()
    username = fields.String()
    ends_on = fields.Date(allow_none=True)
    result_set_id = fields.UUID()
    counts = fields.Dict()
    changes = fields.List(fields.Dict())
    note = fields.String()


class PublicationDetailSchema(PublicationSchema):
    entries = fields.List(fields.Nested(PublishedEntrySchema))


class PreviewSchema(Schema):
    to = fields.String()
    phase = fields.String()
    republish = fields.Boolean()
    version = fields.Integer()
    based_on = fields.Integer()
    result_set_id = fields.UUID(allow_none=True)
    computed_at = UtcDateTime(allow_none=True)
    subjects = fields.Integer()
    counts = fields.Dict()
    missing = fields.List(
        fields.Dict(), metadata={"description": "the first 200 rated subjects without a level"}
    )
    missing_total = fields.Integer(metadata={"description": "how many have no level"})
    open_objections = fields.List(fields.Nested(ObjectionSchema))
    changes = fields.List(
        fields.Dict(), metadata={"description": "the first 200 differences from the newest"}
    )
    changes_total = fields.Integer(
        metadata={"description": "how many differences (a publication keeps them all)"}
    )
    publicity_days = fields.Integer()
    ends_on = fields.Date(allow_none=True)
    refusal = fields.String(allow_none=True)


class SubjectHistorySchema(Schema):
    version = fields.Integer()
    at = UtcDateTime()
    result_id = fields.UUID()
    current = fields.Boolean()
    user = fields.String()
    why = fields.String(metadata={"description": "first, recompute or objection"})
    objections = fields.List(fields.String())
    changed = fields.Dict()
    values = fields.Dict()
    publications = fields.List(fields.Dict())


def _cycle(tenant_id: uuid.UUID, cycle_id: uuid.UUID, need: str = "read"):
    authorize(tenant_id, need)
    return cycles.get_cycle(tenant_id, cycle_id)


@blp.route("/publications/preview")
class PublicationPreview(MethodView):
    @blp.arguments(ToSchema, location="query")
    @blp.response(200, PreviewSchema)
    def get(self, args, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """What confirming would publish: counts per level, subjects without a total and
        why, open objections, the differences from the newest publication; ``refusal``
        says why it would be refused."""
        return publication.preview(_cycle(tenant_id, cycle_id, "admin"), args["to"])


@blp.route("/publications")
class Publications(MethodView):
    @blp.response(200, PublicationSchema(many=True))
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Every version published, oldest first."""
        return publication.publications_of(_cycle(tenant_id, cycle_id))

    @blp.arguments(ConfirmSchema)
    @blp.response(201, PublicationSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Publish (进入公示, re-publish during it, or 确定结果), as previewed."""
        cycle = _cycle(tenant_id, cycle_id, "admin")
        if not data["confirm"]:
            raise Invalid(_("发布前请先查看预览,再确认发布。"), field="confirm")
        return publication.publish(
            cycle,
            data["to"],
            based_on=data["based_on"],
            result_set_id=data["result_set_id"],
            note=data["note"],
        )


@blp.route("/publications/<int:version>")
class PublicationDetail(MethodView):
    @blp.response(200, PublicationDetailSchema)
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID, version: int):
        """One version as published, with the entries the caller may read (every unit's;
        members' as their results may be read)."""
        cycle = _cycle(tenant_id, cycle_id)
        found = publication.get_publication(cycle, version)
        entries = publication.entries_of(found, publication.visible_entries(g.access))
        return {**{k: getattr(found, k) for k in PublicationSchema().fields}, "entries": entries}


class EntryFilterSchema(Schema):
    track = fields.String(load_default="", metadata={"description": "a track's key"})
    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "part of the subject's name or code"},
    )


@blp.route("/publications/<int:version>/entries")
class PublicationEntries(MethodView):
    @blp.arguments(EntryFilterSchema, location="query")
    @blp.response(200, PublishedEntrySchema(many=True))
    @blp.paginate()
    def get(
        self, args, tenant_id: uuid.UUID, cycle_id: uuid.UUID, version: int, pagination_parameters
    ):
        """A version's entries the caller may read, a page at a time, in the 公示名单's
        order (units first, by track and code), filtered by track and by part of a name
        or code: what ``…/publications/<version>`` gives whole."""
        cycle = _cycle(tenant_id, cycle_id)
        found = publication.get_publication(cycle, version)
        rows, total, page = publication.entries_page(
            found,
            publication.visible_entries(g.access),
            track=args["track"],
            q=args["q"],
            page=pagination_parameters.page,
            size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return rows if page == pagination_parameters.page else []  # past the last: none


@blp.route("/objections")
class Objections(MethodView):
    @blp.response(200, ObjectionSchema(many=True))
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Every objection for an administrator; the caller's own otherwise."""
        cycle = _cycle(tenant_id, cycle_id, "object")
        rows = publication.objections_for(g.access, cycle)
        found = publication.files_of(g.access, rows)  # their files in one query
        for row in rows:
            row.evidence_rows = found[row.id][0]
        return rows

    @blp.arguments(ObjectionSchema)
    @blp.response(201, ObjectionSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID):
        """Object to a published result, with a reason (during 结果公示 only)."""
        cycle = _cycle(tenant_id, cycle_id, "object")
        return publication.lodge(
            g.access, cycle, data["subject_kind"], data["subject_id"], data["reason"]
        )


@blp.route("/objections/<uuid:objection_id>/files")
class ObjectionFiles(MethodView):
    @blp.arguments(ObjectionFilesSchema, location="files")
    @blp.response(201, EvidenceFileSchema(many=True))
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID, objection_id: uuid.UUID):
        """Files for one's own open objection (multipart, field ``files``, repeated): each
        checked by its content and size, all refused if one is (422 naming it)."""
        from zhibu.db import db
        from zhibu.models import EvidenceFile

        cycle = _cycle(tenant_id, cycle_id, "object")
        uploads = [(f.filename or "", f.read()) for f in data["files"]]
        ids = publication.add_files(g.access, cycle, objection_id, uploads)
        return [db.session.get(EvidenceFile, (tenant_id, i)) for i in ids]


@blp.route("/objections/<uuid:objection_id>/files/<uuid:file_id>")
class ObjectionFile(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID, objection_id, file_id):
        """One file of an objection, for its author and the administrators."""
        from flask import Response

        from zhibu.evidence import service as evidence

        cycle = _cycle(tenant_id, cycle_id, "object")
        objection = publication.get_objection(cycle, objection_id)
        row, content = evidence.open_file(g.access, file_id)
        if row.owner_kind != "objection" or row.owner_id != objection.id:
            raise NotFound(_("没有这份佐证材料。"), field="file_id")
        response = Response(content, mimetype=row.media_type)
        response.headers["Content-Disposition"] = "attachment"
        return response


@blp.route("/objections/<uuid:objection_id>/answer")
class ObjectionAnswer(MethodView):
    @blp.arguments(AnswerSchema)
    @blp.response(200, ObjectionSchema)
    def post(self, data, tenant_id: uuid.UUID, cycle_id: uuid.UUID, objection_id: uuid.UUID):
        """Reject the objection with a written answer, or uphold it (then correct the
        subject, recompute and re-publish)."""
        cycle = _cycle(tenant_id, cycle_id, "admin")
        return publication.answer(cycle, objection_id, data["decision"], data["answer"])


@blp.route("/subjects/<any(org, member):kind>/<uuid:subject_id>/history")
class SubjectHistory(MethodView):
    @blp.response(200, SubjectHistorySchema(many=True))
    def get(self, tenant_id: uuid.UUID, cycle_id: uuid.UUID, kind: str, subject_id: uuid.UUID):
        """The subject's results across recomputes and publications, oldest first."""
        from zhibu.accounts import policy

        cycle = _cycle(tenant_id, cycle_id)
        if not policy.may_read_result(g.access, kind, subject_id, cycle.phase):
            raise NotFound(_("没有这个考评对象的结果,或您无权查看。"))
        return publication.history(cycle, kind, subject_id)
