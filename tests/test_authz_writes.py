"""Issue 17: what the API let through and the pages did not.

A branch secretary may not score their own branch's official assessment; the rater of a
sheet is the caller; records and rectification items refuse the ids of another tenant's
members and cycles and of units outside the caller's reach, storing nothing; the
follow-ups of an item outside reach are not shown. On both backends."""

from __future__ import annotations

import pytest
from authz_scene import build_scene, login, result_id, token_of
from sqlalchemy import func, select

from zhibu.db import db
from zhibu.evaluations import cycles
from zhibu.models import (
    ActivityRecord,
    AuditEntry,
    EvaluationResult,
    RectificationItem,
    RoleAssignment,
    ScoreItem,
    ScoreSheet,
)
from zhibu.tenancy import system_scope, use_scope

FULL = {f"A{n}": p for n, p in enumerate((15, 15, 15, 15, 10, 10, 10, 10), start=1)}


@pytest.fixture
def scene(app):
    return build_scene(app)


def api(scene, rest: str, tenant: str = "A") -> str:
    return f"/api/v1/tenants/{scene.id(tenant)}{rest}"


def counts(app, *models) -> tuple:
    with app.app_context(), use_scope(system_scope()):
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)


def team_sheet(app, scene) -> list:
    """The assessment team's sheet of A-Z01 and its items, as stored."""
    with app.app_context(), use_scope(system_scope()):
        sheet = db.session.scalar(
            select(ScoreSheet).where(
                ScoreSheet.subject_id == scene.world.ids["A-Z01"],
                ScoreSheet.source == "assessment_team",
            )
        )
        items = db.session.scalars(select(ScoreItem).where(ScoreItem.sheet_id == sheet.id))
        return [(sheet.rater, sheet.score), *sorted((i.indicator, i.points) for i in items)]


# 1. a secretary cannot score the official assessment of their own branch ----------------


def test_a_secretary_cannot_score_their_branchs_assessment(app, client, scene):
    url = api(scene, f"/cycles/{scene.id('cycle')}/sheets")
    before = team_sheet(app, scene), counts(app, ScoreSheet, ScoreItem, EvaluationResult)
    body = {"subject_kind": "org", "subject_id": scene.id("A-Z01"), "items": FULL}
    secretary = scene.world.headers["secretary_a"]
    for rater in ("考核组1", None):
        attempt = body | {"source": "assessment_team"} | ({"rater": rater} if rater else {})
        refused = client.post(url, json=attempt, headers=secretary)
        assert refused.status_code == 403, refused.json
        assert refused.json["errors"] == {"source": [refused.json["message"]]}
    assert (team_sheet(app, scene), counts(app, ScoreSheet, ScoreItem, EvaluationResult)) == before
    own = client.post(url, json=body | {"source": "self"}, headers=secretary)
    assert own.status_code == 201, own.json
    assert own.json["rater"] == "secretary_a"  # the self-assessment, as the caller
    # the page answers alike: the assessment team's sheet is not the branch's to fill
    login(client, "secretary_a")
    page = f"/t/{scene.id('A')}/cycles/{scene.id('cycle')}/sheets/org/{scene.id('A-Z01')}"
    form = {"csrf_token": token_of(client.get("/")), "d-A1": "0"}
    assert client.post(f"{page}/assessment_team", data=form).status_code == 403
    assert client.post(f"{page}/self", data=form).status_code == 302
    assert team_sheet(app, scene) == before[0]


# 2. the rater is the caller -------------------------------------------------------------


def test_the_rater_of_a_sheet_is_the_caller(app, client, scene):
    url = api(scene, f"/cycles/{scene.id('cycle')}/sheets")
    assessor = scene.world.headers["assessor_a"]
    body = {"subject_kind": "org", "subject_id": scene.id("A-Z02"), "items": FULL}
    sheet = body | {"source": "assessment_team"}
    before = team_sheet(app, scene), counts(app, ScoreSheet, ScoreItem)
    for rater, source in (("考核组1", sheet), ("someone", sheet), ("考核组1", {"score": 90})):
        attempt = source if "source" in source else body | source | {"source": "democratic"}
        named = client.post(url, json=attempt | {"rater": rater}, headers=assessor)
        assert named.status_code == 422, named.json
        assert list(named.json["errors"]) == ["rater"]
    assert (team_sheet(app, scene), counts(app, ScoreSheet, ScoreItem)) == before
    mine = client.post(url, json=sheet, headers=assessor)
    assert mine.status_code == 201 and mine.json["rater"] == "assessor_a"
    total = body | {"source": "democratic", "score": 88, "items": {}}
    assert client.post(url, json=total, headers=assessor).json["rater"] == ""


