"""The platform administrator's pages and a tenant's scheme settings, on both backends:
tenants created and edited, schemes enabled, oversight links made, settings saved as new
versions (bad values refused with the setting named); each role's landing page; scheme
names as their titles; one language at a time in the header."""

from __future__ import annotations

from sqlalchemy import select
from test_users import logout, post
from test_web_pages import login, seeded, token_of  # noqa: F401

from zhibu.db import db
from zhibu.models import OversightLink, SchemeVersion, Tenant
from zhibu.tenancy import system_scope, use_scope


def tenant_by_code(app, code: str) -> Tenant | None:
    """The tenant, detached with its schemes loaded."""
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
        if tenant is not None:
            tenant.scheme_keys  # noqa: B018  (loads them)
        db.session.expunge_all()
        return tenant


def test_each_role_lands_on_its_page(client, world):
    landings = {
        "root": "/platform/",
        "admin_a": f"/t/{world.id('A')}/",
        "overseer_c": f"/t/{world.id('C')}/",
    }
    pages = {  # where the tenant's home sends each role
        "admin_a": "/dashboard",
        "assessor_a": "/sheets",
        "secretary_a": "/branch",
        "member_a": "/me",
        "overseer_c": "/oversight",
    }
    for username in ("root", "admin_a", "assessor_a", "secretary_a", "member_a", "overseer_c"):
        landed = login(client, username)
        assert landed.status_code == 302
        assert landed.location == landings.get(username, f"/t/{world.id('A')}/"), username
        if username in pages:
            assert client.get(landed.location).location.endswith(pages[username]), username
        logout(client)
    login(client, "root")
    assert client.get("/").location == "/platform/"  # the platform administrator's home


def test_the_platform_home_lists_tenants_not_scheme_internals(client, world):
    login(client, "root")
    home = client.get("/platform/")
    assert home.status_code == 200
    for name in ("甲学院党委", "乙公司党委", "丙县委组织部"):
        assert name in home.text
    assert "样板党支部建设·评星定级" in home.text  # A's scheme, by its title
    assert "akesu_college" not in home.text and ".txt" not in home.text
    found = client.get("/platform/", query_string={"q": "县委"})
    assert "丙县委组织部" in found.text and "甲学院党委" not in found.text
    found = client.get("/platform/", query_string={"q": "%"})  # no wildcard
    assert all(name not in found.text for name in ("甲学院党委", "乙公司党委", "丙县委组织部"))


def test_only_the_platform_administrator_sees_the_platform_pages(client, world):
    for username in ("admin_a", "overseer_c", "member_a"):
        login(client, username)
        assert client.get("/platform/").status_code == 403
        assert client.get(f"/platform/tenants/{world.id('A')}").status_code == 403
        refused = post(client, "/platform/tenants/new", {"code": "X", "name": "x", "kind": "city"})
        assert refused.status_code == 403
        logout(client)
    assert client.get("/platform/").location.startswith("/login")


def test_a_tenant_is_created_and_edited_on_the_pages(app, client, world):
    login(client, "root")
    form = {
        "code": "NEW-COUNTY",
        "name": "新县委组织部",
        "kind": "county",
        "region": "某省某市",
        "schemes": ["county_observation"],
    }
    created = post(client, "/platform/tenants/new", form)
    assert created.status_code == 302
    tenant = tenant_by_code(app, "NEW-COUNTY")
    assert (tenant.name, tenant.kind, tenant.region) == ("新县委组织部", "county", "某省某市")
    detail = client.get(created.location)
    assert "基层党建观摩、检查、测评" in detail.text and "先创建本单位的管理员" in detail.text
    for code, message in (("new-county", "已被使用"), ("坏 代码", "单位代码须为")):
        refused = post(client, "/platform/tenants/new", form | {"code": code})
        assert refused.status_code in (400, 409) and message in refused.text, code
        assert 'value="新县委组织部"' in refused.text  # the form keeps what was typed
    assert (
        post(client, "/platform/tenants/new", form | {"code": "N2", "kind": "planet"}).status_code
        == 400
    )
    edit = {"name": "新县委组织部(改)", "kind": "county", "region": "某省", "active": "1"}
    assert post(client, f"/platform/tenants/{tenant.id}", edit).status_code == 302
    assert tenant_by_code(app, "NEW-COUNTY").name == "新县委组织部(改)"
    empty = post(client, f"/platform/tenants/{tenant.id}", edit | {"name": " "})
    assert empty.status_code == 400 and "请填写单位名称" in empty.text


