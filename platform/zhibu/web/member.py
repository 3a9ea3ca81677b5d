"""A member's own page (我的考评): each cycle's level and grade with its ten-second
summary, a small chart over the years, and the cycles still in progress."""

from __future__ import annotations

import uuid

from flask import Blueprint, g, render_template
from sqlalchemy import select

from zhibu.db import db
from zhibu.evaluations import compute, explain, publication
from zhibu.models import Member
from zhibu.web import queries
from zhibu.web.common import track_titles
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("member", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)

WIDTH, HEIGHT, PAD = 320, 120, 24  # the chart's box, in SVG units


@bp.get("/me")
@tenant_page("own_results")
def home(tenant_id: uuid.UUID):
    ids = sorted(g.access.member_ids)
    members = db.session.scalars(
        select(Member).where(Member.tenant_id == tenant_id, Member.id.in_(ids))
    ).all()
    history, explainers = [], {}
    for cycle, result in queries.current_results_of(g.access, ids):
        if cycle.id not in explainers:
            explainers[cycle.id] = explain.Explainer(cycle)
        sources = dict(track_titles(cycle))
        history.append(
            {
                "cycle": cycle,
                "result": result,
                "track": sources.get(result.track, result.track or ""),
                "summary": explainers[cycle.id].summary(result),
                "lines": compute.explanation_of(result),
                "imported": compute.historical(result),
            }
        )
    of_members = [c for c in queries.cycles_of(tenant_id) if _rates_members(c)]
    # cycles not yet published whose scheme rates or checks members: 进行中
    pending = [c for c in of_members if not g.access.sees_results(c.phase)]
    return render_template(
        "member/home.html",
        members=members,
        history=history,
        publicity=publication.in_publicity(tenant_id),
        pending=pending,
        rates_members=bool(of_members or history),
        chart=_chart(history),
    )


def _rates_members(cycle) -> bool:
    """The cycle's scheme has a track for members: scored (sources) or only checked
    (enterprise_5std's members); either way the member gets a result."""
    definition, _settings, _version = compute.definition_for(cycle)
    return definition.track_of_kind("member") is not None


def _chart(history: list[dict]) -> dict | None:
    """Points of a small line chart of the totals, oldest first (None under two)."""
    rows = [h for h in reversed(history) if h["result"].total is not None]
    if len(rows) < 2:
        return None
    totals = [h["result"].total for h in rows]
    low, high = min(60.0, min(totals)), max(100.0, max(totals))
    step = (WIDTH - 2 * PAD) / (len(rows) - 1)
    points = []
    for n, h in enumerate(rows):
        x = PAD + n * step
        y = HEIGHT - PAD - (h["result"].total - low) / (high - low) * (HEIGHT - 2 * PAD)
        points.append({"x": round(x, 1), "y": round(y, 1), "label": h["cycle"].label, "h": h})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
    }
