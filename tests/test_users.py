"""用户与权限, on both backends: a tenant administrator's pages and the API refuse the same
bad input with the same clear message (one service); initial passwords are handed over
once and changed at first login; members' accounts are opened from the roster in bulk;
every change is in the activity log."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from test_web_pages import login, token_of
from world import PASSWORD

from zhibu.accounts.passwords import verify_password
from zhibu.db import db
from zhibu.models import AuditEntry, RoleAssignment, User
from zhibu.tenancy import system_scope, use_scope


def users_url(world, tenant="A") -> str:
    return f"/t/{world.id(tenant)}/users"


def post(client, url: str, data: dict | None = None, **kwargs):
    """A form post with the page's CSRF token."""
    token = token_of(client.get("/", follow_redirects=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def logout(client) -> None:
    post(client, "/logout")


def user_row(app, username: str) -> User | None:
    with app.app_context(), use_scope(system_scope()):
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge_all()
        return user


def slips(page) -> list[tuple[str, str]]:
    """(user name, password) of every slip on a slips page."""
    found = re.findall(
        r'<dd class="credential">([^<]+)</dd>\s*<dt>初始密码</dt><dd class="credential password">'
        r"([^<]+)</dd>",
        page.text,
    )
    return [(u.strip(), p.strip()) for u, p in found]


def roles_of(page) -> str:
    """The table of a user's roles on their page."""
    return page.text.split('id="roles"')[1].split("</table>")[0]


def workbook_of(page) -> list[tuple]:
    """The .xlsx the slips page offers (a data URL), as rows."""
    data = re.search(r"base64,([A-Za-z0-9+/=]+)\"", page.text).group(1)
    sheet = load_workbook(io.BytesIO(base64.b64decode(data))).active
    return list(sheet.iter_rows(values_only=True))


# --- a user made on the page, the initial password, the forced change ----------------------


def test_a_new_user_gets_a_one_time_password_and_changes_it_first(app, client, world):
    login(client, "admin_a")
    created = post(
        client,
        users_url(world) + "/new",
        {"username": "li_si", "display_name": "李四", "role": "assessor"},
    )
    assert created.status_code == 200 and "no-store" in created.headers["Cache-Control"]
    [(username, password)] = slips(created)
    assert username == "li_si" and len(password) >= 12
    assert workbook_of(created)[1][4:] == ("li_si", password)
    assert user_row(app, "li_si").must_change_password
    logout(client)

    first = login(client, "li_si", password)
    assert first.location.startswith("/password?next=/t/")  # then their page: the sheets
    elsewhere = client.get(f"/t/{world.id('A')}/sheets")
    assert elsewhere.status_code == 302 and elsewhere.location.startswith("/password")
    scripted = client.get(f"/t/{world.id('A')}/sheets", headers={"Accept": "application/json"})
    assert scripted.status_code == 403 and scripted.json["reason"] == "password"
    form = {"current": password, "new": "mine-and-only-mine", "again": "mine-and-only-mine"}
    same = post(client, "/password", form | {"new": password, "again": password})
    assert same.status_code == 400 and "不能与当前密码相同" in same.text
    typo = post(client, "/password", form | {"again": "mine-and-only-mind"})
    assert typo.status_code == 400 and "两次输入的新密码不一致" in typo.text
    changed = post(client, "/password", form | {"next": first.location.split("next=")[1]})
    assert changed.location == f"/t/{world.id('A')}/"
    assert client.get(changed.location).location.endswith("/sheets")  # an assessor's page
    user = user_row(app, "li_si")
    assert not user.must_change_password and verify_password(user.password_hash, form["new"])
    with app.app_context(), use_scope(system_scope()):
        own = db.session.scalars(
            select(AuditEntry).where(AuditEntry.username == "li_si", AuditEntry.entity == "users")
        ).all()
        changed = [e for e in own if "must_change_password" in e.after]
        assert [e.tenant_id for e in changed] == [world.ids["A"]]  # in the tenant's log
        after = {"password_hash": "***", "must_change_password": False}
        assert after.items() <= changed[0].after.items()  # with the session version moved on


def test_an_initial_password_opens_no_api_token(app, client, world):
    login(client, "admin_a")
    created = post(client, users_url(world) + "/new", {"username": "wang", "role": "assessor"})
    [(username, password)] = slips(created)
    refused = client.post("/api/v1/auth/tokens", json={"username": username, "password": password})
    assert refused.status_code == 403 and "修改初始密码" in refused.json["message"]
    body = {"username": "svc", "password": "long enough pw", "roles": [{"role": "assessor"}]}
    for must, status in ((True, 403), (False, 201)):  # the API's choice, for a script's account
        made = client.post(
            f"/api/v1/tenants/{world.id('A')}/users",
            json=body | {"username": f"svc{must}", "must_change_password": must},
            headers=world.headers["admin_a"],
        )
        assert made.status_code == 201 and made.json["must_change_password"] is must
        token = client.post(
            "/api/v1/auth/tokens", json={"username": f"svc{must}", "password": "long enough pw"}
        )
        assert token.status_code == status


# --- bad input, refused alike on the page and in the API -------------------------------------


def test_a_duplicate_user_name_is_refused(client, world):
    login(client, "admin_a")
    for name in ("assessor_a", "Assessor_A", "admin_b"):  # any case, any tenant's
        page = post(client, users_url(world) + "/new", {"username": name, "role": "assessor"})
        assert page.status_code == 409 and "已被使用" in page.text, name
        assert f'value="{name}"' in page.text  # the form keeps what was typed
    body = {"username": "ASSESSOR_A", "password": "long enough pw", "roles": [{"role": "assessor"}]}
    api = client.post(
        f"/api/v1/tenants/{world.id('A')}/users", json=body, headers=world.headers["admin_a"]
    )
    assert api.status_code == 409 and "已被使用" in api.json["errors"]["username"][0]
    bad = post(client, users_url(world) + "/new", {"username": "有 空格", "role": "assessor"})
    assert bad.status_code == 400 and "不含空格" in bad.text


def test_a_role_on_a_unit_of_another_tenant_is_refused(app, client, world):
    login(client, "admin_a")
    form = {"username": "sec_b", "role": "branch_secretary", "org_id": world.id("B-Z01")}
    page = post(client, users_url(world) + "/new", form)
    assert page.status_code == 400 and "本单位组织架构" in page.text
    assert user_row(app, "sec_b") is None  # nothing half-written
    detail = f"{users_url(world)}/{world.id('assessor_a')}/roles"
    refused = post(client, detail, {"role": "branch_secretary", "org_id": world.id("B-Z01")})
    assert refused.status_code == 400 and "本单位组织架构" in refused.text
    api = client.post(
        f"/api/v1/tenants/{world.id('A')}/users/{world.id('assessor_a')}/roles",
        json={"role": "branch_secretary", "org_id": world.id("B-Z01")},
        headers=world.headers["admin_a"],
    )
    assert api.status_code == 400 and "org_id" in api.json["errors"]


def test_a_member_account_of_another_tenants_member_is_refused(app, client, world):
    login(client, "admin_a")
    page = post(
        client,
        users_url(world) + "/new",
        {"username": "m_b", "role": "member", "member_code": "B-M1"},  # 王五 of tenant B
    )
    assert page.status_code == 400 and "不在本单位的党员名册中" in page.text
    api = client.post(
        f"/api/v1/tenants/{world.id('A')}/users",
        json={
            "username": "m_b",
            "password": "long enough pw",
            "roles": [{"role": "member", "member_id": world.id("B-M1")}],
        },
        headers=world.headers["admin_a"],
    )
    assert api.status_code == 400 and "member_id" in api.json["errors"]
    assert user_row(app, "m_b") is None
    taken = post(
        client,
        users_url(world) + "/new",
        {"username": "m_a1", "role": "member", "member_code": "A-M1"},  # member_a's already
    )
    assert taken.status_code == 409 and "已有账号 member_a" in taken.text


def test_a_member_account_without_an_archive_code_asks_for_it(app, client, world):
    login(client, "admin_a")
    page = post(
        client,
        users_url(world) + "/new",
        {"username": "m_new", "display_name": "赵六", "role": "member", "member_code": " "},
    )
    assert page.status_code == 400 and "请填写档案编号" in page.text
    assert "不在本单位的党员名册中" not in page.text
    assert 'value="m_new"' in page.text and 'value="赵六"' in page.text  # kept as typed
    assert user_row(app, "m_new") is None


def test_the_last_admin_is_never_deactivated_nor_loses_the_role(app, client, world):
    login(client, "admin_a")
    own = f"{users_url(world)}/{world.id('admin_a')}"
    refused = post(client, own + "/active", {"active": "0", "confirm_username": "admin_a"})
    assert "不能停用自己" in refused.text
    with app.app_context(), use_scope(system_scope()):
        role = db.session.scalar(
            select(RoleAssignment.id).where(RoleAssignment.user_id == world.ids["admin_a"])
        )
    revoked = post(client, f"{own}/roles/{role}/revoke")
    assert revoked.status_code == 409 and "最后一位管理员" in revoked.text
    api = client.patch(
        f"/api/v1/tenants/{world.id('A')}/users/{world.id('admin_a')}",
        json={"active": False},
        headers=world.headers["root"],  # the platform administrator: not oneself
    )
    assert api.status_code == 409 and "最后一位管理员" in api.json["message"]
    assert user_row(app, "admin_a").active


def test_a_deactivated_user_is_logged_out_and_can_log_in_no_more(app, client, world):
    other = app.test_client()
    login(other, "assessor_a")
    assert other.get(f"/t/{world.id('A')}/sheets").status_code == 200
    login(client, "admin_a")
    target = f"{users_url(world)}/{world.id('assessor_a')}/active"
    unconfirmed = post(client, target, {"active": "0", "confirm_username": "assessor"})
    assert unconfirmed.status_code == 422 and "确认用户名" in unconfirmed.text
    assert "assessor_a" in unconfirmed.text and user_row(app, "assessor_a").active
    assert other.get(f"/t/{world.id('A')}/sheets").status_code == 200  # still logged in
    done = post(client, target, {"active": "0", "confirm_username": "assessor_a"})
    assert done.status_code == 302 and "已停用" in client.get(done.location).text
    kicked = other.get(f"/t/{world.id('A')}/sheets")
    assert kicked.status_code == 302 and kicked.location.startswith("/login")
    assert login(app.test_client(), "assessor_a").status_code == 401
    post(client, f"{users_url(world)}/{world.id('assessor_a')}/active", {"active": "1"})
    assert login(app.test_client(), "assessor_a").status_code == 302


def test_a_password_reset_unlocks_and_is_changed_at_next_login(app, client, world):
    with app.app_context(), use_scope(system_scope()):
        user = db.session.get(User, world.ids["secretary_a"])
        user.locked_until = datetime.now(UTC) + timedelta(minutes=30)
        db.session.commit()
    login(client, "admin_a")
    before = user_row(app, "secretary_a").password_hash
    target = f"{users_url(world)}/{world.id('secretary_a')}/password"
    detail = client.get(target.removesuffix("/password")).text
    assert 'name="confirm"' in detail and 'name="confirm_username"' in detail
    unconfirmed = post(client, target)  # one click is not enough: the box must be ticked
    assert unconfirmed.status_code == 422 and "确认重置该用户的密码" in unconfirmed.text
    assert not slips(unconfirmed)
    assert user_row(app, "secretary_a").password_hash == before  # nothing reset
    page = post(client, target, {"confirm": "1"})
    [(username, password)] = slips(page)
    assert username == "secretary_a"
    assert login(app.test_client(), "secretary_a", PASSWORD).status_code == 401  # the old one
    fresh = app.test_client()
    assert login(fresh, "secretary_a", password).location.startswith("/password")
    user = user_row(app, "secretary_a")
    assert user.locked_until is None
    assert "$m=65536," in user.password_hash  # the light hash of a made password is redone


def test_an_account_with_roles_elsewhere_is_the_platform_administrators(app, client, world):
    """admin_a may not reset (take over) an account that also works in tenant B."""
    with app.app_context(), use_scope(system_scope()):
        db.session.add(
            RoleAssignment(
                tenant_id=world.ids["B"], user_id=world.ids["assessor_a"], role="assessor"
            )
        )
        db.session.commit()
    login(client, "admin_a")
    url = f"{users_url(world)}/{world.id('assessor_a')}"
    refused = post(client, url + "/password", {"confirm": "1"})
    assert refused.status_code == 403 and "乙公司党委" in refused.text
    deactivate = {"active": "0", "confirm_username": "assessor_a"}
    assert post(client, url + "/active", deactivate).status_code == 403
    api = client.post(url.replace("/t/", "/api/v1/tenants/") + "/password-reset",
                      headers=world.headers["root"])  # fmt: skip
    assert api.status_code == 201 and verify_password(
        user_row(app, "assessor_a").password_hash, api.json["password"]
    )


def test_roles_are_given_and_taken_back(app, client, world):
    login(client, "admin_a")
    url = f"{users_url(world)}/{world.id('assessor_a')}"
    given = post(client, url + "/roles", {"role": "branch_secretary", "org_id": world.id("A-ZZ1")})
    assert given.status_code == 302
    assert "<td>支部书记</td><td>机电系党总支</td>" in roles_of(client.get(url))
    again = post(client, url + "/roles", {"role": "branch_secretary", "org_id": world.id("A-ZZ1")})
    assert again.status_code == 409 and "已有这个角色" in again.text
    with app.app_context(), use_scope(system_scope()):
        role = db.session.scalar(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == world.ids["assessor_a"],
                RoleAssignment.role == "branch_secretary",
            )
        )
    assert post(client, f"{url}/roles/{role}/revoke").status_code == 302
    assert "支部书记" not in roles_of(client.get(url))


# --- the list, search, last login, who may see it --------------------------------------------


def test_the_user_list_is_searched_and_shows_last_login(client, world):
    login(client, "admin_a")
    everyone = client.get(users_url(world))
    assert all(f'data-username="{n}"' in everyone.text for n in ("admin_a", "member_a"))
    assert "admin_b" not in everyone.text and "王五" not in everyone.text
    found = client.get(users_url(world), query_string={"q": "SECRET"})
    assert 'data-username="secretary_a"' in found.text
    assert 'data-username="admin_a"' not in found.text
    assert "机电系第一党支部" in found.text  # the secretary's unit
    for wildcard in ("%", "admin%a", "d_in"):  # taken as themselves: nobody's name holds them
        found = client.get(users_url(world), query_string={"q": wildcard})
        assert "data-username=" not in found.text, wildcard
    found = client.get(users_url(world), query_string={"q": "N_A"})
    assert 'data-username="admin_a"' in found.text
    assert 'data-username="assessor_a"' not in found.text
    members = client.get(users_url(world), query_string={"role": "member"})
    assert 'data-username="member_a"' in members.text and "张三" in members.text
    assert 'data-username="admin_a"' not in members.text
    row = everyone.text.split('data-username="admin_a"')[1].split("</tr>")[0]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)  # admin_a just logged in
    never = everyone.text.split('data-username="assessor_a"')[1].split("</tr>")[0]
    assert "—" in never