def test_a_closed_tenant_is_closed_to_its_users(app, client, world):
    login(client, "root")
    post(client, f"/platform/tenants/{world.id('B')}", {"name": "乙公司党委", "kind": "company"})
    assert not tenant_by_code(app, "B").active
    logout(client)
    login(client, "admin_b")
    assert client.get(f"/t/{world.id('B')}/dashboard").status_code == 404


def test_schemes_are_enabled_and_disabled(app, client, world):
    login(client, "root")
    url = f"/platform/tenants/{world.id('B')}"
    assert post(client, url + "/schemes", {"key": "enterprise_5std"}).status_code == 302
    assert "enterprise_5std" in tenant_by_code(app, "B").scheme_keys
    assert "党支部五个标准化与星级提升" in client.get(url).text
    unknown = post(client, url + "/schemes", {"key": "no_such_scheme"})
    assert unknown.status_code == 400 and "没有这个评定方案" in unknown.text
    assert post(client, url + "/schemes/enterprise_5std/disable").status_code == 302
    assert "enterprise_5std" not in tenant_by_code(app, "B").scheme_keys


def test_oversight_links_are_made_and_undone(app, client, world):
    login(client, "root")
    url = f"/platform/tenants/{world.id('C')}"
    assert post(client, url + "/oversight", {"overseen_id": world.id("B")}).status_code == 302
    page = client.get(url)
    overseen = page.text.split('id="overseen"')[1].split("</table>")[0]
    assert "甲学院党委" in overseen and "乙公司党委" in overseen
    assert "丙县委组织部 监督 乙公司党委" in page.text  # in the recent activity
    itself = post(client, url + "/oversight", {"overseen_id": world.id("C")})
    assert itself.status_code == 400 and "不能监督自己" in itself.text
    logout(client)
    login(client, "overseer_c")
    assert "乙公司党委" in client.get(f"/t/{world.id('C')}/oversight").text
    logout(client)
    login(client, "root")
    assert post(client, f"{url}/oversight/{world.id('B')}/remove").status_code == 302
    with app.app_context(), use_scope(system_scope()):
        links = db.session.scalars(select(OversightLink.overseen_id)).all()
    assert links == [world.ids["A"]]


def test_a_tenants_page_shows_its_users_and_activity(client, world):
    login(client, "root")
    page = client.get(f"/platform/tenants/{world.id('A')}")
    users = page.text.split('id="tenant-users"')[1].split("</table>")[0]
    for name in ("admin_a", "assessor_a", "secretary_a", "member_a"):
        assert name in users
    assert "admin_b" not in users
    assert "最近的操作" in page.text


# --- scheme settings -------------------------------------------------------------------------


def versions_of(app, tenant_id, key: str) -> list[SchemeVersion]:
    with app.app_context(), use_scope(system_scope()):
        found = db.session.scalars(
            select(SchemeVersion)
            .where(SchemeVersion.tenant_id == tenant_id, SchemeVersion.scheme_key == key)
            .order_by(SchemeVersion.number)
        ).all()
        db.session.expunge_all()
        return found


def test_settings_saved_on_the_page_make_a_new_version(app, client, world):
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/schemes/akesu_college"
    page = client.get(url)
    assert page.status_code == 200 and "五星级党员比例上限" in page.text
    token = token_of(page)
    values = {"five_star_member_share": "0.25", "enforce_member_quota": "1", "note": "按上级要求"}
    form = dict(_form_values(page.text)) | values | {"csrf_token": token}
    saved = client.post(url, data=form)
    assert saved.status_code == 302
    versions = versions_of(app, world.ids["A"], "akesu_college")
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].overrides == {"five_star_member_share": 0.25}
    assert versions[1].note == "按上级要求"
    history = client.get(url).text.split('id="versions"')[1]
    assert "五星级党员比例上限" in history and "admin_a" in history and "默认设置" in history
    again = client.post(url, data=form)
    assert "仍为第 2 版" in client.get(again.location).text
    api = client.get(
        f"/api/v1/tenants/{world.id('A')}/schemes/akesu_college/versions",
        headers=world.headers["admin_a"],
    )
    assert [v["number"] for v in api.json] == [1, 2]


