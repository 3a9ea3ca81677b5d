"""A member's own page: their stars and grades over the years and what they are made of."""

from __future__ import annotations

import uuid

from flask import Blueprint, g, render_template
from sqlalchemy import select

from zhibu.db import db
from zhibu.evaluations import compute, publication
from zhibu.models import Member
from zhibu.web import queries
from zhibu.web.common import track_titles
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("member", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)


@bp.get("/me")
@tenant_page("own_results")
def home(tenant_id: uuid.UUID):
    ids = sorted(g.access.member_ids)
    members = db.session.scalars(
        select(Member).where(Member.tenant_id == tenant_id, Member.id.in_(ids))
    ).all()
    history = []
    for cycle, result in queries.current_results_of(g.access, ids):
        sources = dict(track_titles(cycle))
        history.append(
            {
                "cycle": cycle,
                "result": result,
                "track": sources.get(result.track, result.track),
                "lines": compute.explanation_of(result),
            }
        )
    return render_template(
        "member/home.html",
        members=members,
        history=history,
        publicity=publication.in_publicity(tenant_id),
    )
