"""The county's oversight dashboard: every overseen tenant side by side (star
distributions, township rankings, overdue rectifications, weakest indicators), each with a
drill-down into that tenant's read-only dashboard. Aggregates and unit names only: no
member's personal data leaves an overseen tenant."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, g, render_template, request

from zhibu import plugins
from zhibu.evaluations import compute, publication
from zhibu.reports import oversight as report_oversight
from zhibu.tenancy.scope import Scope, use_scope
from zhibu.web import queries
from zhibu.web.common import PHASE_TITLES, star_chart, track_titles
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("oversight", __name__, url_prefix="/t/<uuid:tenant_id>/oversight")
register_page_errors(bp)

WEAKEST = 10  # indicators listed per scheme


@bp.get("")
@tenant_page("oversee")
def dashboard(tenant_id: uuid.UUID):
    tenants = {t.id: t for t in report_oversight.overseen_by(g.access)}
    period = request.args.get("period") or None
    scope = Scope.for_tenants([tenant_id, *tenants], user_id=g.user.id, username=g.user.username)
    with use_scope(scope):
        period, cycles = report_oversight.latest_cycles(list(tenants), period)
        cycles = [c for c in cycles if c.scheme_key in plugins.registry().schemes]
        cycles.sort(key=lambda c: tenants[c.tenant_id].code)
        side_by_side = [_tenant_column(tenants[c.tenant_id], c) for c in cycles]
        overdue = queries.overdue_counts(list(tenants), date.today())
        objections = publication.open_objections(list(tenants), [c.id for c in cycles])
        townships = queries.results_of_kind(cycles, "township")
        weakness = report_oversight.weakness_across(g.access, period)
    return render_template(
        "oversight/dashboard.html",
        period=period,
        tenants=sorted(tenants.values(), key=lambda t: t.code),
        columns=side_by_side,
        overdue=overdue,
        objections=objections,
        townships=townships,
        weakness=[(table, table.rows[:WEAKEST]) for table in weakness],
        phases=PHASE_TITLES,
    )


def _tenant_column(tenant, cycle) -> dict:
    summary = compute.summary(cycle)
    titles = track_titles(cycle)
    return {
        "tenant": tenant,
        "cycle": cycle,
        "summary": summary,
        "titles": titles,
        "chart": star_chart(summary, titles, f"{tenant.name} {cycle.label}"),
        "scheme": plugins.registry().scheme(cycle.scheme_key),
    }