def _form_values(html: str) -> list[tuple[str, str]]:
    """The settings form's current values (number inputs and checked boxes)."""
    import re

    table = html.split('id="settings"')[1].split("</table>")[0]
    values = re.findall(r'<input id="s-\d+" name="([^"]+)" value="([^"]*)"', table)
    values += [
        (name, "1")
        for name in re.findall(r'type="checkbox" name="([^"]+)" value="1" checked', table)
    ]
    return values


def test_bad_settings_are_refused_naming_the_setting(app, client, world):
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/schemes/akesu_college"
    page = client.get(url)
    form = dict(_form_values(page.text)) | {"csrf_token": token_of(page)}
    for value, message in (("许多", "请填写数字"), ("1.5", "不能大于 1"), ("-1", "不能小于 0")):
        refused = client.post(url, data=form | {"five_star_member_share": value})
        assert refused.status_code == 400 and message in refused.text, value
        row = refused.text.split('class="invalid"')[1].split("</tr>")[0]
        assert "五星级党员比例上限" in row and message in row
        assert f'value="{value}"' in row  # as typed
    assert [v.number for v in versions_of(app, world.ids["A"], "akesu_college")] == [1]


def test_settings_the_scheme_finds_inconsistent_are_refused_by_their_titles(app, client, world):
    from world import enable_scheme

    from county_observation import SCHEME

    enable_scheme(app, world.ids["A"], SCHEME, key="county_observation")
    login(client, "admin_a")
    url = f"/t/{world.id('A')}/schemes/county_observation"
    page = client.get(url)
    assert "去掉最高分和最低分后平均" in page.text and "trimmed_mean<" not in page.text
    form = dict(_form_values(page.text)) | {"csrf_token": token_of(page)}
    form |= {"aggregation": "trimmed_mean", "advanced_from": "70", "standard_from": "80"}
    refused = client.post(url, data=form)
    assert refused.status_code == 400
    assert "彼此不一致" in refused.text and "达标(分)" in refused.text
    assert "“达标”的分数线须低于“先进”的分数线" in refused.text  # the scheme's reason, in Chinese
    assert "must be below" not in refused.text  # the scheme's own words stay out of the page
    assert [v.number for v in versions_of(app, world.ids["A"], "county_observation")] == [1]


def test_only_administrators_adjust_settings(client, world):
    for username in ("assessor_a", "secretary_a", "member_a"):
        login(client, username)
        assert client.get(f"/t/{world.id('A')}/schemes/akesu_college").status_code == 403
        logout(client)
    login(client, "admin_a")
    assert client.get(f"/t/{world.id('A')}/schemes/enterprise_5std").status_code == 404


# --- words -----------------------------------------------------------------------------------


def test_schemes_are_named_by_their_titles_where_users_look(client, world, seeded):  # noqa: F811
    login(client, "admin_a")
    for url in (f"/t/{world.id('A')}/cycles", f"/t/{world.id('A')}/schemes", "/"):
        page = client.get(url)
        assert "样板党支部建设·评星定级" in page.text, url
        visible = page.text.replace('value="akesu_college"', "").replace("/akesu_college", "")
        assert "akesu_college" not in visible and ".txt" not in visible, url
    client.get("/lang/en")
    english = client.get(f"/t/{world.id('A')}/cycles").text
    assert "Model branch building" in english
    assert "Zhibu Zhibu" not in " ".join(english.split("<header")[1].split("</header>")[0].split())
    assert "<small>Zhibu</small>" in client.get("/lang/zh", follow_redirects=True).text


def test_every_schemes_setting_page_names_its_choices_in_chinese(app, client, world):
    """Every scheme's settings page, as its administrator sees it: every choice of every
    setting is named in Chinese (no key such as ``rural`` or ``trimmed_mean`` shown)."""
    import re

    from world import enable_scheme

    from zhibu.plugins import registry

    with app.app_context():
        schemes = dict(registry().schemes)
    login(client, "admin_a")
    for key, scheme in schemes.items():
        if key != "akesu_college":
            enable_scheme(app, world.ids["A"], scheme, key=key)
        page = client.get(f"/t/{world.id('A')}/schemes/{key}")
        assert page.status_code == 200, key
        options = re.findall(r"<option value=\"[^\"]*\"[^>]*>([^<]*)</option>", page.text)
        shown = [o for o in options if re.search(r"[A-Za-z]", o)]
        assert shown == [], (key, shown)
        assert options or not any(s.choices for s in scheme.settings), key
