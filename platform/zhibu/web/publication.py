"""结果公示 pages: the confirmation before publishing (进入公示, re-publishing, 确定结果), the
published list (公示名单, rendered from the stored snapshot only) and objections (异议):
lodged by any user of the tenant during 结果公示, answered by an administrator."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from zhibu.accounts import policy
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations import publication
from zhibu.evidence import service as evidence
from zhibu.web import queries
from zhibu.web.common import PHASE_TITLES, cycle_or_404, grade_name, star_name, track_titles
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("publication", __name__, url_prefix="/t/<uuid:tenant_id>/cycles/<uuid:cycle_id>")
register_page_errors(bp)


def level_label(key: str) -> str:
    """A counted level (:func:`publication.level_key`) as users read it."""
    if key.startswith("stars:"):
        return star_name(int(key.partition(":")[2]))
    if key.startswith("grade:"):
        return grade_name(key.partition(":")[2])
    names = {
        "missing": _("评分不全"),
        "unrated": _("不参评"),
        "vetoed": _("一票否决"),
        "checked": _("只核查"),
    }
    return names.get(key, key)


FIELD_TITLES = {
    "total": "总分",
    "stars": "星级",
    "grade": "等次",
    "titles": "称号",
    "rated": "参评",
}


def field_title(key: str) -> str:
    return _(FIELD_TITLES[key]) if key in FIELD_TITLES else key


CHANGE_TITLES = {"added": "新增", "removed": "移除", "changed": "变化"}


@bp.app_template_filter("level_label")
def _level_label(key: str) -> str:
    return level_label(key)


@bp.app_template_filter("field_title")
def _field_title(key: str) -> str:
    return field_title(key)


@bp.app_template_filter("change_title")
def _change_title(key: str) -> str:
    return str(CHANGE_TITLES.get(key, key))


@bp.route("/publish", methods=["GET", "POST"])
@tenant_page("admin")
def confirm(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """GET: what would be published (counts per level, subjects without a total and why,
    open objections, differences from the newest publication); POST: publish it."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    to = request.values.get("to") or None
    if request.method == "POST":
        try:
            based_on = int(request.form.get("based_on", ""))
            result_set = request.form.get("result_set_id") or None
            made = publication.publish(
                cycle,
                to,
                based_on=based_on,
                result_set_id=uuid.UUID(result_set) if result_set else None,
                note=request.form.get("note", ""),
            )
        except ValueError:
            abort(400)
        except ServiceError as refused:
            db.session.rollback()
            return _confirm_page(cycle, to, refused.message), refused.status
        if made.phase == "final":
            flash(_("已确定结果(第 %(n)s 版),结果不再改变。", n=made.version))
        else:
            flash(_("已发布公示名单第 %(n)s 版。", n=made.version))
        return redirect(url_for(".published", tenant_id=tenant_id, cycle_id=cycle_id))
    return _confirm_page(cycle, to)


def _confirm_page(cycle, to: str | None, problem: str | None = None) -> str:
    preview = publication.preview(cycle, to)
    return render_template(
        "publication/confirm.html",
        cycle=cycle,
        preview=preview,
        people=queries.person_names(
            cycle.tenant_id, {o.username for o in preview["open_objections"]}
        ),
        problem=problem,
        titles=track_titles(cycle),
        phases=PHASE_TITLES,
    )


@bp.get("/publication")
@tenant_page("read")
def published(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """公示名单: a version as it was published (the newest unless ``?version=``), rendered
    from the snapshot alone, so it reads the same whatever is recomputed later."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    versions = publication.publications_of(cycle)
    if not versions:
        return render_template("publication/list.html", cycle=cycle, shown=None, versions=[])
    wanted = request.args.get("version", type=int)
    shown = next((p for p in versions if p.version == wanted), None) if wanted else versions[-1]
    if shown is None:
        abort(404)
    wanted = {"track": request.args.get("track", ""), "q": request.args.get("q", "").strip()}
    entries, total, page = publication.entries_page(
        shown,
        publication.visible_entries(g.access),
        page=request.args.get("page", 1, type=int),
        size=publication.ENTRIES_PAGE,
        **wanted,
    )
    return render_template(
        "publication/list.html",
        cycle=cycle,
        shown=shown,
        versions=versions,
        entries=entries,
        total=total,
        page=page,
        pages=-(-total // publication.ENTRIES_PAGE) or 1,
        wanted=wanted,
        changes_shown=publication.SHOWN,
        titles=track_titles(cycle),
        may_object=policy.allows(g.access, "object")
        and cycle.phase == "publicity"
        and shown.version == versions[-1].version,
    )


@bp.route("/objections", methods=["GET", "POST"])
@tenant_page("object")
def objections(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """The objection form (``?subject=org:<id>``) and the caller's objections (all of
    them for an administrator, with the answer forms)."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    subject = request.values.get("subject", "")
    reason = request.form.get("reason", "")
    problem = None
    if request.method == "POST":
        kind, _sep, ident = subject.partition(":")
        uploads = [(f.filename, f.read()) for f in request.files.getlist("files") if f.filename]
        try:
            publication.lodge(g.access, cycle, kind, uuid.UUID(ident), reason, uploads)
        except ValueError:
            problem = _("请从公示名单中选择考评对象。")
        except ServiceError as refused:
            problem = refused.message
        else:
            flash(_("已提交异议,答复后可在此查看。"))
            return redirect(url_for(".objections", tenant_id=tenant_id, cycle_id=cycle_id))
    target = _subject_entry(cycle, subject)
    rows = publication.objections_for(g.access, cycle)
    return render_template(
        "publication/objections.html",
        cycle=cycle,
        subject=subject,
        target=target,
        reason=reason,
        problem=problem,
        rows=rows,
        files=publication.files_of(g.access, rows),
        people=queries.person_names(tenant_id, {o.username for o in rows}),
        max_mb=round(evidence.limits().max_bytes / (1024 * 1024)),
        latest=publication.latest(cycle),
        phases=PHASE_TITLES,
    ), (422 if problem else 200)


def _subject_entry(cycle, subject: str):
    kind, _sep, ident = subject.partition(":")
    latest = publication.latest(cycle)
    if latest is None or not ident:
        return None
    try:
        wanted = uuid.UUID(ident)
    except ValueError:
        return None
    from zhibu.models import PublicationEntry

    found = publication.entries_of(
        latest,
        (PublicationEntry.subject_id == wanted) & (PublicationEntry.subject_kind == kind),
    )
    return found[0] if found and publication.may_see_entry(g.access, found[0]) else None


@bp.post("/objections/<uuid:objection_id>/answer")
@tenant_page("admin")
def answer(tenant_id: uuid.UUID, cycle_id: uuid.UUID, objection_id: uuid.UUID):
    cycle = cycle_or_404(tenant_id, cycle_id)
    try:
        done = publication.answer(
            cycle, objection_id, request.form.get("decision", ""), request.form.get("answer", "")
        )
    except ServiceError as refused:
        if refused.status == 404:
            abort(404)
        flash(refused.message)
    else:
        if done.status == "upheld":
            flash(_("已采纳异议:请更正该对象的评分,重新计算后重新发布公示名单。"))
        else:
            flash(_("已驳回异议并答复。"))
    return redirect(url_for(".objections", tenant_id=tenant_id, cycle_id=cycle_id))