@pytest.mark.parametrize("who", ["assessor_a", "secretary_a", "member_a", "overseer_c"])
def test_only_administrators_manage_users(client, world, who):
    login(client, who)
    tenant = "C" if who == "overseer_c" else "A"
    assert client.get(users_url(world, tenant)).status_code == 403
    assert client.get(users_url(world, "B")).status_code == 404
    refused = post(client, users_url(world, tenant) + "/new", {"username": "x1", "role": "member"})
    assert refused.status_code == 403


# --- members' accounts from the roster -------------------------------------------------------


def test_member_accounts_are_opened_once_with_slips_and_a_workbook(app, client, world):
    login(client, "admin_a")
    url = users_url(world) + "/member-accounts"
    preview = client.get(url)
    assert "尚无账号的党员:1 名;已有账号:1 名" in preview.text  # 李四; 张三 is member_a
    opened = post(client, url)
    assert opened.status_code == 200 and "no-store" in opened.headers["Cache-Control"]
    [(username, password)] = slips(opened)
    assert (
        username == "a-m2"
    )  # the archive code A-M2 (it starts with the tenant code A), lower case
    header, row = workbook_of(opened)
    assert header[:2] == ("单位", "所在组织") and row[1:] == (
        "机电系第二党支部", "李四", "A-M2", "a-m2", password,
    )  # fmt: skip
    again = post(client, url)
    assert again.status_code == 302 and "都已有账号" in client.get(again.location).text
    member = app.test_client()
    assert login(member, username, password).location.startswith("/password")
    post(
        member, "/password", {"current": password, "new": "my own pass 1", "again": "my own pass 1"}
    )
    assert member.get(f"/t/{world.id('A')}/").location.endswith("/me")  # 我的考评