def test_a_tenant_admin_types_in_a_named_paper_sheet_and_it_is_audited(app, client, scene):
    url = api(scene, f"/cycles/{scene.id('cycle')}/sheets")
    body = {"subject_kind": "org", "subject_id": scene.id("A-Z02"), "source": "assessment_team"}
    typed = client.post(
        url, json=body | {"items": FULL, "rater": "考核组2"}, headers=scene.world.headers["admin_a"]
    )
    assert typed.status_code == 201 and typed.json["rater"] == "考核组2"
    with app.app_context(), use_scope(system_scope()):
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enter_on_behalf"))
    assert entry.username == "admin_a" and entry.entity == "score_sheets"
    assert entry.after["rater"] == "考核组2" and entry.after["source"] == "assessment_team"
    refused = client.post(  # a refused sheet leaves no entry behind
        url,
        json=body | {"rater": "考核组3", "items": {"A1": 99}},
        headers=scene.world.headers["admin_a"],
    )
    assert refused.status_code == 400
    with app.app_context(), use_scope(system_scope()):
        entries = select(func.count()).where(AuditEntry.action == "enter_on_behalf")
        assert db.session.scalar(entries) == 1


# 3. records and rectification items: every id the tenant's, within reach ----------------


def test_a_record_refuses_another_tenants_ids_and_units_outside_reach(app, client, scene):
    url = api(scene, "/records")
    good = {"org_id": scene.id("A-Z01"), "kind": "theme_party_day", "held_on": "2021-05-04"}
    dues = good | {"kind": "dues", "month": "2021-05"}
    before = counts(app, ActivityRecord)
    cases = [
        ("admin_a", good | {"org_id": scene.id("B-Z01")}, 404, "org_id"),
        ("admin_a", dues | {"member_id": scene.id("B-M1")}, 404, "member_id"),
        ("admin_a", good | {"attendees": [scene.id("A-M1"), scene.id("B-M1")]}, 404, "attendees"),
        ("secretary_a", good | {"org_id": scene.id("A-Z02")}, 403, "org_id"),
        ("secretary_a", dues | {"member_id": scene.id("A-M2")}, 403, "member_id"),
        ("secretary_a", good | {"attendees": [scene.id("A-M2")]}, 403, "attendees"),
    ]
    for user, body, status, field in cases:
        refused = client.post(url, json=body, headers=scene.world.headers[user])
        assert (refused.status_code, list(refused.json.get("errors", {}))) == (status, [field]), (
            user,
            body,
            refused.json,
        )
        assert "王五" not in refused.get_data(as_text=True)
    assert counts(app, ActivityRecord) == before
    mine = good | {"attendees": [scene.id("A-M1")]}
    assert (
        client.post(url, json=mine, headers=scene.world.headers["secretary_a"]).status_code == 201
    )


def test_a_rectification_item_refuses_another_tenants_ids_and_units_outside_reach(
    app, client, scene
):
    url = api(scene, "/rectification")
    good = {"org_id": scene.id("A-Z01"), "issue": "三会一课记录不全", "deadline": "2030-06-30"}
    before = counts(app, RectificationItem)
    cases = [
        ("admin_a", good | {"org_id": scene.id("B-Z01")}, 404, "org_id"),
        ("admin_a", good | {"member_id": scene.id("B-M1")}, 404, "member_id"),
        ("admin_a", good | {"cycle_id": scene.id("cycle_b")}, 404, "cycle_id"),
        ("admin_a", good | {"member_id": scene.id("A-M2")}, 422, "member_id"),  # not A-Z01's
        ("secretary_a", good | {"org_id": scene.id("A-Z02")}, 403, "org_id"),
        ("secretary_a", good | {"member_id": scene.id("A-M2")}, 403, "member_id"),
    ]
    for user, body, status, field in cases:
        refused = client.post(url, json=body, headers=scene.world.headers[user])
        assert (refused.status_code, list(refused.json.get("errors", {}))) == (status, [field]), (
            user,
            body,
            refused.json,
        )
    assert counts(app, RectificationItem) == before
    mine = good | {"member_id": scene.id("A-M1"), "cycle_id": scene.id("cycle")}
    made = client.post(url, json=mine, headers=scene.world.headers["secretary_a"])
    assert made.status_code == 201 and made.json["member_id"] == scene.id("A-M1")


