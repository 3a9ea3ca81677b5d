"""组织部 (tenant admin): the cycle dashboard, cycle management, recompute with a
progress bar fed by the job. Overseers read the dashboard of a tenant they oversee."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from zhibu import plugins
from zhibu.evaluations import compute, cycles, entered, phases, publication
from zhibu.jobs import enqueue, job_for
from zhibu.jobs.names import kind_name, step_name
from zhibu.models import PHASES
from zhibu.web import queries
from zhibu.web.common import (
    PHASE_TITLES,
    cycle_or_404,
    levels_title,
    star_chart,
    track_titles,
)
from zhibu.web.guard import register_page_errors, safe_next, tenant_page

bp = Blueprint("admin", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)


@bp.get("/dashboard")
@tenant_page("whole_tree")
def dashboard(tenant_id: uuid.UUID):
    """Phase and deadline, score entry, star distribution, targets of the current cycle."""
    cycle = queries.current_cycle(tenant_id)
    if cycle is None:
        return render_template("admin/dashboard.html", cycle=None, today=date.today())
    definition, _settings, _version = compute.definition_for(cycle)
    kinds = {k for t in definition.tracks if t.sources for k in t.subject_kinds}
    summary = compute.summary(cycle, definition=definition)
    order = [t.key for t in definition.tracks]  # the scheme's order, as the other pages
    summary["tracks"] = dict(
        sorted(
            summary["tracks"].items(),
            key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order),
        )
    )
    stars = {s for t in definition.tracks for s, _grade in t.levels if s is not None}
    titles = track_titles(cycle)
    heading = levels_title(summary)
    return render_template(
        "admin/dashboard.html",
        cycle=cycle,
        summary=summary,
        titles=titles,
        heading=heading,
        chart=star_chart(summary, titles, heading, stars=stars),
        progress=entered.progress(cycle, kinds),
        overdue=queries.ledger_count(g.access, overdue_on=date.today()),
        deadline=cycle.deadlines.get(cycle.phase),
        phases=PHASE_TITLES,
        today=date.today(),
    )


@bp.route("/cycles", methods=["GET", "POST"])
@tenant_page("whole_tree", POST="admin")
def cycle_list(tenant_id: uuid.UUID):
    if request.method == "POST":
        cycle = cycles.open_cycle(
            g.tenant,
            request.form.get("scheme_key", ""),
            request.form.get("period", "").strip(),
            round=request.form.get("round") or None,
        )
        flash(_("已开启考评周期 %(label)s。", label=cycle.label))
        return redirect(url_for("admin.cycle_detail", tenant_id=tenant_id, cycle_id=cycle.id))
    schemes = [plugins.registry().scheme(key) for key in g.tenant.scheme_keys]
    return render_template(
        "admin/cycles.html",
        cycles=queries.cycles_of(tenant_id),
        schemes=schemes,
        phases=PHASE_TITLES,
    )


@bp.get("/cycles/<uuid:cycle_id>")
@tenant_page("whole_tree")
def cycle_detail(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    cycle = cycle_or_404(tenant_id, cycle_id)
    position = PHASES.index(cycle.phase)
    current = compute.current_set(cycle)
    return render_template(
        "admin/cycle.html",
        cycle=cycle,
        phases=PHASE_TITLES,
        next_phase=PHASES[position + 1] if position + 1 < len(PHASES) else None,
        current=current,
        # listed, not rated (离退休 …): from the set's counts by level, no query of its own
        not_rated=sum(g["count"] for g in compute.level_groups(cycle, current) if not g["rated"]),
        latest=publication.latest(cycle),
        open_objections=len(publication.objections_of(cycle, status="open")),
        subject_names=queries.reopen_choices(cycle, _rated_kinds(cycle)),
        people=queries.person_names(tenant_id, _reopened_by(cycle)),
    )


def _rated_kinds(cycle) -> set[str]:
    """The kinds of unit the cycle's scheme rates (a track's subject kinds)."""
    definition = compute.definition_for(cycle)[0]
    return {kind for track in definition.tracks for kind in track.subject_kinds}


def _reopened_by(cycle) -> set[str]:
    """Who reopened the cycle's inputs, or one subject's (login names as recorded)."""
    opened = cycle.reopened or {}
    entries = [opened.get("cycle") or {}, *(opened.get("subjects") or {}).values()]
    return {e.get("by", "") for e in entries}


@bp.post("/cycles/<uuid:cycle_id>/advance")
@tenant_page("admin")
def advance(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """Next phase; 发布 (publish) is the move to 结果公示, 定案 (finalize) the move to final:
    those two go to their confirmation page first (nothing is published by this post)."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    position = PHASES.index(cycle.phase)
    target = request.form.get("to") or (
        PHASES[position + 1] if position + 1 < len(PHASES) else None
    )
    if target in publication.PUBLISHED and cycle.phase != "final":
        return redirect(
            url_for("publication.confirm", tenant_id=tenant_id, cycle_id=cycle_id, to=target)
        )
    cycle = cycles.advance(cycle, request.form.get("to") or None)
    flash(_("已进入阶段:%(phase)s。", phase=PHASE_TITLES[cycle.phase]))
    return redirect(url_for("admin.cycle_detail", tenant_id=tenant_id, cycle_id=cycle_id))


