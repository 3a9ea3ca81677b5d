"""Issue 22 on PostgreSQL, two at once: the branch secretary saves 支委会评价 for a member
of the branch from two tabs while an assessor saves their own sheet for the same member —
each request in a thread of its own, with its own connection, released together. The
secretary's sheet is one (the later replaces the earlier), the assessor's is kept beside
it, nothing fails."""

from __future__ import annotations

import uuid

import pytest
from authz_scene import build_scene
from sqlalchemy import select
from test_users_concurrency import at_once

from zhibu.db import db
from zhibu.evaluations import cycles
from zhibu.models import ScoreItem, ScoreSheet, Tenant
from zhibu.tenancy import system_scope, use_scope

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


def test_the_secretary_twice_and_an_assessor_at_once(app):
    scene = build_scene(app)
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, scene.world.ids["A"])
        cycle_id = cycles.open_cycle(tenant, "akesu_college", "2022").id
    url = f"/api/v1/tenants/{scene.id('A')}/cycles/{cycle_id}/sheets"
    member = scene.id("A-M1")

    def save(username, points):
        body = {"subject_kind": "member", "subject_id": member, "source": "committee"}
        body["items"] = {f"B{n}": points for n in range(1, 6)}
        headers = scene.world.headers[username]
        return lambda client: client.post(url, json=body, headers=headers)

    answers = at_once(
        app, [save("secretary_a", 16), save("secretary_a", 18), save("assessor_a", 20)]
    )
    assert [a.status_code for a in answers] == [201, 201, 201], [a.json for a in answers]
    with app.app_context(), use_scope(system_scope()):
        rows = db.session.execute(
            select(ScoreSheet.rater, ScoreSheet.id).where(
                ScoreSheet.cycle_id == cycle_id,
                ScoreSheet.subject_id == uuid.UUID(member),
                ScoreSheet.source == "committee",
            )
        ).all()
        assert sorted(rater for rater, _ in rows) == ["assessor_a", "secretary_a"]
        mine = next(ident for rater, ident in rows if rater == "secretary_a")
        points = db.session.scalars(select(ScoreItem.points).where(ScoreItem.sheet_id == mine))
        points = list(points)
    assert len(points) == 5 and len(set(points)) == 1  # one save's items, not both mixed
    assert points[0] in (16, 18)