def test_the_page_lists_the_first_members_without_an_account_and_counts_them_all(app, world):
    """Issue 19: the page that opens accounts reads the first members only (a city has
    sixty thousand): the same members, in the same order, as the whole list; the counts of
    the whole unit."""
    from zhibu.accounts import service
    from zhibu.models import Member

    with app.app_context(), use_scope(system_scope()):
        for n, unit in enumerate(("A-Z01", "A-Z02", "A-Z01", "A-Z02", "A-Z01")):
            db.session.add(
                Member(
                    tenant_id=world.ids["A"],
                    org_id=world.ids[unit],
                    name=f"新党员{n}",
                    archive_code=f"A-N{n}",
                )
            )
        db.session.commit()
        for org_id in (None, world.ids["A-Z01"]):
            whole, having = service.members_without_account(world.ids["A"], org_id)
            for limit in (1, 2, 3, 100):
                page = service.first_without_account(world.ids["A"], org_id, limit)
                assert [(m.id, u.id) for m, u in page.first] == [
                    (m.id, u.id) for m, u in whole[:limit]
                ]
                assert (page.without, page.having) == (len(whole), having)
        assert len(whole) == 3 and having == 1  # A-Z01: three new, 张三 (member_a) has one


def test_member_accounts_of_one_unit_and_through_the_api(app, client, world):
    with app.app_context(), use_scope(system_scope()):
        from zhibu.models import Member

        for n in range(3):
            db.session.add(
                Member(
                    tenant_id=world.ids["A"],
                    org_id=world.ids["A-Z01"],
                    name=f"新党员{n}",
                    archive_code=f"A-N{n}",
                )
            )
        db.session.commit()
    login(client, "admin_a")
    url = users_url(world) + "/member-accounts"
    assert "尚无账号的党员:1 名" in client.get(url, query_string={"org_id": world.id("A-Z02")}).text
    opened = post(client, url, {"org_id": world.id("A-Z02")})
    assert [u for u, _ in slips(opened)] == ["a-m2"]
    api = client.post(
        f"/api/v1/tenants/{world.id('A')}/member-accounts",
        json={},
        headers=world.headers["admin_a"],
    )
    assert api.status_code == 201
    assert sorted(x["archive_code"] for x in api.json) == ["A-N0", "A-N1", "A-N2"]
    assert {x["org_name"] for x in api.json} == {"机电系第一党支部"}
    foreign = client.get(url, query_string={"org_id": world.id("B-Z01")})
    assert foreign.status_code == 200 and "不在本单位的组织架构中" in foreign.text


