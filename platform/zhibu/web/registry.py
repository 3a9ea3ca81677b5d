"""The org tree and the roster (党员名册): Excel import (a preview listing every bad row,
then an all-or-nothing commit run as a job) and export."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from zhibu import plugins
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.jobs import enqueue, uploads
from zhibu.members import importer, service
from zhibu.models import OrgUnit
from zhibu.orgs import service as orgs
from zhibu.orgs.service import in_tree_order
from zhibu.plugins.manager import BUILTIN_NAME as BUILTIN
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("registry", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)

PAGE = 100  # members per roster page


def kind_names() -> dict[str, str]:
    """Every kind of unit by key, the core's first and then the plugins', named in the
    page's language: a kind brings its Chinese and English names with it."""
    loaded, english = plugins.registry(), str(get_locale()) == "en"
    kinds = sorted(
        loaded.org_kinds.items(), key=lambda item: loaded.owner("org_kinds", item[0]) != BUILTIN
    )
    return {key: kind.title_en if english else kind.title for key, kind in kinds}


@bp.get("/orgs")
@tenant_page("read")
def org_tree(tenant_id: uuid.UUID):
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.tenant_id == tenant_id)).all()
    units = [u for u in in_tree_order(list(units)) if g.access.within(u.path)]
    return render_template("registry/orgs.html", units=units, kinds=kind_names())


@bp.post("/orgs")
@tenant_page("admin")
def add_org(tenant_id: uuid.UUID):
    """Add a unit below a parent (or a root without one), through the org service."""
    parent = request.form.get("parent_id") or None
    try:
        parent_id = uuid.UUID(parent) if parent else None
    except ValueError:
        abort(404)
    code, name = request.form.get("code", "").strip(), request.form.get("name", "").strip()
    if not code or not name:
        raise ServiceError(_("请填写组织编码和名称。"), field="code" if not code else "name")
    org = orgs.create_org(
        tenant_id, code=code, name=name, kind=request.form.get("kind", ""), parent_id=parent_id
    )
    flash(_("已添加组织 %(name)s。", name=org.name))
    return redirect(url_for("registry.org_tree", tenant_id=tenant_id))


@bp.post("/orgs/<uuid:org_id>/rename")
@tenant_page("admin")
def rename_org(tenant_id: uuid.UUID, org_id: uuid.UUID):
    name = request.form.get("name", "").strip()
    if not name:
        raise ServiceError(_("请填写组织名称。"), field="name")
    org = orgs.update_org(orgs.get_org(tenant_id, org_id), name=name)
    flash(_("已改名为 %(name)s。", name=org.name))
    return redirect(url_for("registry.org_tree", tenant_id=tenant_id))


@bp.get("/members")
@tenant_page("roster")
def roster(tenant_id: uuid.UUID):
    page = max(request.args.get("page", 1, type=int), 1)
    filters = {"q": request.args["q"]} if request.args.get("q") else {}
    query = service.list_query(g.access, filters)
    members = db.session.scalars(query.offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    return render_template(
        "registry/members.html",
        members=service.present(g.access, members[:PAGE]),
        page=page,
        more=len(members) > PAGE,
        q=filters.get("q", ""),
    )


@bp.route("/members/import", methods=["GET", "POST"])
@tenant_page("registry")
def import_roster(tenant_id: uuid.UUID):
    """Upload → preview (what would change, every bad row); nothing is written yet."""
    if request.method == "GET":
        return render_template("registry/import.html", report=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ServiceError(_("请选择要导入的 Excel 文件(.xlsx)。"), field="file")
    data = upload.read()
    report = importer.preview(g.tenant, g.access, data)
    upload_id = uploads.stash(data) if report.ok else None
    return render_template(
        "registry/import.html", report=report, upload_id=upload_id, filename=upload.filename
    )


@bp.post("/members/import/commit")
@tenant_page("registry")
def commit_import(tenant_id: uuid.UUID):
    """Commit the previewed file as a job; its progress page shows the outcome."""
    upload_id = request.form.get("upload_id", "")
    uploads.take(upload_id)  # a clear error if it expired
    handle = enqueue(
        "zhibu.jobs.tasks.import_roster", upload_id, tenant_id=tenant_id, user_id=g.user.id
    )
    done = url_for("registry.roster", tenant_id=tenant_id)
    return redirect(url_for("admin.job", tenant_id=tenant_id, job_id=handle.id, next=done))


@bp.get("/members/export.xlsx")
@tenant_page("roster")
def export(tenant_id: uuid.UUID):
    content = importer.export(g.tenant, g.access)
    name = f"{g.tenant.name}-党员名册.xlsx"
    response = Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"roster.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
