"""Branch secretary: the branch's results and their explanation, its self-assessment, its
rectification items, and for schemes with monthly ("periodic") sources the link to the
whole branch's month on one sheet (:mod:`zhibu.web.months`)."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, g, render_template

from zhibu.evaluations import compute, publication
from zhibu.web import queries
from zhibu.web.common import PHASE_TITLES, track_titles
from zhibu.web.guard import register_page_errors, tenant_page
from zhibu.web.months import periodic_sources
from zhibu.web.sheets import offered_sources

bp = Blueprint("branch", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)


@bp.get("/branch")
@tenant_page("branch")
def home(tenant_id: uuid.UUID):
    units = [u for u in queries.units_in_reach(g.access) if u.path in g.access.subtrees]
    cycle = queries.current_cycle(tenant_id)
    results = dict.fromkeys((u.id for u in units), None)
    sheets_offered, monthly = [], []
    if cycle is not None:
        for found, result in queries.current_results_of(g.access, list(results)):
            if found.id == cycle.id:
                results[result.subject_id] = result
        definition, _settings, _version = compute.definition_for(cycle)
        for unit in units:
            track = definition.track_of_kind(unit.kind)
            for source in offered_sources(g.access, cycle, track) if track else []:
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
        published=cycle is not None and g.access.sees_results(cycle.phase),
        titles=track_titles(cycle) if cycle else {},
        phases=PHASE_TITLES,
        publicity=publication.in_publicity(tenant_id),
    )
