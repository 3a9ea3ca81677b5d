"""组织部 pages added on top of the first set, on both backends: the rectification ledger
(raised by hand and from a deduction, 回头看, 销号 by a different user), phase deadlines, the
org tree (add a unit, rename one), the report set as a job with its stored files, and the
stars and flags in English."""

from __future__ import annotations

import re
import uuid
from datetime import date

from sqlalchemy import select
from test_web_pages import (  # noqa: F401
    OVERDUE_ISSUE,
    PASSWORD,
    assert_nothing_of_b,
    login,
    seeded,
    token_of,
)

from zhibu.accounts.passwords import hash_password
from zhibu.db import db
from zhibu.evaluations import cycles
from zhibu.models import OrgUnit, RectificationItem, RoleAssignment, User
from zhibu.tenancy import system_scope, use_scope


def second_admin(app, world) -> str:
    """Another 组织部 user of tenant A (销号 must be someone else than who raised)."""
    with app.app_context(), use_scope(system_scope()):
        user = User(id=uuid.uuid4(), username="admin_a2", password_hash=hash_password(PASSWORD))
        db.session.add(user)
        db.session.flush()
        db.session.add(
            RoleAssignment(tenant_id=world.ids["A"], user_id=user.id, role="tenant_admin")
        )
        db.session.commit()
    return "admin_a2"


def items_of_a(app, world) -> dict[str, RectificationItem]:
    with app.app_context(), use_scope(system_scope()):
        rows = db.session.scalars(
            select(RectificationItem).where(RectificationItem.tenant_id == world.ids["A"])
        ).all()
        db.session.expunge_all()
        return {i.issue: i for i in rows}


def logout(client) -> None:
    client.post("/logout", data={"csrf_token": token_of(client.get("/"))})


def test_an_item_raised_by_hand_is_followed_up_and_signed_off_by_another(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    other = second_admin(app, world)
    login(client, "admin_a")
    base = f"/t/{world.id('A')}/ledger"
    new = client.get(f"{base}/new")
    assert new.status_code == 200 and "机电系第二党支部" in new.text
    assert_nothing_of_b(new.text)
    token = token_of(new)
    form = {
        "csrf_token": token,
        "org_id": world.id("A-Z02"),
        "cycle_id": str(seeded["A"]),
        "issue": "组织生活会记录缺失",
        "measure": "补齐记录",
        "responsible": "李四",
        "deadline": "2030-06-30",
    }
    assert client.post(f"{base}/new", data=form).status_code == 302
    assert client.post(f"{base}/new", data=form | {"deadline": "明天"}).status_code == 400
    assert '<option value="" selected>请选择组织</option>' in new.text  # no unit by default
    past = client.post(f"{base}/new", data=form | {"issue": "过期事项", "deadline": "2020-01-01"})
    assert past.status_code == 422 and "整改时限:2020-01-01 已经过去" in past.text
    assert 'value="过期事项"' in past.text and 'value="2020-01-01"' in past.text  # kept
    assert "过期事项" not in items_of_a(app, world)
    unchosen = client.post(f"{base}/new", data=form | {"org_id": "", "issue": "无组织"})
    assert unchosen.status_code == 400 and "请选择整改的组织" in unchosen.text
    other_tenant = form | {"org_id": world.id("B-Z01"), "issue": "乙的事项"}
    assert client.post(f"{base}/new", data=other_tenant).status_code == 404
    item = items_of_a(app, world)["组织生活会记录缺失"]
    assert (item.org_id, item.cycle_id, item.deadline) == (
        world.ids["A-Z02"],
        seeded["A"],
        date(2030, 6, 30),
    )
    assert "乙的事项" not in items_of_a(app, world)
    ledger = client.get(base)
    assert "组织生活会记录缺失" in ledger.text and "整改中" in ledger.text

    check = {
        "csrf_token": token,
        "checked_on": "2021-07-01",
        "finding": "已补齐",
        "satisfactory": "1",
    }
    assert client.post(f"{base}/{item.id}/follow-up", data=check).status_code == 302
    assert items_of_a(app, world)["组织生活会记录缺失"].status == "rectified"
    # the 回头看 stays on the ledger: its date, what was found and the outcome
    assert "回头看 2021-07-01:已补齐(已整改到位)" in client.get(base).text
    refused = client.post(
        f"{base}/{item.id}/sign-off", data={"csrf_token": token, "show": "open", "page": "1"}
    )  # said on the ledger, the tab kept, nothing changed
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/ledger?show=open")
    back = client.get(refused.headers["Location"]).text
    assert 'class="flash error" role="alert">' in back and "列入人以外的其他人销号" in back
    assert items_of_a(app, world)["组织生活会记录缺失"].status == "rectified"
    logout(client)
    login(client, other)
    signed = client.post(
        f"{base}/{item.id}/sign-off", data={"csrf_token": token_of(client.get(base))}
    )
    assert signed.status_code == 302
    assert items_of_a(app, world)["组织生活会记录缺失"].status == "signed_off"
    assert "已销号" in client.get(base).text


def test_an_item_raised_from_a_deduction(app, client, world, seeded):  # noqa: F811
    login(client, "admin_a")
    base = f"/t/{world.id('A')}/ledger"
    page = client.get(f"{base}/new?cycle={seeded['A']}&org={world.id('A-Z01')}")
    assert "支部台账缺页" in page.text  # A-Z01's deduction on the assessment team's sheet
    action = re.search(r'action="([^"]+/from-deduction/[^"]+)"', page.text).group(1)
    form = {"csrf_token": token_of(page), "deadline": "2030-01-31", "responsible": "王书记"}
    assert client.post(action, data=form).status_code == 302
    named = re.search(r"<td>(A1 [^<]+)</td>", page.text).group(1)  # the line, by name
    issue = f"{named} 扣 5 分:支部台账缺页"
    item = items_of_a(app, world)[issue]
    assert (item.origin, item.org_id, item.responsible) == (
        "deduction",
        world.ids["A-Z01"],
        "王书记",
    )
    again = client.get(f"{base}/new?cycle={seeded['A']}&org={world.id('A-Z01')}")
    assert "已登记" in again.text and "/from-deduction/" not in again.text
    assert client.post(action, data=form).status_code == 409  # once per deduction
    logout(client)
    login(client, "secretary_a")  # a branch raises its own items, on the pages as in the API
    assert client.get(f"{base}/new").status_code == 200
    assert client.get(f"{base}/new?org={world.id('A-Z02')}").status_code == 403
    logout(client)
    login(client, "member_a")
    assert client.get(f"{base}/new").status_code == 403
    assert client.post(action, data={"csrf_token": token_of(client.get("/"))}).status_code == 403


def test_phase_deadlines_are_set_on_the_cycle_page(app, client, world, seeded):  # noqa: F811
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/cycles/{seeded['A']}"
    page = client.get(url)
    assert 'name="deadline-review"' in page.text
    token = token_of(page)
    moved = client.post(
        f"{url}/deadlines",
        data={"csrf_token": token, "deadline-review": "2022-01-10", "deadline-final": ""},
        follow_redirects=True,
    )
    assert moved.status_code == 200 and "2022-01-10" in moved.text
    bad = client.post(f"{url}/deadlines", data={"csrf_token": token, "deadline-review": "x"})
    assert bad.status_code == 400
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(world.ids["A"], seeded["A"])
        assert cycle.deadlines["review"] == "2022-01-10"
        assert cycle.deadlines["assessment"] == "2021-12-20"  # the others kept


def test_units_are_added_and_renamed(app, client, world, seeded):  # noqa: F811
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/orgs"
    page = client.get(url)
    assert 'id="add-org"' in page.text and "党总支" in page.text
    token = token_of(page)
    unit = {
        "csrf_token": token,
        "parent_id": world.id("A-ZZ1"),
        "code": "A-Z03",
        "name": "机电系第三党支部",
        "kind": "branch",
    }
    assert client.post(url, data=unit).status_code == 302
    assert client.post(url, data=unit | {"name": "重复"}).status_code == 409  # the code is taken
    with app.app_context(), use_scope(system_scope()):
        added = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "A-Z03"))
        assert (added.tenant_id, added.parent_id) == (world.ids["A"], world.ids["A-ZZ1"])
    renamed = client.post(
        f"{url}/{added.id}/rename", data={"csrf_token": token, "name": "机电系三支部"}
    )
    assert renamed.status_code == 302
    tree = client.get(url).text
    assert "机电系三支部" in tree and "机电系第三党支部" not in tree
    found = client.get(url, query_string={"q": "三支"}).text
    assert "机电系三支部" in found and "机电系第一党支部" not in found
    found = client.get(url, query_string={"q": "机电系_支部"}).text  # _ is no wildcard
    assert "机电系三支部" not in found
    elsewhere = f"{url}/{world.id('B-Z01')}/rename"  # tenant B's unit
    assert client.post(elsewhere, data={"csrf_token": token, "name": "x"}).status_code == 404
    logout(client)
    login(client, "secretary_a")
    token = token_of(client.get(url))
    assert 'id="add-org"' not in client.get(url).text
    assert client.post(url, data=unit | {"csrf_token": token, "code": "A-Z04"}).status_code == 403


