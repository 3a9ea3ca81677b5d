"""What each role reads through the API with a bearer token: results once published, a
branch secretary's part of the tree, a member's own, an overseer's units only; reports
and other people's jobs for the tenant's staff only."""

from datetime import date

import pytest
from test_jobs_work import cycle, score_panel  # noqa: F401 - fixtures and helpers

from zhibu.db import db
from zhibu.models import Incident
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def published(client, world, cycle):  # noqa: F811 - the fixture imported above
    base = f"/api/v1/tenants/{world.id('A')}/cycles/{cycle}"
    admin = world.headers["admin_a"]
    assert client.post(f"{base}/recompute", headers=admin).status_code == 200
    return base


def codes(client, world, url, user):
    response = client.get(url, headers=world.headers[user])
    assert response.status_code == 200, response.json
    return sorted(r["subject_code"] for r in response.json)


def advance_to(client, world, base, phase):
    """Into 结果公示 (or final) as confirmed after the preview (issue 18)."""
    admin = world.headers["admin_a"]
    seen = client.get(f"{base}/publications/preview?to={phase}", headers=admin).json
    body = {"to": phase, "confirm": True, "based_on": seen["based_on"]}
    response = client.post(f"{base}/advance", json=body, headers=admin)
    assert response.status_code == 200, response.json


def test_results_by_role(client, world, published):
    everyone = codes(client, world, f"{published}/results", "admin_a")
    assert {"A-Z01", "A-Z02", "A-M1", "A-M2"} <= set(everyone)
    assert codes(client, world, f"{published}/results", "assessor_a") == everyone
    # before publication: nothing for an overseer, a secretary or a member
    assert codes(client, world, f"{published}/results", "overseer_c") == []
    assert codes(client, world, f"{published}/results", "secretary_a") == []
    assert codes(client, world, f"{published}/results", "member_a") == []
    advance_to(client, world, published, "publicity")
    overseen = codes(client, world, f"{published}/results", "overseer_c")
    assert "A-Z01" in overseen and not any(c.startswith("A-M") for c in overseen)
    assert codes(client, world, f"{published}/results", "secretary_a") == ["A-M1", "A-Z01"]
    assert codes(client, world, f"{published}/results", "member_a") == ["A-M1"]


def test_sheets_incidents_and_records_by_role(app, client, world, published):
    with app.app_context(), use_scope(system_scope()):
        for subject, kind, note in (
            ("A-M2", "member", "受党内警告处分"),
            ("A-Z02", "org", "班子不团结"),
        ):
            db.session.add(
                Incident(
                    tenant_id=world.ids["A"],
                    subject_kind=kind,
                    subject_id=world.ids[subject],
                    kind="veto.disunity",
                    occurred_on=date(2021, 5, 1),
                    note=note,
                )
            )
        db.session.commit()
    sheets = client.get(f"{published}/sheets", headers=world.headers["secretary_a"]).json
    assert {s["subject_id"] for s in sheets} == {world.id("A-Z01")}
    assert client.get(f"{published}/sheets", headers=world.headers["member_a"]).json == []
    incidents = f"/api/v1/tenants/{world.id('A')}/incidents"
    overseen = client.get(incidents, headers=world.headers["overseer_c"]).json
    assert [i["note"] for i in overseen] == ["班子不团结"]  # no member's disciplinary note
    assert client.get(incidents, headers=world.headers["member_a"]).json == []
    assert len(client.get(incidents, headers=world.headers["admin_a"]).json) == 2


def test_reports_are_for_the_staff(client, world, published):
    url = f"{published}/reports"
    assert client.get(url, headers=world.headers["admin_a"]).status_code == 200
    assert client.get(url, headers=world.headers["overseer_c"]).status_code == 200
    assert client.get(url, headers=world.headers["secretary_a"]).status_code == 403
    assert client.get(url, headers=world.headers["member_a"]).status_code == 403