@bp.post("/cycles/<uuid:cycle_id>/deadlines")
@tenant_page("admin")
def deadlines(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """Set the phases' deadlines (``deadline-<phase>``; a blank one is left as it was)."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    given = {p: request.form.get(f"deadline-{p}", "").strip() for p in PHASES}
    cycles.set_deadlines(cycle, {phase: value for phase, value in given.items() if value})
    flash(_("已保存各阶段截止日期。"))
    return redirect(url_for("admin.cycle_detail", tenant_id=tenant_id, cycle_id=cycle_id))


@bp.post("/cycles/<uuid:cycle_id>/reopen")
@tenant_page("admin")
def reopen(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    cycle = cycle_or_404(tenant_id, cycle_id)
    cycles.reopen(cycle, request.form.get("reason", ""), request.form.get("to") or "review")
    flash(_("已重新开启,当前阶段:%(phase)s。", phase=PHASE_TITLES[cycle.phase]))
    return redirect(url_for("admin.cycle_detail", tenant_id=tenant_id, cycle_id=cycle_id))


@bp.post("/cycles/<uuid:cycle_id>/inputs/reopen")
@tenant_page("admin")
def reopen_inputs(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """Take inputs again after their phase (the cycle, or the subject chosen), for a
    reason; audited (:func:`zhibu.evaluations.phases.reopen`)."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    subject_id = request.form.get("subject_id", type=uuid.UUID)
    phases.reopen(cycle, subject_id=subject_id, reason=request.form.get("reason", ""), actor=g.user)
    flash(_("已重新开放录入。"))
    return redirect(url_for("admin.cycle_detail", tenant_id=tenant_id, cycle_id=cycle_id))


@bp.post("/cycles/<uuid:cycle_id>/inputs/close")
@tenant_page("admin")
def close_inputs(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """Close a reopening again; audited."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    subject_id = request.form.get("subject_id", type=uuid.UUID)
    phases.close(cycle, subject_id=subject_id, actor=g.user)
    flash(_("已关闭重新开放的录入。"))
    return redirect(url_for("admin.cycle_detail", tenant_id=tenant_id, cycle_id=cycle_id))


@bp.post("/cycles/<uuid:cycle_id>/recompute")
@tenant_page("admin")
def recompute(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """Start the recompute job and follow it on the progress page."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    handle = enqueue(
        "zhibu.jobs.tasks.recompute_cycle", str(cycle.id), tenant_id=tenant_id, user_id=g.user.id
    )
    done = url_for("results.results", tenant_id=tenant_id, cycle_id=cycle_id)
    return redirect(url_for("admin.job", tenant_id=tenant_id, job_id=handle.id, next=done))


def _job_or_404(tenant_id: uuid.UUID, job_id: uuid.UUID):
    """The tenant's job, for the tenant's admins and the user who started it; else 404."""
    handle = job_for(g.access, job_id)
    if handle is None:
        abort(404)
    return handle


# the follow-up link under a finished job, by the job's kind
NEXT_LABELS = {
    "recompute_cycle": _l("查看考评结果"),
    "generate_reports": _l("查看报表"),
    "import_roster": _l("前往党员名册"),
}


def job_outcome(handle) -> str:
    """queued, started, failed, finished; ``rejected`` for a roster import that finished
    without writing anything (the file had errors when committed) and for a recompute the
    engine refused (inputs that do not fit the scheme)."""
    result = handle.result if isinstance(handle.result, dict) else {}
    if handle.status == "finished" and handle.kind == "import_roster":
        return "finished" if result.get("committed") else "rejected"
    if handle.status == "finished" and handle.kind == "recompute_cycle" and result.get("refused"):
        return "rejected"
    return handle.status


def job_state(handle) -> dict:
    progress = handle.progress or {}
    total = progress.get("total") or 0
    done = progress.get("done") or 0
    if handle.status == "finished":
        done, total = max(done, total, 1), max(total, 1)
    return {
        "id": handle.id,
        "kind": handle.kind,
        "kind_name": kind_name(handle.kind),
        "status": handle.status,
        "outcome": job_outcome(handle),
        "result": handle.result if handle.status == "finished" else None,
        "done": done,
        "total": total,
        "step": progress.get("step", ""),
        "step_name": step_name(progress),
        "error": (handle.error or "").strip().splitlines()[-1:] or None,
        "problems": compute.told(handle.result.get("problems") or []) if _refused(handle) else [],
    }


def _refused(handle) -> bool:
    return (
        handle.status == "finished"
        and handle.kind == "recompute_cycle"
        and isinstance(handle.result, dict)
        and bool(handle.result.get("refused"))
    )


@bp.get("/jobs/<uuid:job_id>")
@tenant_page("read")
def job(tenant_id: uuid.UUID, job_id: uuid.UUID):
    """The progress page: a bar the script refreshes from ``/jobs/<id>.json``; once ended,
    what the job did (an import: committed or not, and every rejected row)."""
    state = job_state(_job_or_404(tenant_id, job_id))
    target = safe_next(request.args.get("next"), url_for("pages.tenant_home", tenant_id=tenant_id))
    label = NEXT_LABELS.get(state["kind"], _l("查看结果"))
    if state["outcome"] == "rejected" and state["kind"] == "import_roster":
        target, label = url_for("registry.import_roster", tenant_id=tenant_id), _l("重新导入")
    return render_template("admin/job.html", job=state, next=target, next_label=label)


@bp.get("/jobs/<uuid:job_id>.json")
@tenant_page("read")
def job_json(tenant_id: uuid.UUID, job_id: uuid.UUID):
    return jsonify(job_state(_job_or_404(tenant_id, job_id)))
