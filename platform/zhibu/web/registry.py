"""The org tree and the roster (党员名册): Excel import (a preview row by row, decisions
on the rows that need one, then a commit that applies exactly what the preview showed),
its history and template, and export."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from zhibu import plugins
from zhibu.accounts import policy
from zhibu.api.downloads import disposition, streamed
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations import listing
from zhibu.jobs import uploads
from zhibu.members import importer, service
from zhibu.members import roster as roster_workbook
from zhibu.models import OrgUnit
from zhibu.orgs import service as orgs
from zhibu.orgs.service import in_tree_order
from zhibu.plugins.manager import BUILTIN_NAME as BUILTIN
from zhibu.tenancy import service as tenants
from zhibu.web import queries
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
    """The tree in reach a page at a time, in tree order (siblings by code), found by name
    or code and by kind; the pager's links keep both. The order is taken from the units'
    ids, parents and codes alone (narrow rows); only the page's units are loaded whole."""
    q, kind = request.args.get("q", "").strip(), request.args.get("kind", "")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.code, OrgUnit.path).where(
        OrgUnit.tenant_id == tenant_id
    )
    if q:
        query = query.where(
            OrgUnit.name.icontains(q, autoescape=True) | OrgUnit.code.icontains(q, autoescape=True)
        )
    if kind:
        query = query.where(OrgUnit.kind == kind)
    seen = policy.sees_in_tree(g.access)  # a member: their branch and the units above
    ordered = [u for u in in_tree_order(db.session.execute(query).all()) if seen(u.path)]
    shown = [u.id for u in ordered[(page - 1) * ORG_PAGE : page * ORG_PAGE]]
    loaded = (
        {
            u.id: u
            for u in db.session.scalars(
                select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, OrgUnit.id.in_(shown))
            )
        }
        if shown
        else {}
    )
    units = [loaded[i] for i in shown]
    parents = listing.parent_units(tenant_id) if g.access.is_admin else []
    known = {unit_id for unit_id, _name in parents}
    parents += [
        (u.id, "\u3000" * u.depth + u.name)
        for u in units
        if u.status == "active" and u.id not in known
    ]
    kinds = kind_names()
    used = set(
        db.session.scalars(select(OrgUnit.kind).where(OrgUnit.tenant_id == tenant_id).distinct())
    )
    return render_template(
        "registry/orgs.html",
        units=units,
        kinds=kinds,
        # the filter offers the kinds the tree holds (a company has no 村); adding offers all
        filter_kinds={key: title for key, title in kinds.items() if key in used or key == kind},
        parents=parents,
        q=q,
        kind=kind,
        page=page,
        pages=max(1, -(-len(ordered) // ORG_PAGE)),
        total=len(ordered),
        query={k: v for k, v in {"q": q, "kind": kind}.items() if v},
    )


ORG_PAGE = 100  # units per page of the org tree


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
    """The roster a page at a time, found by name or archive code and by unit (its whole
    subtree); the pager's links keep both."""
    page = max(request.args.get("page", 1, type=int), 1)
    filters = {"q": request.args["q"]} if request.args.get("q") else {}
    query_args = dict(filters)
    unit = _unit_arg(request.args.get("unit", ""))
    if unit is not None:
        filters["org_id"] = unit
        query_args["unit"] = str(unit)
    query = service.list_query(g.access, filters)
    members = db.session.scalars(query.offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    return render_template(
        "registry/members.html",
        members=service.present(g.access, members[:PAGE]),
        page=page,
        more=len(members) > PAGE,
        q=filters.get("q", ""),
        unit=unit,
        units=listing.parent_units(tenant_id) if g.access.whole_tree else [],
        query=query_args,
    )


def _unit_arg(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw.strip()) if raw.strip() else None
    except ValueError:
        return None


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_PAGE = 100  # rows of a preview per page
SHOWN_KINDS = ("create", "update", "unchanged", "error", "pending")


@bp.get("/members/import")
@tenant_page("registry")
def import_roster(tenant_id: uuid.UUID):
    """The upload form (with the options and the template), the import history, and for
    a tenant admin the switch for ID-card numbers."""
    history = importer.history(g.access, limit=20)
    return render_template(
        "registry/import.html",
        history=history,
        people=queries.person_names(tenant_id, {h.username for h in history}),
        today=date.today(),
    )


@bp.post("/members/import")
@tenant_page("registry")
def upload_roster(tenant_id: uuid.UUID):
    """Upload → preview (every row, nothing written), then the preview's page."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ServiceError(_("请选择要导入的 Excel 文件(.xlsx)。"), field="file")
    options = _options(request.form)
    data = upload.read()
    upload_id = uploads.stash(data, tenant_id=tenant_id, user_id=g.user.id, name=upload.filename)
    _keep(upload_id, *importer.prepare(g.tenant, g.access, data, options))
    return redirect(url_for("registry.import_preview", tenant_id=tenant_id, upload_id=upload_id))


def _keep(upload_id: str, report: importer.ImportReport, plan: bytes | None) -> None:
    uploads.keep_preview(
        upload_id, report.as_dict(), plan, tenant_id=g.tenant.id, user_id=g.user.id
    )


def _upload(upload_id: str) -> uploads.Upload:
    return uploads.take(upload_id, tenant_id=g.tenant.id, user_id=g.user.id)


def _options(form, decisions: dict[int, str] | None = None) -> importer.Options:
    today = date.today()
    try:
        transfer_on = _date(form.get("transfer_on")) or today
        left_on = _date(form.get("left_on")) or transfer_on
    except ValueError:
        raise ServiceError(_("日期应写作 2024-07-01。"), field="transfer_on") from None
    return importer.Options(
        transfer_on=transfer_on,
        mark_absent=form.get("absent") == "leave",
        left_on=left_on,
        decisions=decisions or {},
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@bp.get("/members/import/<upload_id>")
@tenant_page("registry")
def import_preview(tenant_id: uuid.UUID, upload_id: str):
    """The preview: counts on top, the rows to decide, every row (by kind, a page at a
    time) and the members the file leaves out."""
    upload = _upload(upload_id)
    report = upload.preview or {}
    kind = request.args.get("kind", "")
    page = max(request.args.get("page", 1, type=int), 1)
    rows = report.get("rows", [])
    shown = [r for r in rows if r["kind"] == kind] if kind in SHOWN_KINDS else rows
    if kind == "transfer":
        shown = [r for r in rows if r.get("transfer")]
    first = (page - 1) * PREVIEW_PAGE
    return render_template(
        "registry/import_preview.html",
        report=report,
        upload_id=upload_id,
        filename=upload.name,
        kind=kind,
        page=page,
        rows=shown[first : first + PREVIEW_PAGE],
        more=len(shown) > first + PREVIEW_PAGE,
        pending=[r for r in rows if r["kind"] == "pending" or r.get("decision")],
        file_errors=[
            e for e in report.get("errors", []) if e["row"] <= report.get("header_row", 0)
        ],
    )


@bp.post("/members/import/<upload_id>/preview")
@tenant_page("registry")
def repreview(tenant_id: uuid.UUID, upload_id: str):
    """The preview made again with other options or the user's decisions."""
    upload = _upload(upload_id)
    previous = upload.preview or {}
    decisions = _decisions(request.form, previous)
    options = _options(request.form, decisions)
    _keep(upload_id, *importer.prepare(g.tenant, g.access, upload.data, options))
    return redirect(url_for("registry.import_preview", tenant_id=tenant_id, upload_id=upload_id))


def _decisions(form, previous: dict) -> dict[int, str]:
    """``decision-<row>`` of each row to decide; "accept" takes every suggestion."""
    decisions: dict[int, str] = {}
    for row in previous.get("rows", []):
        chosen = form.get(f"decision-{row['row']}") or row.get("decision")
        if form.get("accept") and not chosen:
            chosen = next((c["member_id"] for c in row["candidates"] if c["suggested"]), None)
        if chosen and row.get("candidates"):
            decisions[row["row"]] = chosen
    return decisions


@bp.post("/members/import/<upload_id>/commit")
@tenant_page("registry")
def commit_import(tenant_id: uuid.UUID, upload_id: str):
    """Apply exactly what the preview showed, or nothing: if the registry changed since,
    the preview is made again and shown."""
    upload = _upload(upload_id)
    here = url_for("registry.import_preview", tenant_id=tenant_id, upload_id=upload_id)
    try:
        report = importer.commit_prepared(
            g.tenant, g.access, upload.data, upload.preview or {}, upload.plan, filename=upload.name
        )
    except importer.PreviewOutdated as outdated:
        _keep(upload_id, outdated.report, outdated.writes)
        flash(outdated.message)
        return redirect(here)
    except importer.ImportRejected as rejected:
        flash(rejected.message)
        return redirect(here)
    flash(
        _(
            "已导入:新增 %(c)s 人,更新 %(u)s 人(其中转接 %(t)s 人),无变化 %(n)s 人,"
            "标记转出 %(l)s 人。",
            c=report.to_create,
            u=report.to_update,
            t=report.to_transfer,
            n=report.unchanged,
            l=report.to_leave,
        )
    )
    return redirect(url_for("registry.import_roster", tenant_id=tenant_id))


@bp.get("/members/import/<upload_id>/errors.xlsx")
@tenant_page("registry")
def preview_errors(tenant_id: uuid.UUID, upload_id: str):
    """The preview's error report: the rows at fault, bad cells marked."""
    upload = _upload(upload_id)
    return _xlsx(importer.error_report(upload.preview or {}), _("错误报告"), upload.name)


@bp.get("/members/import/history/<uuid:import_id>/errors.xlsx")
@tenant_page("registry")
def history_errors(tenant_id: uuid.UUID, import_id: uuid.UUID):
    entry = importer.history_entry(g.access, import_id)
    if not entry.report:
        abort(404)
    return _xlsx(importer.error_report(entry.report), _("错误报告"), entry.filename)


@bp.get("/members/import/template.xlsx")
@tenant_page("registry")
def roster_template(tenant_id: uuid.UUID):
    """An empty roster with the column guide and an example row."""
    return _xlsx(roster_workbook.template(), _("党员花名册模板"), "")


@bp.post("/members/import/id-cards")
@tenant_page("admin")
def id_cards(tenant_id: uuid.UUID):
    """A tenant admin turns the keeping of ID-card numbers on or off."""
    enabled = request.form.get("enabled") == "on"
    tenants.update_tenant(g.tenant, id_card_enabled=enabled)
    flash(
        _("已启用身份证号:导入时读取“身份证号”列,加密保存。")
        if enabled
        else _("已停用身份证号:导入时不再读取“身份证号”列,已保存的号码保留。")
    )
    return redirect(url_for("registry.import_roster", tenant_id=tenant_id))


def _xlsx(content: bytes, title: str, source: str) -> Response:
    stem = source.rsplit(".", 1)[0] if source else ""
    name = f"{stem}-{title}.xlsx" if stem else f"{title}.xlsx"
    response = Response(content, mimetype=XLSX)
    response.headers["Content-Disposition"] = disposition(name, "roster.xlsx")
    return response


@bp.get("/members/export.xlsx")
@tenant_page("roster")
def export(tenant_id: uuid.UUID):
    """The roster as .xlsx, written row by row and streamed (any size)."""
    name = f"{g.tenant.name}-党员名册.xlsx"
    tenant, access = g.tenant, g.access
    return streamed(lambda out: importer.export_to(out, tenant, access), name, "roster.xlsx")