def test_an_item_from_a_result_needs_the_result_in_reach_and_published(app, client, scene):
    url = api(scene, "/rectification/from-result")
    body = {"action": "rectification_plan", "deadline": "2030-06-30"}
    secretary = scene.world.headers["secretary_a"]
    before = counts(app, RectificationItem)
    theirs = client.post(
        url, json=body | {"result_id": str(result_id(app, scene, "A-Z02"))}, headers=secretary
    )
    # another branch's result: not one the secretary may read
    assert theirs.status_code == 404 and list(theirs.json["errors"]) == ["result_id"]
    admin = client.post(  # another tenant's result id: as if there were none
        api(scene, "/rectification/from-result", "B"),
        json=body | {"result_id": str(result_id(app, scene, "A-Z01"))},
        headers=scene.world.headers["admin_b"],
    )
    assert admin.status_code == 404
    cycle = api(scene, f"/cycles/{scene.id('cycle')}")
    reopened = {"reason": "复核", "to": "review"}
    with app.app_context(), use_scope(system_scope()):  # final without a final publication
        cycles.advance(cycles.get_cycle(scene.world.ids["A"], scene.ids["cycle"]), "final")
    client.post(f"{cycle}/reopen", json=reopened, headers=scene.world.headers["admin_a"])
    mine = body | {"result_id": str(result_id(app, scene, "A-Z01"))}
    hidden = client.post(url, json=mine, headers=secretary)  # back in review: not published
    assert hidden.status_code == 404 and list(hidden.json["errors"]) == ["result_id"]
    assert counts(app, RectificationItem) == before
    seen = client.get(f"{cycle}/publications/preview", headers=scene.world.headers["admin_a"])
    confirmed = {"to": "publicity", "confirm": True, "based_on": seen.json["based_on"]}
    client.post(f"{cycle}/advance", json=confirmed, headers=scene.world.headers["admin_a"])
    assert client.post(url, json=mine, headers=secretary).status_code == 201


def test_follow_ups_of_an_item_outside_reach_are_not_shown(app, client, scene):
    theirs = api(scene, f"/rectification/{scene.id('item A-Z02')}/follow-ups")
    mine = api(scene, f"/rectification/{scene.id('item A-Z01')}/follow-ups")
    headers = scene.world.headers
    assert client.get(theirs, headers=headers["secretary_a"]).status_code == 404
    assert client.get(mine, headers=headers["member_a"]).status_code == 404
    assert client.get(mine, headers=headers["admin_b"]).status_code == 404
    shown = client.get(mine, headers=headers["secretary_a"])
    assert shown.status_code == 200 and shown.json[0]["finding"] == "尚未整改到位"
    assert client.get(theirs, headers=headers["overseer_c"]).status_code == 200
    check = {"checked_on": "2021-08-01", "finding": "越界", "satisfactory": True}
    before = counts(app, RectificationItem)
    assert client.post(theirs, json=check, headers=headers["secretary_a"]).status_code == 404
    assert client.post(theirs, json=check, headers=headers["overseer_c"]).status_code == 403
    with app.app_context(), use_scope(system_scope()):
        item = db.session.get(RectificationItem, (scene.world.ids["A"], scene.ids["item A-Z02"]))
        assert item.status == "open"
    assert counts(app, RectificationItem) == before


def test_a_secretary_raises_items_on_the_pages_only_within_reach(app, client, scene):
    login(client, "secretary_a")
    base = f"/t/{scene.id('A')}/ledger"
    token = token_of(client.get(base))
    item = {"csrf_token": token, "issue": "越界", "deadline": "2030-06-30"}
    before = counts(app, RectificationItem)
    outside = client.post(f"{base}/new", data=item | {"org_id": scene.id("A-Z02")})
    assert outside.status_code == 403
    other = client.post(f"{base}/new", data=item | {"org_id": scene.id("B-Z01")})
    assert other.status_code == 404
    deduction = f"{base}/from-deduction/{scene.id('deduction A-Z02')}"
    assert client.post(deduction, data=item).status_code == 403
    follow = {"csrf_token": token, "checked_on": "2021-08-01", "finding": "越界"}
    assert client.post(f"{base}/{scene.id('item A-Z02')}/follow-up", data=follow).status_code == 404
    assert counts(app, RectificationItem) == before
    assert client.post(f"{base}/new", data=item | {"org_id": scene.id("A-Z01")}).status_code == 302


# 4. the other writes, gone through for the same hole ------------------------------------


def test_a_role_is_revoked_only_through_its_own_user(app, client, scene):
    """``DELETE …/users/<user>/roles/<role>`` took any role of the tenant whichever user
    the URL named."""
    with app.app_context(), use_scope(system_scope()):
        role = db.session.scalar(
            select(RoleAssignment.id).where(RoleAssignment.user_id == scene.ids["spare_a"])
        )
    admin = scene.world.headers["admin_a"]
    users = api(scene, "/users")
    wrong = client.delete(f"{users}/{scene.id('assessor_a')}/roles/{role}", headers=admin)
    assert wrong.status_code == 404
    with app.app_context(), use_scope(system_scope()):
        assert db.session.get(RoleAssignment, (scene.world.ids["A"], role)) is not None
    right = client.delete(f"{users}/{scene.id('spare_a')}/roles/{role}", headers=admin)
    assert right.status_code == 204
