"""Pages after the security review, on both backends: redirects stay on the site, overseers
see no member's data, a page session reads the API only with the whole tree in view,
members see no other unit, jobs are their starter's and the admins', the session cookie and
its absolute lifetime, an import refused at commit, the sheet's script told when logged
out, links built with ``url_for``."""

from __future__ import annotations

import io
import re
import time
from datetime import date

import pytest
from test_browser import browser_page, live_server  # noqa: F401
from test_web_pages import (  # noqa: F401
    login,
    publish,
    result_id,
    seeded,
    token_of,
)

from zhibu.accounts.access import system_access
from zhibu.db import db
from zhibu.evaluations import facts
from zhibu.models import Tenant
from zhibu.orgs import service as orgs
from zhibu.tenancy import system_scope, use_scope
from zhibu.web.guard import safe_next

MEMBER_NOTE = "张三酒后驾车,受党内警告处分"
UNIT_NOTE = "第一支部换届超期三个月"


def status_of(page) -> str:
    """The job page's status line (the page also carries every status name for its script)."""
    return re.search(r'id="job-status"[^>]*>([^<]*)<', page.text).group(1)


def logout(client) -> None:
    client.post("/logout", data={"csrf_token": token_of(client.get("/"))})


# 1. open redirects --------------------------------------------------------------------

LEAVING = ["/\t/evil.example/", "/\\evil.example", "/\\/evil.example", "//evil.example/"]
LEAVING += ["///evil.example", "https://evil.example/", "http:/evil.example", "evil.example"]
LEAVING += ["/x\r\nSet-Cookie: a=b", ""]


@pytest.mark.parametrize("target", LEAVING)
def test_safe_next_refuses_what_leaves_the_site(target):
    assert safe_next(target, "/home") == "/home"


def test_safe_next_keeps_paths_of_the_site():
    assert safe_next("/t/x/members?q=a&page=2", "/") == "/t/x/members?q=a&page=2"
    assert safe_next("/", "/home") == "/"


@pytest.mark.parametrize("target", ["/%09/evil.example/", "/\\evil", "//evil", "https://evil"])
def test_login_language_and_job_pages_stay_on_the_site(client, world, seeded, target):  # noqa: F811
    token = token_of(client.get("/"))
    data = {"username": "admin_a", "password": "correct horse battery", "csrf_token": token}
    # in the URL as typed: %09 arrives as a tab, a backslash as it is
    response = client.post(f"/login?next={target}", data=data)
    if "%09" in target:  # a control character in the address: refused before anything
        assert response.status_code == 422 and response.location is None
        response = client.post("/login", data=data)
    assert response.status_code == 302  # not there: the admin's landing page, 工作台
    assert response.location == f"/t/{world.id('A')}/"
    language = client.get(f"/lang/en?next={target}")
    assert language.location in ("/", None) and language.status_code in (302, 422)
    client.get("/lang/zh")
    page = client.get(f"/t/{world.id('A')}/cycles/{seeded['A']}")
    started = client.post(
        f"/t/{world.id('A')}/cycles/{seeded['A']}/recompute", data={"csrf_token": token_of(page)}
    )
    job = started.location.split("?")[0]
    drawn = client.get(job, query_string={"next": target.replace("%09", "\t")})
    if "%09" in target:  # refused with the field named: no link to anywhere
        assert drawn.status_code == 422 and "evil.example" not in drawn.text.split("</h1>")[-1]
        return
    link = re.search(r'id="job-next" href="([^"]*)"', drawn.text).group(1)
    assert link == f"/t/{world.id('A')}/", link


# 2. overseers see no member's data ------------------------------------------------------


def _incidents(app, world) -> None:
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        kind = next(iter(facts.incident_kinds(tenant)))
        access = system_access(tenant.id)
        facts.add_incident(access, "member", world.ids["A-M1"], kind, date(2021, 5, 4), MEMBER_NOTE)
        facts.add_incident(access, "org", world.ids["A-Z01"], kind, date(2021, 6, 1), UNIT_NOTE)


def test_overseer_sees_units_incidents_without_notes(app, client, world, seeded):  # noqa: F811
    _incidents(app, world)
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/incidents")
    assert "张三" in page.text and MEMBER_NOTE in page.text and UNIT_NOTE in page.text
    logout(client)
    login(client, "overseer_c")
    page = client.get(f"/t/{world.id('A')}/incidents")
    assert page.status_code == 200
    assert "机电系第一党支部" in page.text and "2021-06-01" in page.text  # the unit's incident
    assert "张三" not in page.text and "2021-05-04" not in page.text
    assert MEMBER_NOTE not in page.text and UNIT_NOTE not in page.text


