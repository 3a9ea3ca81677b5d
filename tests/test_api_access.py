"""Logging in for the API, users and roles, the audit log."""

import io

from openpyxl import load_workbook
from world import PASSWORD


def test_token_login_me_and_revoke(client, world):
    response = client.post(
        "/api/v1/auth/tokens", json={"username": "admin_a", "password": PASSWORD}
    )
    assert response.status_code == 201
    headers = {"Authorization": f"Bearer {response.json['token']}"}
    me = client.get("/api/v1/me", headers=headers).json
    assert me["username"] == "admin_a" and me["tenant_ids"] == [world.id("A")]
    assert client.delete("/api/v1/auth/tokens", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_no_token_is_a_clear_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "POST /api/v1/auth/tokens" in response.json["message"]


def test_lockout_after_repeated_failures(client, world, app):
    app.config["ZHIBU_LOGIN_MAX_FAILURES"] = 3
    for _ in range(3):
        bad = client.post(
            "/api/v1/auth/tokens", json={"username": "assessor_a", "password": "wrong"}
        )
        assert bad.status_code == 401
    locked = client.post(
        "/api/v1/auth/tokens", json={"username": "assessor_a", "password": PASSWORD}
    )
    assert locked.status_code == 401  # locked for this address, said as any refusal
    assert locked.json["message"] == bad.json["message"]


def test_password_policy_and_change(client, world, app):
    headers = world.headers["member_a"]
    short = client.post(
        "/api/v1/me/password", json={"current": PASSWORD, "new": "short"}, headers=headers
    )
    assert short.status_code == 422 and "至少 10 位" in short.json["errors"]["new"][0]
    app.config["ZHIBU_PASSWORD_COMPLEXITY"] = True
    simple = client.post(
        "/api/v1/me/password", json={"current": PASSWORD, "new": "allletterslong"}, headers=headers
    )
    assert simple.status_code == 422 and "三类" in simple.json["message"]
    ok = client.post(
        "/api/v1/me/password", json={"current": PASSWORD, "new": "Better-pass-1"}, headers=headers
    )
    assert ok.status_code == 204
    login = client.post(
        "/api/v1/auth/tokens", json={"username": "member_a", "password": "Better-pass-1"}
    )
    assert login.status_code == 201


def test_tenant_admin_creates_users_with_roles(client, world):
    admin = world.headers["admin_a"]
    url = f"/api/v1/tenants/{world.id('A')}/users"
    body = {
        "username": "sec2",
        "password": "long enough pw",
        "display_name": "二支部书记",
        "roles": [{"role": "branch_secretary", "org_id": world.id("A-Z02")}],
    }
    created = client.post(url, json=body, headers=admin)
    assert created.status_code == 201, created.json
    assert created.json["roles"][0]["role"] == "branch_secretary"
    taken = client.post(url, json=body, headers=admin)
    assert taken.status_code == 409 and taken.json["errors"] == {
        "username": ["用户名 sec2 已被使用,请换一个。"]
    }
    foreign = dict(
        body, username="sec3", roles=[{"role": "branch_secretary", "org_id": world.id("B-Z01")}]
    )
    refused = client.post(url, json=foreign, headers=admin)
    assert refused.status_code == 400 and "org_id" in refused.json["errors"]
    names = {u["username"] for u in client.get(url, headers=admin).json}
    assert names == {"admin_a", "assessor_a", "secretary_a", "member_a", "sec2"}
    assert client.get(url, headers=world.headers["assessor_a"]).status_code == 403


def test_every_write_is_audited_with_before_and_after(client, world):
    admin = world.headers["admin_a"]
    org_url = f"/api/v1/tenants/{world.id('A')}/orgs/{world.id('A-Z01')}"
    client.patch(org_url, json={"name": "机电系第一党支部(新)"}, headers=admin)
    log = client.get(
        f"/api/v1/tenants/{world.id('A')}/audit?entity=org_units&action=update", headers=admin
    ).json
    assert log[0]["username"] == "admin_a"
    assert log[0]["before"] == {"name": "机电系第一党支部"}
    assert log[0]["after"] == {"name": "机电系第一党支部(新)"}
    other = client.get(f"/api/v1/tenants/{world.id('B')}/audit", headers=world.headers["admin_b"])
    assert all(e["entity_id"] != world.id("A-Z01") for e in other.json)


def test_audit_log_exports_as_a_workbook(client, world):
    admin = world.headers["admin_a"]
    client.patch(
        f"/api/v1/tenants/{world.id('A')}/orgs/{world.id('A-Z02')}",
        json={"exempt": True},
        headers=admin,
    )
    response = client.get(f"/api/v1/tenants/{world.id('A')}/audit/export", headers=admin)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "用户", "操作")
    assert any(
        r[1] == "admin_a" and r[3] == "org_units" and '"exempt": true' in r[6] for r in rows[1:]
    )


def test_overseer_cannot_read_the_audit_log(client, world):
    response = client.get(
        f"/api/v1/tenants/{world.id('A')}/audit", headers=world.headers["overseer_c"]
    )
    assert response.status_code == 403 and "只能查看" in response.json["message"]


def test_a_disabled_tenant_is_closed_to_its_users_but_kept(client, world):
    url = f"/api/v1/tenants/{world.id('A')}"
    refused = client.patch(url, json={"active": False}, headers=world.headers["admin_a"])
    assert refused.status_code == 403
    done = client.patch(url, json={"active": False}, headers=world.headers["root"])
    assert done.status_code == 200 and done.json["active"] is False
    assert client.get(url + "/orgs", headers=world.headers["admin_a"]).status_code == 404
    assert len(client.get(url + "/orgs", headers=world.headers["root"]).json) == 5
    assert client.get("/api/v1/me", headers=world.headers["admin_a"]).json["tenant_ids"] == []