def test_the_report_set_is_a_job_and_its_files_are_listed(client, world, seeded):  # noqa: F811
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/cycles/{seeded['A']}/reports"
    page = client.get(url)
    assert 'id="generate-reports"' in page.text and "还没有生成过全套报表" in page.text
    started = client.post(f"{url}/generate", data={"csrf_token": token_of(page)})
    assert started.status_code == 302 and "/jobs/" in started.location
    job = client.get(started.location)
    assert "<progress" in job.text and "已完成" in job.text and url in job.text
    job_id = re.search(r"/jobs/([0-9a-f-]{36})", started.location).group(1)
    state = client.get(f"/t/{world.id('A')}/jobs/{job_id}.json").json
    assert state["status"] == "finished" and state["done"] == state["total"] > 2
    listed = client.get(url)
    files = re.findall(r'href="(/api/v1/tenants/[^"]+/reports/files/[0-9a-f-]{36})"', listed.text)
    api = client.get(f"/api/v1/tenants/{world.id('A')}/cycles/{seeded['A']}/reports/files").json
    assert len(files) == len(api) > 2
    download = client.get(files[0])
    assert download.status_code == 200 and len(download.data) > 100
    logout(client)
    login(client, "overseer_c")
    token = token_of(client.get("/"))
    assert client.post(f"{url}/generate", data={"csrf_token": token}).status_code == 403
    assert 'id="generate-reports"' not in client.get(url).text


def test_stars_and_flags_have_english_names(app, client, world, seeded):  # noqa: F811
    login(client, "admin_a")
    client.get("/lang/en?next=/")
    results = client.get(f"/t/{world.id('A')}/cycles/{seeded['A']}/results")
    assert "Five stars" in results.text and "五星" not in results.text
    assert "Over the quota" in results.text and "超出比例" not in results.text
    dashboard = client.get(f"/t/{world.id('A')}/dashboard")
    assert "Five stars" in dashboard.text  # the chart and the counts
    client.get("/lang/zh?next=/")
    assert "五星" in client.get(f"/t/{world.id('A')}/cycles/{seeded['A']}/results").text
