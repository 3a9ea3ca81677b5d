"""The report set generated as a job would (``generate_all`` with progress), stored and
served; and the weakness table across the tenants an overseer oversees."""

import io
import uuid

from openpyxl import load_workbook
from reports_world import scored_cycle
from sqlalchemy import select

from zhibu.db import db
from zhibu.evaluations.compute import current_set
from zhibu.evaluations.cycles import get_cycle
from zhibu.models import OversightLink, ReportFile
from zhibu.reports.service import builders_for
from zhibu.reports.store import generate_all
from zhibu.tenancy import Scope, system_scope, use_scope


def generate(app, world, cycle_id, tenant="A"):
    calls = []
    tenant_id = world.ids[tenant]
    with app.app_context(), use_scope(Scope.for_tenants([tenant_id], [tenant_id])):
        stored = generate_all(tenant_id, uuid.UUID(cycle_id), lambda *a: calls.append(a))
        from zhibu.evaluations.cycles import get_cycle

        keys = sorted(builders_for(get_cycle(tenant_id, uuid.UUID(cycle_id))))
    return stored, calls, keys


def test_generate_all_reports_progress_and_stores_every_report(app, client, world):
    cycle = scored_cycle(app, client, world)
    stored, calls, keys = generate(app, world, cycle.id)
    assert {(f["key"], f["fmt"]) for f in stored} == {
        (k, f) for k in keys for f in ("xlsx", "html")
    }
    totals = {call[1] for call in calls}
    assert totals == {len(keys) + 2}
    done = [call[0] for call in calls]
    assert done == sorted(done) and done[0] == 0 and done[-1] == len(keys) + 2
    building = [call[3] for call in calls if call[2] == "building report"]  # the title
    assert any("整改通知单" in title for title in building)

    auth = world.headers["admin_a"]
    listed = client.get(f"{cycle.url}/reports/files", headers=auth).json
    assert {(f["key"], f["fmt"]) for f in listed} == {(f["key"], f["fmt"]) for f in stored}
    with app.app_context(), use_scope(system_scope()):
        current = current_set(get_cycle(world.ids["A"], uuid.UUID(cycle.id)))
    assert {f["result_set_id"] for f in listed} == {str(current.id)}
    ranking = next(f for f in listed if (f["key"], f["fmt"]) == ("core.ranking", "xlsx"))
    download = client.get(f"{cycle.url}/reports/files/{ranking['id']}", headers=auth)
    assert download.status_code == 200 and len(download.data) == ranking["size"]
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(download.data)).active
    assert sheet["A1"].value == "支部考评排名表(2021)"
    page = next(f for f in listed if (f["key"], f["fmt"]) == ("core.stars", "html"))
    shown = client.get(f"{cycle.url}/reports/files/{page['id']}", headers=auth)
    assert shown.mimetype == "text/html" and "<svg" in shown.text


def test_generating_again_replaces_the_set(app, client, world):
    cycle = scored_cycle(app, client, world)
    first, _, _ = generate(app, world, cycle.id)
    second, _, _ = generate(app, world, cycle.id)
    with app.app_context(), use_scope(system_scope()):
        ids = set(db.session.scalars(select(ReportFile.id)))
    assert ids == {uuid.UUID(f["id"]) for f in second} and len(second) == len(first)
    old = first[0]["id"]
    missing = client.get(f"{cycle.url}/reports/files/{old}", headers=world.headers["admin_a"])
    assert missing.status_code == 404


def test_personal_reports_are_stored_but_not_for_overseers(app, client, world):
    auth = world.headers["admin_a"]
    made = client.post(
        f"/api/v1/tenants/{world.id('A')}/cycles",
        json={"scheme_key": "akesu_college", "period": "2021"},
        headers=auth,
    )
    url = f"/api/v1/tenants/{world.id('A')}/cycles/{made.json['id']}/reports/files"
    stored, _, _ = generate(app, world, made.json["id"])  # a cycle without results yet
    personal = next(f for f in stored if f["key"] == "akesu_college.member_register")
    assert personal["id"] in {f["id"] for f in client.get(url, headers=auth).json}
    overseer = world.headers["overseer_c"]
    early = client.get(url, headers=overseer).json  # before publication: the 整改台账 only
    assert early and {f["key"] for f in early} == {"core.ledger"}
    ranking = next(f for f in stored if f["key"] == "core.ranking")
    assert client.get(f"{url}/{ranking['id']}", headers=overseer).status_code == 403
    assert client.get(f"{url}/{early[0]['id']}", headers=overseer).status_code == 200
    with app.app_context(), use_scope(system_scope()):  # as once published
        get_cycle(world.ids["A"], uuid.UUID(made.json["id"])).phase = "publicity"
        db.session.commit()
    listed = client.get(url, headers=overseer).json
    assert listed and personal["id"] not in {f["id"] for f in listed}
    assert client.get(f"{url}/{personal['id']}", headers=overseer).status_code == 403
    assert client.get(f"{url}/{listed[0]['id']}", headers=overseer).status_code == 200
    assert client.get(url, headers=world.headers["admin_b"]).status_code == 404


B_SCORES = (("B-Z01", 80, [("A2", 12, "党费台账缺失")]),)


def test_weakness_across_the_overseen_tenants(app, client, world):
    scored_cycle(app, client, world)
    url = f"/api/v1/tenants/{world.id('C')}/oversight/weakness.xlsx"
    overseer = world.headers["overseer_c"]
    before = load_workbook(io.BytesIO(client.get(url, headers=overseer).data)).active
    assert "乙公司党委" not in str(list(before.values))
    scored_cycle(app, client, world, "B", B_SCORES, "admin_b")
    with app.app_context(), use_scope(system_scope()):
        db.session.add(OversightLink(overseer_id=world.ids["C"], overseen_id=world.ids["B"]))
        db.session.commit()
    response = client.get(url, headers=overseer)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value.startswith("丙县委组织部所辖单位指标失分分析表(2021")
    rows = {r[1].split()[0]: r for r in sheet.iter_rows(min_row=4, values_only=True) if r[1]}
    assert rows["A2"][3] == 3  # two branches of A and one of B were scored on it
    assert rows["A2"][10].startswith("乙公司党委")  # B lost 12 of 60, A 5 of 120
    assert rows["A2"][8] == 1
    text = (
        str(list(sheet.values)) + client.get(url.replace(".xlsx", ".html"), headers=overseer).text
    )
    assert not any(name in text for name in ("张三", "李四", "王五"))
    assert client.get(url, headers=world.headers["admin_b"]).status_code == 404
    bad = client.get(f"{url}?period=last-year", headers=overseer)
    assert bad.status_code == 422 and "period" in str(bad.json)


def test_weakness_across_is_empty_for_a_tenant_overseeing_none(client, world):
    url = f"/api/v1/tenants/{world.id('A')}/oversight/weakness.html"
    response = client.get(url, headers=world.headers["admin_a"])
    assert response.status_code == 200 and "没有按考核指标计分" in response.text
    # the oversight dashboard's figures: for those who oversee, as the page is
    assert client.get(url, headers=world.headers["assessor_a"]).status_code == 403
