"""监督总览 (issue 23): the page a county or city organization department opens every
morning. The tenants it oversees compared on measures that mean the same under every
scheme (one table sorted on the server, small SVG charts, trends), the county's township
ranking with its printable notice, the weakest indicators, and the whole overview as an
.xlsx and a printable A4 通报. A city sees its counties and drills to a county's own
tenants. Read-only, aggregates and unit names only: no member's personal data."""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, Response, g, render_template, request, session

from zhibu import plugins
from zhibu.api.downloads import disposition
from zhibu.db import db
from zhibu.errors import Invalid, NotFound
from zhibu.evaluations import publication
from zhibu.i18n import _
from zhibu.models import Tenant
from zhibu.reports import oversight as report_oversight
from zhibu.reports import overview as service
from zhibu.reports.html import render_html
from zhibu.reports.xlsx import render_xlsx
from zhibu.tenancy.scope import Scope, use_scope
from zhibu.web import account, charts
from zhibu.web.common import PHASE_TITLES
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("oversight", __name__, url_prefix="/t/<uuid:tenant_id>/oversight")
register_page_errors(bp)

WEAKEST = 10  # indicators shown per scheme; the rest is the .xlsx download
UNITS = 20  # units listed for one indicator
PERIOD = re.compile(r"^\d{4}(H[12]|Q[1-4]|-(0[1-9]|1[0-2]))?$")


def _args() -> tuple[str | None, uuid.UUID | None]:
    period = request.args.get("period") or None
    if period is not None and not PERIOD.match(period):
        raise Invalid(_("考评期间应形如 2021、2021H1、2021Q3 或 2021-05。"), field="period")
    via = request.args.get("via") or None
    try:
        return period, uuid.UUID(via) if via else None
    except ValueError:
        raise Invalid(_("所辖单位编号不正确。"), field="via") from None


def _scope(tenant_ids) -> Scope:
    return Scope.for_tenants(
        [g.tenant.id, *tenant_ids], user_id=g.user.id, username=g.user.username
    )


def _build(sort: str = "name", descending: bool = False):
    """The overview the request asks for, the township ranking, the county looked at."""
    period, via = _args()
    ids = service.reachable(g.access, via)
    with use_scope(_scope(ids)):
        found = service.overview(ids, period, sort=sort, descending=descending)
        ranking = service.townships([g.tenant.id, *ids], period)
        cycles = [row.cycle.id for row in found.rows if row.cycle is not None]
        found.objections = publication.open_objections(ids, cycles)  # counts, never the texts
    found.via = db.session.get(Tenant, via) if via else None
    return found, ranking


@bp.get("")
@tenant_page("oversee")
def dashboard(tenant_id: uuid.UUID):
    sort = request.args.get("sort", "name")
    descending = request.args.get("desc") == "1"
    found, ranking = _build(sort, descending)
    kept = ("period", "via", "sort", "desc")
    session[account.OVERSIGHT_BACK] = {
        "tenant": str(tenant_id),
        "query": {k: v for k, v in request.args.items() if k in kept and v},
    }
    return render_template(
        "oversight/dashboard.html",
        ov=found,
        ranking=ranking,
        phases=PHASE_TITLES,
        objections=found.objections,
        bar=charts.bar,
        trend=charts.trend,
        moves=charts.moves,
        query={k: v for k, v in request.args.items() if k in ("period", "via") and v},
    )


def _download(tables, fmt: str, name: str, fallback: str) -> Response:
    if fmt == "html":
        return Response(render_html(tables, name), mimetype="text/html")
    response = Response(
        render_xlsx(tables),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = disposition(f"{name}.xlsx", f"{fallback}.xlsx")
    return response


@bp.get("/overview.<any(xlsx, html):fmt>")
@tenant_page("oversee")
def export(tenant_id: uuid.UUID, fmt: str):
    """The whole overview (and the township ranking) as .xlsx, or as the printable A4
    通报."""
    found, ranking = _build()
    issuer = (found.via or g.tenant).name
    phases = {k: str(v) for k, v in PHASE_TITLES.items()}
    tables = service.tables(found, issuer, ranking, phases)
    return _download(tables, fmt, tables[0].title, "overview")


@bp.get("/townships.<any(xlsx, html):fmt>")
@tenant_page("oversee")
def townships(tenant_id: uuid.UUID, fmt: str):
    """The township ranking notice (排名通报), printable or as .xlsx."""
    found, ranking = _build()
    phases = {k: str(v) for k, v in PHASE_TITLES.items()}
    tables = service.tables(found, g.tenant.name, ranking, phases, ranked=True)[1:]
    return _download(tables, fmt, tables[0].title, "townships")


@bp.get("/movement")
@tenant_page("oversee")
def movement(tenant_id: uuid.UUID):
    """One overseen tenant's units that moved (升级 / 降级 / 新参评) against the previous
    period's cycle of the same scheme: unit names and levels, read-only."""
    period, via = _args()
    try:
        chosen = uuid.UUID(request.args.get("tenant") or "")
    except ValueError:
        raise Invalid(_("所辖单位编号不正确。"), field="tenant") from None
    ids = service.reachable(g.access, via)
    if chosen not in ids:
        raise NotFound(_("没有这个所辖单位。"), field="tenant")
    with use_scope(_scope(ids)):
        found = service.moved_units(chosen, period)
        tenant = db.session.get(Tenant, chosen)
    return render_template(
        "oversight/movement.html",
        found=found,
        tenant=tenant,
        period=period,
        via=via,
        query={k: v for k, v in request.args.items() if k in ("period", "via") and v},
    )


@bp.get("/weakness")
@tenant_page("oversee")
def weakness(tenant_id: uuid.UUID):
    """The ten indicators losing the largest share of their points per scheme; one of
    them (``indicator=<rubric>:<code>``) opens the units that lost most on it."""
    period, _via = _args()
    chosen = request.args.get("indicator") or ""
    found = report_oversight.weakest(g.access, period, WEAKEST, chosen, UNITS)
    return render_template(
        "oversight/weakness.html",
        found=found,
        chosen=chosen,
        period=period,
        schemes=plugins.registry().schemes,
        bar=charts.bar,
    )
