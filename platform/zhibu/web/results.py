"""Results of a cycle, each number drilling down to the explanation that makes it, and
the reports to download (the report API's own downloads)."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from zhibu.accounts import policy
from zhibu.evaluations import compute, explain, listing, publication
from zhibu.evidence import service as evidence
from zhibu.jobs import enqueue
from zhibu.models import EvaluationResult
from zhibu.reports import service as report_service
from zhibu.reports import store
from zhibu.web import queries
from zhibu.web.common import (
    PHASE_TITLES,
    cycle_and_current_set_or_404,
    cycle_or_404,
    track_titles,
)
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("results", __name__, url_prefix="/t/<uuid:tenant_id>/cycles/<uuid:cycle_id>")
register_page_errors(bp)


@bp.get("/results")
@tenant_page("whole_tree")
def results(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """The current results a page at a time, filtered by the database (track, level,
    flag, unit, name); every number links to its explanation, every link keeps the
    filter."""
    cycle, current, version = cycle_and_current_set_or_404(tenant_id, cycle_id)
    if not g.access.sees_results(cycle.phase):  # an overseer, before publication
        g.refusal = _(
            "监督单位在结果公示后才能查看各对象的考评结果;进行中的周期请看监督总览中的进度。"
        )
        abort(403)
    wanted = _filter(request.args)
    # overseers: units' results, no member's
    where = None if g.access.personal_data else EvaluationResult.subject_kind != "member"
    page = listing.page_of(
        cycle, current, wanted, request.args.get("page", 1, type=int) or 1, where=where
    )
    definition, _settings, _version = compute.definition_for(cycle, version)
    sources = {t.key: t.sources for t in definition.tracks}
    return render_template(
        "results/list.html",
        # result id → its track (a level loaded as history before 0023 names none)
        tracks={r.id: compute.track_key(definition, r.track, r.kind) or "" for r in page.rows},
        cycle=cycle,
        rows=page.rows,
        page=page,
        names=queries.subject_names(tenant_id, {r.subject_id for r in page.rows}),
        titles=track_titles(cycle),
        sources=sources,
        wanted=wanted,
        query=wanted.args(),
        levels=listing.levels_of(definition),
        flags=listing.flags_of(cycle, current),
        units=listing.parent_units(tenant_id),
        phases=PHASE_TITLES,
        current=current,
    )


def _filter(args) -> listing.ResultFilter:
    """The results page's filter from its query arguments (``stars`` is the old name of
    a star ``level``); an argument that is not an id filters to nothing."""
    level = args.get("level", "").strip() or args.get("stars", "").strip()
    unit = args.get("unit", "").strip()
    try:
        unit_id = uuid.UUID(unit) if unit else None
    except ValueError:
        unit_id = uuid.UUID(int=0)
    return listing.ResultFilter(
        track=args.get("track", "").strip(),
        level=level,
        flag=args.get("flag", "").strip(),
        unit=unit_id,
        name=args.get("name", "").strip()[:100],
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
    history = publication.history(cycle, result.subject_kind, result.subject_id)
    explainer = explain.Explainer(cycle)
    track = explainer.tracks.get(result.track)
    imported = compute.historical(result)
    if imported and track is None:  # stored before 0023 with no track: its kind's
        track = explainer.definition.track_of_kind(result.kind)
    files, sees_files = evidence.of_deductions(
        g.access, cycle.id, result.subject_kind, result.subject_id
    )
    return render_template(
        "results/explanation.html",
        files=files,
        sees_files=sees_files,
        cycle=cycle,
        result=result,
        name=queries.subject_names(tenant_id, {result.subject_id}).get(result.subject_id, ""),
        track=track,
        imported=imported,
        summary=explainer.summary(result),
        groups=explain.folded(lines, track, explainer.rubrics),
        source_titles={s.key: s.title for s in track.sources} if track else {},
        titles=track_titles(cycle),
        published=publication.publication_of_set(cycle, result.result_set_id),
        history=history,
        people=queries.person_names(tenant_id, {h["user"] for h in history}),
    )


@bp.get("/results/<uuid:result_id>/feedback")
@tenant_page("read")
def feedback(tenant_id: uuid.UUID, cycle_id: uuid.UUID, result_id: uuid.UUID):
    """The one-page 反馈单 of a result, to print: the summary, each source's score and the
    deductions with their reasons (print CSS in the page, nothing loaded from elsewhere)."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    result = queries.result_of(tenant_id, result_id)
    if result is None or result.cycle_id != cycle.id:
        abort(404)
    if not policy.may_read_result(g.access, result.subject_kind, result.subject_id, cycle.phase):
        abort(404)
    explainer = explain.Explainer(cycle)
    track = explainer.tracks.get(result.track)
    return render_template(
        "results/feedback.html",
        cycle=cycle,
        result=result,
        tenant=g.tenant,
        name=queries.subject_names(tenant_id, {result.subject_id}).get(result.subject_id, ""),
        summary=explainer.summary(result, top=10),
        imported=compute.historical(result),
        sources=[s for s in track.sources if s.key in result.source_scores] if track else [],
        today=date.today(),
    )


@bp.get("/reports")
@tenant_page("whole_tree")
def reports(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """The reports of the cycle's scheme (built on download) and the stored report set;
    reports with personal data are not offered to overseers."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    personal = g.access.personal_data
    builders = sorted(report_service.builders_for(cycle).values(), key=lambda b: b.key)
    results = g.access.sees_results(cycle.phase)  # not an overseer before publication
    return render_template(
        "results/reports.html",
        cycle=cycle,
        builders=[
            b for b in builders if (personal or not b.personal) and (results or not b.results)
        ],
        stored=store.stored(cycle, personal=personal, results=results),
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