def test_overseer_sees_units_results_but_no_members(app, client, world, seeded):  # noqa: F811
    publish(app, world, seeded["A"])  # before publication an overseer sees none at all
    login(client, "overseer_c")
    base = f"/t/{world.id('A')}/cycles/{seeded['A']}/results"
    listing = client.get(base)
    assert listing.status_code == 200 and "机电系第一党支部" in listing.text
    assert "张三" not in listing.text and "A-M1" not in listing.text
    member = result_id(app, world, "A", "A-M1")
    assert client.get(f"{base}/{member}").status_code == 404
    unit = client.get(f"{base}/{result_id(app, world, 'A', 'A-Z01')}")
    assert unit.status_code == 200 and "支部台账缺页" in unit.text
    logout(client)
    login(client, "admin_a")
    assert client.get(f"{base}/{member}").status_code == 200  # the tenant's own admins do


# 3. a page session reads the API only with the whole tree in view -----------------------


@pytest.mark.parametrize("username", ["member_a", "secretary_a"])
def test_a_page_session_of_a_member_or_secretary_cannot_read_the_api(
    client,
    world,
    seeded,  # noqa: F811
    username,
):
    login(client, username)
    base = f"/api/v1/tenants/{world.id('A')}/cycles/{seeded['A']}"
    for path in ("/results", "/sheets", "/reports/files"):
        response = client.get(base + path)
        assert response.status_code in {403, 404}, (path, response.status_code)
        assert "张三" not in response.text and "李四" not in response.text
    assert client.get(f"/api/v1/tenants/{world.id('A')}/rectification").status_code == 403


def test_an_admin_session_downloads_reports_from_the_reports_page(client, world, seeded):  # noqa: F811
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/cycles/{seeded['A']}/reports")
    links = re.findall(r'href="(/api/v1/tenants/[^"]+\.xlsx)"', page.text)
    assert links
    download = client.get(links[0])
    assert download.status_code == 200 and download.data[:2] == b"PK"
    results = client.get(f"/api/v1/tenants/{world.id('A')}/cycles/{seeded['A']}/results")
    assert results.status_code == 200 and results.json


def test_the_api_ledger_shows_a_member_no_items(client, world, seeded):  # noqa: F811
    url = f"/api/v1/tenants/{world.id('A')}/rectification"
    assert client.get(url, headers=world.headers["admin_a"]).json
    assert client.get(url, headers=world.headers["member_a"]).json == []


# 5. members see no unit -------------------------------------------------------------------


def test_members_see_their_branch_and_secretaries_their_subtree(client, world, seeded):  # noqa: F811
    """A member sees their own branch and the units above it (read-only), never another
    branch; a secretary their branch."""
    login(client, "member_a")
    page = client.get(f"/t/{world.id('A')}/orgs")
    for name in ("机电系党总支", "机电系第一党支部"):
        assert name in page.text, name
    for name in ("机电系第二党支部", "离退休党支部"):
        assert name not in page.text, name
    logout(client)
    login(client, "secretary_a")
    page = client.get(f"/t/{world.id('A')}/orgs")
    assert "机电系第一党支部" in page.text and "机电系第二党支部" not in page.text


# 6. jobs are their starter's and the admins' ---------------------------------------------


def test_a_job_is_for_whoever_started_it_and_the_admins(client, world, seeded):  # noqa: F811
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/cycles/{seeded['A']}")
    started = client.post(
        f"/t/{world.id('A')}/cycles/{seeded['A']}/recompute", data={"csrf_token": token_of(page)}
    )
    job = started.location.split("?")[0]
    assert client.get(job).status_code == 200 and client.get(f"{job}.json").status_code == 200
    for username in ("assessor_a", "secretary_a", "member_a", "overseer_c"):
        logout(client)
        login(client, username)
        assert client.get(job).status_code == 404, username
        assert client.get(f"{job}.json").status_code == 404, username


# 7. the session cookie and its absolute lifetime -----------------------------------------


def test_the_session_cookie_is_http_only_and_same_site(client, world):
    response = login(client, "admin_a")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_session_ends_hours_after_login_however_active(app, client, world):
    login(client, "admin_a")
    assert "甲学院党委" in client.get("/").text
    limit = app.config["ZHIBU_SESSION_MAX_HOURS"] * 3600
    with client.session_transaction() as session:
        assert time.time() - session["login_at"] < 60
        session["login_at"] = time.time() - limit - 1
    page = client.get("/")  # seen a moment ago, but logged in too long ago
    assert "会话已超时" in page.text and "甲学院党委" not in page.text


# 8. an import refused at commit ----------------------------------------------------------


