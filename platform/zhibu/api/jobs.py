"""``/api/v1/tenants/<id>/jobs`` and ``…/notifications``: start background work, follow
its progress, retry it when it failed; read the reminders the scheduled job left."""

from __future__ import annotations

import uuid
from datetime import date

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import false, select

from zhibu.api.blueprint import Blueprint
from zhibu.api.pagination import paginate_query
from zhibu.api.security import authorize, within_reach
from zhibu.api.times import UtcDateTime
from zhibu.evaluations.cycles import get_cycle
from zhibu.i18n import _
from zhibu.jobs import JobHandle, enqueue, fetch, job_for, retry
from zhibu.jobs.names import kind_name, step_name
from zhibu.models import NOTIFICATION_KINDS, Notification

blp = Blueprint(
    "jobs",
    __name__,
    url_prefix="/api/v1/tenants/<uuid:tenant_id>",
    description="Background jobs (recompute, reports, imports) and reminders",
)

# What a user starts through POST …/jobs: the job function and the access it needs.
JOB_KINDS = {
    "recompute": ("zhibu.jobs.tasks.recompute_cycle", "admin"),
    "reports": ("zhibu.jobs.tasks.generate_reports", "admin"),
    "reminders": ("zhibu.jobs.tasks.send_reminders", "admin"),
}
RETRY_NEEDS = {"import_roster": "registry"}  # other kinds need admin to retry


class ProgressSchema(Schema):
    done = fields.Integer()
    total = fields.Integer()
    step = fields.String(metadata={"description": "the stage's key (stable)"})
    detail = fields.String(metadata={"description": "what the stage works on, if anything"})
    step_name = fields.Function(
        step_name, metadata={"description": "the stage's name in the caller's language"}
    )


class JobSchema(Schema):
    id = fields.String()
    kind = fields.String()
    kind_name = fields.Function(
        lambda handle: kind_name(handle.kind),
        metadata={"description": "the job kind's name in the caller's language"},
    )
    status = fields.String(metadata={"description": "queued, started, finished or failed"})
    progress = fields.Nested(ProgressSchema, allow_none=True)
    result = fields.Raw(allow_none=True)
    error = fields.String(allow_none=True)
    enqueued_at = UtcDateTime(allow_none=True)
    ended_at = UtcDateTime(allow_none=True)
    retries = fields.Method("_retries")

    def _retries(self, handle: JobHandle) -> int:
        return handle.meta.get("retries", 0)


class StartSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(sorted(JOB_KINDS)))
    cycle_id = fields.UUID(load_default=None, metadata={"description": "recompute, reports"})


class NotificationSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    ref = fields.String()
    org_id = fields.UUID(allow_none=True)
    day = fields.Date()
    due_on = fields.Date()
    text = fields.String()


class NotificationFilterSchema(Schema):
    day = fields.Date(metadata={"description": "default: today"})
    kind = fields.String(validate=validate.OneOf(NOTIFICATION_KINDS))


@blp.route("/jobs")
class Jobs(MethodView):
    @blp.arguments(StartSchema)
    @blp.response(202, JobSchema)
    def post(self, data, tenant_id: uuid.UUID):
        """Start a job; follow it at ``GET …/jobs/<id>`` (inline mode: already done)."""
        path, need = JOB_KINDS[data["kind"]]
        access = authorize(tenant_id, need)
        args = ()
        if data["kind"] in {"recompute", "reports"}:
            if data["cycle_id"] is None:
                abort(422, errors={"json": {"cycle_id": [_("这项任务须指定考评周期。")]}})
            args = (str(get_cycle(tenant_id, data["cycle_id"]).id),)
        return enqueue(path, *args, tenant_id=tenant_id, user_id=access.user.id)


@blp.route("/jobs/<uuid:job_id>")
class Job(MethodView):
    @blp.response(200, JobSchema)
    def get(self, tenant_id: uuid.UUID, job_id: uuid.UUID):
        """A job's status, progress (done of total, current step), result or error: for
        the tenant's admins and the user who started it."""
        handle = job_for(authorize(tenant_id), job_id)
        if handle is None:
            abort(404, message=_("没有找到您的这项任务(编号不对,或记录已过期)。"))
        return handle


@blp.route("/jobs/<uuid:job_id>/retry")
class Retry(MethodView):
    @blp.response(202, JobSchema)
    def post(self, tenant_id: uuid.UUID, job_id: uuid.UUID):
        """Run a failed job again with the same arguments (jobs are idempotent)."""
        authorize(tenant_id, "registry")  # the least any job needs: overseers stop here
        handle = _job_of(tenant_id, job_id)
        authorize(tenant_id, RETRY_NEEDS.get(handle.kind, "admin"))
        return retry(handle.id)


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationFilterSchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate()
    def get(self, filters, tenant_id: uuid.UUID, pagination_parameters):
        """The day's reminders (default today); a township's staff see their own units'."""
        access = authorize(tenant_id)
        query = select(Notification).where(
            Notification.tenant_id == tenant_id,
            Notification.day == filters.get("day", date.today()),
        )
        if "kind" in filters:
            query = query.where(Notification.kind == filters["kind"])
        if not access.whole_tree:  # a township's staff: their units' items; a member: none
            query = query.where(Notification.org_id.isnot(None))
            query = within_reach(access, query, Notification.org_id)
            if not access.subtrees:
                query = query.where(false())
        query = query.order_by(Notification.due_on, Notification.kind, Notification.ref)
        return paginate_query(query, pagination_parameters)


def _job_of(tenant_id: uuid.UUID, job_id: uuid.UUID) -> JobHandle:
    handle = fetch(str(job_id))
    if handle is None or handle.tenant_id != str(tenant_id):
        abort(404, message=_("本单位没有这项任务(编号不对,或记录已过期)。"))
    return handle
