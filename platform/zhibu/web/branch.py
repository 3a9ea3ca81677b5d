"""Branch secretary: the branch's results and their explanation, its self-assessment, its
rectification items; for schemes with monthly ("periodic") sources, the whole branch's
month on one sheet, saved through the core sheet service (any monthly scheme)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from zhibu import engine
from zhibu.errors import ServiceError
from zhibu.evaluations import compute, sheets
from zhibu.models import Cycle, OrgUnit
from zhibu.orgs.service import get_org
from zhibu.web import queries
from zhibu.web.common import PHASE_TITLES, cycle_or_404, track_titles
from zhibu.web.guard import register_page_errors, tenant_page
from zhibu.web.sheets import offered_sources

bp = Blueprint("branch", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)


@bp.get("/branch")
@tenant_page("read")
def home(tenant_id: uuid.UUID):
    units = [u for u in queries.units_in_reach(g.access) if u.path in g.access.subtrees]
    if not units:
        abort(403)
    cycle = queries.current_cycle(tenant_id)
    results = dict.fromkeys((u.id for u in units), None)
    sheets_offered, monthly = [], []
    if cycle is not None:
        for found, result in queries.current_results_of(tenant_id, list(results)):
            if found.id == cycle.id:
                results[result.subject_id] = result
        definition, _settings, _version = compute.definition_for(cycle)
        for unit in units:
            track = definition.track_of_kind(unit.kind)
            for source in offered_sources(g.access, track) if track else []:
                sheets_offered.append((unit, source))
        monthly = periodic_sources(definition)
    return render_template(
        "branch/home.html",
        units=units,
        cycle=cycle,
        results=results,
        sheets_offered=sheets_offered,
        monthly=monthly,
        items=queries.ledger_items(g.access),
        today=date.today(),
        titles=track_titles(cycle) if cycle else {},
        phases=PHASE_TITLES,
    )


def periodic_sources(definition: engine.Definition) -> list[tuple[engine.Track, engine.Source]]:
    return [(t, s) for t in definition.tracks for s in t.sources if s.periodic]


def months_of(cycle: Cycle) -> list[str]:
    months, year, month = [], cycle.starts_on.year, cycle.starts_on.month
    while (year, month) <= (cycle.ends_on.year, cycle.ends_on.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_context(cycle: Cycle, org_id: uuid.UUID, source_key: str):
    unit = get_org(g.access.tenant_id, org_id)
    if not g.access.reaches(unit.path):
        abort(403)
    definition, _settings, _version = compute.definition_for(cycle)
    found = [(t, s) for t, s in periodic_sources(definition) if s.key == source_key]
    if not found:
        abort(404)
    track, source = found[0]
    period = request.values.get("period") or months_of(cycle)[0]
    if period not in months_of(cycle):
        raise ServiceError(_("%(period)s 不在本周期内。", period=period), field="period")
    return unit, track, source, definition.rubric(source.rubric), period


def month_subjects(unit: OrgUnit, track: engine.Track) -> list[tuple[str, object]]:
    """Everyone the month's sheet rates within the branch: its units of the track's kinds,
    and its members if the track rates members."""
    units = [u for u in queries.units_in_reach(g.access) if u.path.startswith(unit.path)]
    found: list[tuple[str, object]] = [("org", u) for u in units if u.kind in track.subject_kinds]
    if "member" in track.subject_kinds:
        members = queries.members_in_reach(g.access, [u.id for u in units])
        found += [("member", m) for m in members]
    return found


@bp.get("/cycles/<uuid:cycle_id>/month/<uuid:org_id>/<source>")
@tenant_page("score")
def month(tenant_id: uuid.UUID, cycle_id: uuid.UUID, org_id: uuid.UUID, source: str):
    cycle = cycle_or_404(tenant_id, cycle_id)
    unit, track, found, rubric, period = _month_context(cycle, org_id, source)
    stored = queries.sheets_by_subject(cycle, source, "", period)
    rows = []
    for kind, subject in month_subjects(unit, track):
        sheet = stored.get(subject.id)
        items = sheets.items_of(sheet) if sheet else []
        taken = [i for i in items if i.kind == "deduction"]
        rows.append({"kind": kind, "subject": subject, "sheet": sheet, "deductions": taken})
    return render_template(
        "branch/month.html",
        cycle=cycle,
        unit=unit,
        source=found,
        rubric=rubric,
        period=period,
        months=months_of(cycle),
        rows=rows,
        frozen=cycle.phase == "final",
    )


def parse_month_form(form, subjects: dict, rubric, period: str, source: str) -> list:
    """One sheet per subject of the branch: its deduction rows (``item-N``, ``pts-N``,
    ``why-N`` for subject ``s-N``), or its score (``score-<id>``) for a source without a
    rubric. A subject without deductions gets a full-marks sheet: the month is entered."""
    deductions: dict[str, list[dict]] = defaultdict(list)
    for key in form:
        if not key.startswith("s-"):
            continue
        n = key[2:]
        raw = (form.get(f"pts-{n}") or "").strip()
        if not raw:
            continue
        try:
            points = float(raw)
        except ValueError:
            raise ServiceError(
                _("第 %(n)s 行:扣分“%(raw)s”不是数字。", n=n, raw=raw), field=f"pts-{n}"
            ) from None
        row = {"item": form.get(f"item-{n}", ""), "points": points}
        deductions[form[key]].append(row | {"reason": (form.get(f"why-{n}") or "").strip()})
    inputs = []
    for subject_id, kind in subjects.items():
        score = None
        if rubric is None:
            raw = (form.get(f"score-{subject_id}") or "").strip()
            if not raw:
                continue
            try:
                score = float(raw)
            except ValueError:
                raise ServiceError(
                    _("得分“%(raw)s”不是数字。", raw=raw), field=f"score-{subject_id}"
                ) from None
        inputs.append(
            sheets.SheetInput(
                kind, uuid.UUID(subject_id), source, "", period, score, {}, deductions[subject_id]
            )
        )
    return inputs


@bp.post("/cycles/<uuid:cycle_id>/month/<uuid:org_id>/<source>")
@tenant_page("score")
def save_month(tenant_id: uuid.UUID, cycle_id: uuid.UUID, org_id: uuid.UUID, source: str):
    """Save the whole month at once: every sheet is checked, nothing is written if one is
    refused (the error names the row)."""
    cycle = cycle_or_404(tenant_id, cycle_id)
    unit, track, _found, rubric, period = _month_context(cycle, org_id, source)
    subjects = {str(s.id): kind for kind, s in month_subjects(unit, track)}
    unknown = {v for k, v in request.form.items() if k.startswith("s-")} - set(subjects)
    if unknown:
        abort(403)
    saved = sheets.save_many(
        cycle, parse_month_form(request.form, subjects, rubric, period, source)
    )
    flash(_("已保存 %(period)s 的 %(count)s 张评分表。", period=period, count=saved))
    return redirect(
        url_for(
            "branch.month",
            tenant_id=tenant_id,
            cycle_id=cycle_id,
            org_id=org_id,
            source=source,
            period=period,
        )
    )