def test_an_import_refused_at_commit_says_so_with_its_rows(app, client, world, seeded):  # noqa: F811
    """The registry changed between preview and commit: nothing is written, and the
    preview is made again with what is true now."""
    from zhibu.members.roster import write_roster

    login(client, "admin_a")
    url = f"/t/{world.id('A')}/members/import"
    token = token_of(client.get(url))
    good = write_roster([{"name": "赵六", "branch": "机电系第二党支部"}])
    sent = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(good), "r.xlsx")})
    assert "确认导入" in client.get(sent.location).text
    with app.app_context(), use_scope(system_scope()):  # renamed between preview and commit
        orgs.update_org(orgs.get_org(world.ids["A"], world.ids["A-Z02"]), name="机电系二支部")
    refused = client.post(f"{sent.location}/commit", data={"csrf_token": token})
    assert refused.location.endswith(sent.location)
    page = client.get(refused.location)
    assert "名册在预览之后有变动" in page.text and '/commit"' not in page.text
    assert "找不到组织“机电系第二党支部”" in page.text  # the row, as it reads now
    assert "赵六" not in client.get(f"/t/{world.id('A')}/members").text


def test_a_committed_import_says_what_it_did(client, world, seeded):  # noqa: F811
    from zhibu.members.roster import write_roster

    login(client, "admin_a")
    url = f"/t/{world.id('A')}/members/import"
    token = token_of(client.get(url))
    good = write_roster([{"name": "赵六", "branch": "机电系第二党支部"}])
    sent = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(good), "r.xlsx")})
    done = client.post(f"{sent.location}/commit", data={"csrf_token": token})
    page = client.get(done.location)
    assert "已导入:新增 1 人" in page.text and "已导入</td>" in page.text


# 9. the sheet's script is told when the session ended ------------------------------------


def test_a_script_after_the_session_timed_out_gets_json(app, client, world, seeded):  # noqa: F811
    login(client, "assessor_a")
    url = f"/t/{world.id('A')}/cycles/{seeded['A']}/sheets/org/{world.id('A-Z01')}/assessment_team"
    headers = {"X-CSRFToken": token_of(client.get(url)), "Accept": "application/json"}
    wrong = client.post(
        url, data={"d-A1": "1", "r-A1": "x"}, headers=headers | {"X-CSRFToken": "x"}
    )
    assert wrong.status_code == 400 and wrong.json["reason"] == "csrf"
    with client.session_transaction() as session:
        session["seen"] = time.time() - app.config["ZHIBU_SESSION_IDLE_MINUTES"] * 60 - 1
    saved = client.post(url, data={"d-A1": "1", "r-A1": "x"}, headers=headers)
    assert saved.status_code == 401 and saved.json["reason"] == "login"
    assert saved.json["login"] == "/login" and "会话已超时" in saved.json["message"]
    polled = client.get(f"/t/{world.id('A')}/jobs/{seeded['A']}.json", headers=headers)
    assert polled.status_code == 401 and polled.json["reason"] == "login"
    assert client.get(url).status_code == 302  # a page still goes to the login form


# 10. links built with url_for -------------------------------------------------------------


def test_links_carry_their_query_encoded(client, world, seeded):  # noqa: F811
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/members", query_string={"page": 2, "q": "张&page=9"})
    link = re.search(r'href="([^"]+)">上一页', page.text).group(1)
    assert link.startswith(f"/t/{world.id('A')}/members?") and "q=%E5%BC%A0%26page%3D9" in link
    logout(client)
    login(client, "overseer_c")
    page = client.get(f"/t/{world.id('C')}/oversight", query_string={"period": "2021"})
    weakness = f"/api/v1/tenants/{world.id('C')}/oversight/weakness.xlsx?period=2021"
    assert f'href="{weakness}"' in page.text
    assert client.get(weakness).status_code == 200


@pytest.mark.browser
def test_the_sheet_keeps_what_was_typed_when_logged_out(live_server, browser_page):  # noqa: F811
    """In a real browser: logged out in another tab, the sheet says so with a login link and
    keeps the typed row; after logging in again there, the next save goes through."""
    from playwright.sync_api import expect
    from test_browser import _login, _logout

    base, world, cycles = live_server
    page = browser_page
    _login(page, base, "assessor_a")
    page.goto(
        f"{base}/t/{world.id('A')}/cycles/{cycles['A']}/sheets/org/{world.id('A-Z01')}/assessment_team"
    )
    other = page.context.new_page()
    other.goto(base + "/")
    _logout(other)
    page.locator("input.points").first.fill("1")
    page.locator("input.reason").first.fill("记录缺页")
    status = page.locator("#sheet-status")
    expect(status).to_contain_text("登录已超时")
    expect(status.locator("a[target=_blank]")).to_have_attribute("href", re.compile("^/login"))
    expect(page.locator("input.points").first).to_have_value("1")
    _login(other, base, "assessor_a")
    page.locator("input.reason").first.fill("记录缺页两处")
    expect(status).to_have_text("已保存")
