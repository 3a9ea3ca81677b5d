"""Results of a cycle, each number drilling down to the explanation that makes it, and
the reports to download (the report API's own downloads)."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from zhibu.accounts import policy
from zhibu.evaluations import compute
from zhibu.jobs import enqueue
from zhibu.reports import service as report_service
from zhibu.reports import store
from zhibu.web import queries
from zhibu.web.common import PHASE_TITLES, cycle_or_404, track_titles
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("results", __name__, url_prefix="/t/<uuid:tenant_id>/cycles/<uuid:cycle_id>")
register_page_errors(bp)


@bp.get("/results")
@tenant_page("whole_tree")
def results(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """The current results: level, total and each source's score, filterable by track and
    star; every number links to its explanation."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    rows = compute.results_of(cycle)
    if not g.access.personal_data:  # overseers: units' results, no member's
        rows = [r for r in rows if r.subject_kind != "member"]
    track = request.args.get("track")
    stars = request.args.get("stars", type=int)
    if track:
        rows = [r for r in rows if r.track == track]
    if stars is not None:
        rows = [r for r in rows if r.stars == stars]
    definition, _settings, _version = compute.definition_for(cycle)
    sources = {t.key: t.sources for t in definition.tracks}
    return render_template(
        "results/list.html",
        cycle=cycle,
        rows=rows,
        names=queries.subject_names(tenant_id, {r.subject_id for r in rows}),
        titles=track_titles(cycle),
        sources=sources,
        track=track,
        stars=stars,
        phases=PHASE_TITLES,
        current=compute.current_set(cycle),
    )


@bp.get("/results/<uuid:result_id>")
@tenant_page("read")
def explanation(tenant_id: uuid.UUID, cycle_id: uuid.UUID, result_id: uuid.UUID):
    """One result and every line that makes it, grouped by source."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    result = queries.result_of(tenant_id, result_id)
    if result is None or result.cycle_id != cycle.id:
        abort(404)
    if not policy.may_read_result(g.access, result.subject_kind, result.subject_id, cycle.phase):
        abort(404)
    lines = compute.explanation_of(result)
    definition, _settings, _version = compute.definition_for(cycle)
    track = next((t for t in definition.tracks if t.key == result.track), None)
    groups: dict[str | None, list] = {}
    for line in lines:
        groups.setdefault(line.get("source"), []).append(line)
    return render_template(
        "results/explanation.html",
        cycle=cycle,
        result=result,
        name=queries.subject_names(tenant_id, {result.subject_id}).get(result.subject_id, ""),
        track=track,
        groups=groups,
        source_titles={s.key: s.title for s in track.sources} if track else {},
        titles=track_titles(cycle),
        # an automatic check's line names it in its text: its key is not shown
        automatic={i.key for i in definition.automatic},
    )


@bp.get("/reports")
@tenant_page("whole_tree")
def reports(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """The reports of the cycle's scheme (built on download) and the stored report set;
    reports with personal data are not offered to overseers."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    personal = g.access.personal_data
    builders = sorted(report_service.builders_for(cycle).values(), key=lambda b: b.key)
    return render_template(
        "results/reports.html",
        cycle=cycle,
        builders=[b for b in builders if personal or not b.personal],
        stored=store.stored(cycle, personal=personal),
    )


@bp.post("/reports/generate")
@tenant_page("admin")
def generate_reports(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """Start the report-set job (every report as .xlsx and HTML, stored) and follow it on
    the progress page; back on the reports page the stored files are listed."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    handle = enqueue(
        "zhibu.jobs.tasks.generate_reports", str(cycle.id), tenant_id=tenant_id, user_id=g.user.id
    )
    done = url_for("results.reports", tenant_id=tenant_id, cycle_id=cycle_id)
    return redirect(url_for("admin.job", tenant_id=tenant_id, job_id=handle.id, next=done))