# --- the activity log ------------------------------------------------------------------------


def test_every_change_is_in_the_activity_log_in_words(app, client, world):
    login(client, "admin_a")
    post(client, users_url(world) + "/new", {"username": "zhao", "role": "assessor"})
    zhao = user_row(app, "zhao")
    post(client, f"{users_url(world)}/{zhao.id}/password", {"confirm": "1"})
    post(
        client, f"{users_url(world)}/{zhao.id}/active", {"active": "0", "confirm_username": "zhao"}
    )
    with app.app_context(), use_scope(system_scope()):
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == str(zhao.id))
        ).all()
        assert {e.tenant_id for e in entries} == {world.ids["A"]}
        assert {e.username for e in entries} == {"admin_a"}
        assert sorted({e.action for e in entries}) == ["create", "update"]
    log = client.get(f"/t/{world.id('A')}/activity", query_string={"username": "admin_a"})
    assert log.status_code == 200
    text = log.text
    assert "新建" in text and "用户 zhao" in text and "角色 zhao 考核员" in text
    assert "修改" in text and "密码" in text and "是否启用" in text
    for raw in ("role_assignments", "password_hash", "must_change_password", "users"):
        assert raw not in text.split('class="entries"')[1]  # the table people read
    detail = client.get(f"{users_url(world)}/{zhao.id}")
    assert "账号变动" in detail.text and "是否启用" in detail.text
    logout(client)
    login(client, "admin_b")
    assert "zhao" not in client.get(f"/t/{world.id('B')}/activity").text


def test_the_activity_page_names_commands_and_objects_in_chinese_once(app, client, world):
    """A change made by a command (here the demo's) shows who in Chinese (示范数据, not
    "zhibu demo"); the 对象 filter names every kind of object once."""
    from zhibu.models import OrgUnit
    from zhibu.web.activity import ENTITIES

    with app.app_context(), use_scope(system_scope(username="zhibu demo")):
        db.session.get(OrgUnit, (world.ids["A"], world.ids["A-Z01"])).name = "机电系第一支部"
        db.session.commit()
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/activity").text
    table = page.split('class="entries"')[1]
    assert "示范数据" in table and "zhibu demo" not in table
    with app.test_request_context():
        names = [str(name) for name in ENTITIES.values()]
    assert len(names) == len(set(names))
    options = re.findall(r"<option value=\"\w+\" >([^<]+)</option>", page)
    assert len(options) == len(ENTITIES) and len(set(options)) == len(options)


def test_a_refused_role_keeps_what_was_chosen(client, world):
    """添加角色 refused (the role the user already has): the form comes back with the
    role and the unit chosen, and the message says what is wrong."""
    login(client, "admin_a")
    url = f"{users_url(world)}/{world.id('assessor_a')}"
    chosen = {"role": "branch_secretary", "org_id": world.id("A-ZZ1")}
    assert post(client, url + "/roles", chosen).status_code == 302
    again = post(client, url + "/roles", chosen)
    assert again.status_code == 409 and "该用户已有这个角色。" in again.text
    form = again.text.split('id="add-role"', 1)[1].split("</form>", 1)[0]
    assert '<option value="branch_secretary" selected>' in form
    assert f'<option value="{world.id("A-ZZ1")}" selected>' in form
    code = post(client, url + "/roles", {"role": "member", "member_code": "无此编号"})
    form = code.text.split('id="add-role"', 1)[1].split("</form>", 1)[0]
    assert code.status_code == 400 and "档案编号 无此编号 不在本单位的党员名册中。" in code.text
    assert '<option value="member" selected>' in form and 'value="无此编号"' in form
